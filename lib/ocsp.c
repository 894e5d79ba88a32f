/*
 * ocsp.c: answers about the intermediate's certificates from the store.
 *
 * The store knows every certificate pica issued, so "unknown" means a
 * serial this CA never signed, never a gap in what it knows.  Answers
 * are signed by a delegated responder certificate (RFC 6960 4.2.2.2:
 * OCSPSigning, id-pkix-ocsp-nocheck, issued by the intermediate), so the
 * intermediate's key stays out of this program.
 *
 * A signed answer for one certificate, without a nonce, is kept and
 * sent again until half of its validity has passed (RFC 5019 caching),
 * but only while the store still says what it says: the status is read
 * for every request, so a revocation replaces the answer at once.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "conf.h"
#include "issue.h"
#include "log.h"
#include "ocsp.h"
#include "serial.h"
#include "signer.h"
#include "store.h"
#include "util.h"

#define OCSP_CACHE_SLOTS	1024

struct ocsp_cached {
	unsigned char	 key[32];	/* SHA-256 of the CertID's DER */
	int		 used;
	enum cert_status status;
	int64_t		 revoked_at;
	struct ocsp_answer ans;
};

struct ocsp_responder {
	struct ca		*ca;	/* borrowed */
	struct store		*st;	/* borrowed */
	X509			*cert;	/* signs the answers */
	EVP_PKEY		*key;
	struct timespec		 cert_mtime;
	struct ocsp_cached	*cache;
	int			 panic;	/* the store needs recovery */
};

/* --- the responder certificate ----------------------------------------- */

static int	ocsp_signer_needs(const char *, int64_t);

int
ocsp_signer_due(const struct conf *cf, int64_t now)
{
	return cf->ocsp_cert != NULL && cf->ocsp_key != NULL &&
	    ocsp_signer_needs(cf->ocsp_cert, now);
}

static int
ocsp_signer_needs(const char *path, int64_t now)
{
	X509		*x = NULL;
	struct pica_err	 err;
	int64_t		 nb, na;
	int		 need = 1;

	if (ca_read_cert(path, &x, &err) == -1)
		return 1;
	if (ca_time(X509_get0_notBefore(x), &nb) == -1 ||
	    ca_time(X509_get0_notAfter(x), &na) == -1)
		goto out;
	need = now >= na - (na - nb) / 3;
out:
	X509_free(x);
	return need;
}

/* Whether the key file at path exists in a directory we cannot write. */
static int
ocsp_key_fixed(const char *path)
{
	char	*dir;
	int	 fixed;

	if (access(path, F_OK) == -1 || (dir = util_dirname(path)) == NULL)
		return 0;
	fixed = access(dir, W_OK) == -1;
	free(dir);
	return fixed;
}

/*
 * Write key to path through path.new and a rename.  The new key takes the
 * old one's owner, group and mode: root's `pica crl` renewing the
 * packaged CA's responder must leave it readable by the key group.
 */
static int
ocsp_key_install(const char *path, EVP_PKEY *key, struct pica_err *err)
{
	struct stat	 sb;
	char		*tmp = NULL;
	int		 rc = -1, had;

	if (asprintf(&tmp, "%s.new", path) == -1) {
		tmp = NULL;
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	(void)unlink(tmp);
	had = stat(path, &sb) == 0;
	if (signer_write_key(tmp, key, err) == -1)
		goto out;
	if (had && ((sb.st_uid != geteuid() || sb.st_gid != getegid()) &&
	    chown(tmp, sb.st_uid, sb.st_gid) == -1)) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: cannot give the new "
		    "key the old one's owner: %s", path, strerror(errno));
		goto out;
	}
	if (had && chmod(tmp, sb.st_mode & 0640) == -1) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (rename(tmp, path) == -1) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	return rc;
}

int
ocsp_signer_renew(struct ca *ca, struct store *st, int force, int64_t now,
    int *renewed, struct pica_err *err)
{
	const struct conf	*cf = ca->conf;
	struct issue_req	 ir;
	EVP_PKEY		*key = NULL, *pub = NULL;
	X509			*cert = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	char			 cn[600];
	int			 rc = -1, keep, n;

	*renewed = 0;
	if (cf->ocsp_cert == NULL || cf->ocsp_key == NULL)
		return 0;
	if (!force && !ocsp_signer_needs(cf->ocsp_cert, now))
		return 0;
	if (ca->key == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "ocsp: renewing the "
		    "responder certificate needs the CA key");
		goto out;
	}
	snprintf(cn, sizeof(cn), "%s OCSP Responder",
	    cf->name != NULL ? cf->name : "pica");
	/*
	 * A responder key on a token stays: a new certificate for it.  So
	 * does a key file this process cannot replace: in the packaged
	 * layout root owns the keys and the programs only read them.
	 */
	keep = strncmp(cf->ocsp_key, "pkcs11:", 7) == 0 ||
	    ocsp_key_fixed(cf->ocsp_key);
	if ((keep ? signer_load(cf->ocsp_key, cf->pkcs11_module, &key, err) :
	    signer_keygen("EC", 256, &key, err)) == -1)
		goto out;
	/*
	 * The public half alone: issuance checks the key it certifies, and
	 * a token key's checks would ask for the private scalar.
	 */
	if ((n = i2d_PUBKEY(key, &der)) <= 0 ||
	    (p = der, pub = d2i_PUBKEY(NULL, &p, n)) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "ocsp: the responder's "
		    "public key");
		goto out;
	}
	memset(&ir, 0, sizeof(ir));
	ir.pubkey = pub;
	ir.common_name = cn;
	ir.profile = "ocsp";
	ir.ca_own = 1;
	if (issue_cert(ca, st, &ir, &cert, err) == -1)
		goto out;
	/* A new key first, under a new name, then both in place. */
	if (!keep && ocsp_key_install(cf->ocsp_key, key, err) == -1)
		goto out;
	if (ca_write_pem(cf->ocsp_cert, &cert, 1, 1, err) == -1)
		goto out;
	*renewed = 1;
	rc = 0;
out:
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* --- the responder ----------------------------------------------------- */

static int
ocsp_signer_load(struct ocsp_responder *r, struct pica_err *err)
{
	const struct conf	*cf = r->ca->conf;
	X509			*cert = NULL;
	EVP_PKEY		*key = NULL;
	struct stat		 sb;

	if (cf->ocsp_cert == NULL) {
		/* The intermediate answers itself. */
		if (r->ca->key == NULL) {
			pica_err_set(err, PICA_E_CONFIG, "ocsp: no ocsp.cert "
			    "in %s and the CA key is not loaded", cf->path);
			return -1;
		}
		X509_up_ref(r->ca->cert);
		EVP_PKEY_up_ref(r->ca->key);
		X509_free(r->cert);
		EVP_PKEY_free(r->key);
		r->cert = r->ca->cert;
		r->key = r->ca->key;
		return 0;
	}
	if (stat(cf->ocsp_cert, &sb) == -1) {
		pica_err_set(err, PICA_E_CONFIG, "%s: %s (make it with `pica "
		    "crl` or `pica init`)", cf->ocsp_cert, strerror(errno));
		return -1;
	}
	if (ca_read_cert(cf->ocsp_cert, &cert, err) == -1)
		return -1;
	if (signer_load(cf->ocsp_key, cf->pkcs11_module, &key, err) == -1)
		goto fail;
	if (!signer_matches(key, cert)) {
		pica_err_set(err, PICA_E_CONFIG, "%s does not match %s",
		    cf->ocsp_key, cf->ocsp_cert);
		goto fail;
	}
	if (X509_check_issued(r->ca->cert, cert) != X509_V_OK) {
		pica_err_set(err, PICA_E_CONFIG, "%s was not issued by %s",
		    cf->ocsp_cert, cf->crt);
		goto fail;
	}
	X509_free(r->cert);
	EVP_PKEY_free(r->key);
	r->cert = cert;
	r->key = key;
	r->cert_mtime = sb.st_mtim;
	return 0;
fail:
	X509_free(cert);
	EVP_PKEY_free(key);
	return -1;
}

static void
ocsp_cache_clear(struct ocsp_responder *r)
{
	size_t	 i;

	for (i = 0; i < OCSP_CACHE_SLOTS; i++) {
		ocsp_answer_free(&r->cache[i].ans);
		r->cache[i].used = 0;
	}
}

int
ocsp_responder_new(struct ca *ca, struct store *st,
    struct ocsp_responder **out, struct pica_err *err)
{
	struct ocsp_responder	*r;

	r = xcalloc(1, sizeof(*r));
	r->ca = ca;
	r->st = st;
	r->cache = xcalloc(OCSP_CACHE_SLOTS, sizeof(*r->cache));
	if (ocsp_signer_load(r, err) == -1) {
		ocsp_responder_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void
ocsp_responder_free(struct ocsp_responder *r)
{
	if (r == NULL)
		return;
	ocsp_cache_clear(r);
	free(r->cache);
	X509_free(r->cert);
	EVP_PKEY_free(r->key);
	free(r);
}

int
ocsp_responder_panicked(const struct ocsp_responder *r)
{
	return r->panic;
}

int
ocsp_responder_reload(struct ocsp_responder *r)
{
	const struct conf	*cf = r->ca->conf;
	struct stat		 sb;
	struct pica_err		 err;

	if (cf->ocsp_cert == NULL || stat(cf->ocsp_cert, &sb) == -1 ||
	    (sb.st_mtim.tv_sec == r->cert_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == r->cert_mtime.tv_nsec))
		return 0;
	if (ocsp_signer_load(r, &err) == -1) {
		/* Half-renewed (key moved, certificate not yet): next time. */
		log_warn("ocsp: keeping the responder certificate: %s",
		    err.msg);
		return 0;
	}
	ocsp_cache_clear(r);
	log_info("ocsp: loaded the renewed responder certificate");
	return 1;
}

void
ocsp_answer_free(struct ocsp_answer *a)
{
	free(a->der);
	memset(a, 0, sizeof(*a));
}

/* dst becomes a copy of src, with its own DER. */
static void
ocsp_answer_copy(struct ocsp_answer *dst, const struct ocsp_answer *src)
{
	*dst = *src;
	dst->der = xcalloc(1, src->len);
	memcpy(dst->der, src->der, src->len);
}

static int
ocsp_answer_set(OCSP_RESPONSE *resp, struct ocsp_answer *out)
{
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	int		 len;

	if ((len = i2d_OCSP_RESPONSE(resp, &der)) <= 0)
		return -1;
	out->der = xcalloc(1, (size_t)len);
	memcpy(out->der, der, (size_t)len);
	out->len = (size_t)len;
	OPENSSL_free(der);
	if (!EVP_Digest(out->der, out->len, md, &mdlen, EVP_sha256(), NULL))
		return -1;
	memcpy(out->etag, md, sizeof(out->etag));
	return 0;
}

int
ocsp_status_only(int status, struct ocsp_answer *out)
{
	OCSP_RESPONSE	*resp;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((resp = OCSP_response_create(status, NULL)) == NULL)
		return -1;
	rc = ocsp_answer_set(resp, out);
	OCSP_RESPONSE_free(resp);
	return rc;
}

/* The request's nonce extension, checked against RFC 8954's limits. */
static int
ocsp_nonce_ok(OCSP_REQUEST *req, int *has)
{
	X509_EXTENSION		*ext;
	ASN1_OCTET_STRING	*v, *inner = NULL;
	const unsigned char	*p;
	int			 i, len;

	*has = 0;
	if ((i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce,
	    -1)) < 0)
		return 1;
	*has = 1;
	ext = OCSP_REQUEST_get_ext(req, i);
	v = X509_EXTENSION_get_data(ext);
	/* The value is an OCTET STRING (RFC 8954); some clients send raw. */
	p = ASN1_STRING_get0_data(v);
	len = ASN1_STRING_length(v);
	if ((inner = d2i_ASN1_OCTET_STRING(NULL, &p, len)) != NULL &&
	    p == ASN1_STRING_get0_data(v) + len)
		len = ASN1_STRING_length(inner);
	ASN1_OCTET_STRING_free(inner);
	return len >= 1 && len <= OCSP_NONCE_MAX;
}

static void
ocsp_cid_key(OCSP_CERTID *cid, unsigned char key[32])
{
	unsigned char	*der = NULL;
	int		 len;

	memset(key, 0, 32);
	if ((len = i2d_OCSP_CERTID(cid, &der)) > 0)
		(void)EVP_Digest(der, (size_t)len, key, NULL, EVP_sha256(),
		    NULL);
	OPENSSL_free(der);
}

/* Whether cid names our intermediate, in the hash it was made with. */
static int
ocsp_cid_ours(struct ocsp_responder *r, OCSP_CERTID *cid)
{
	ASN1_OBJECT	*md_oid = NULL;
	const EVP_MD	*md;
	OCSP_CERTID	*ours;
	int		 match;

	if (!OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) ||
	    (md = EVP_get_digestbyobj(md_oid)) == NULL)
		return 0;
	if ((ours = OCSP_cert_to_id(md, NULL, r->ca->cert)) == NULL)
		return 0;
	match = OCSP_id_issuer_cmp(cid, ours) == 0;
	OCSP_CERTID_free(ours);
	return match;
}

/* The status of one certificate; a store error as STORE_*. */
static int
ocsp_lookup(struct ocsp_responder *r, OCSP_CERTID *cid, int *known,
    struct cert_rec *rec)
{
	ASN1_INTEGER	*sn = NULL;
	unsigned char	 buf[STORE_SERIAL_MAX];
	size_t		 len;
	int		 ret;

	*known = 0;
	if (!OCSP_id_get0_info(NULL, NULL, NULL, &sn, cid) ||
	    serial_from_asn1(sn, buf, sizeof(buf), &len) == -1)
		return 0;	/* a serial pica never makes: unknown */
	ret = store_cert_lookup(r->st, buf, len, rec);
	if (ret == STORE_NOTFOUND)
		return 0;
	if (ret != 0) {
		log_error("ocsp: the store failed");
		if (ret == STORE_PANIC)
			r->panic = 1;
		return ret;
	}
	*known = 1;
	return 0;
}

static int
ocsp_add_status(OCSP_BASICRESP *bs, OCSP_CERTID *cid, int known,
    const struct cert_rec *rec, ASN1_TIME *thisupd, ASN1_TIME *nextupd)
{
	ASN1_TIME	*rt = NULL;
	int		 ok;

	if (!known)
		return OCSP_basic_add1_status(bs, cid, V_OCSP_CERTSTATUS_UNKNOWN,
		    0, NULL, thisupd, nextupd) != NULL;
	if (rec->status != CERT_REVOKED)
		return OCSP_basic_add1_status(bs, cid, V_OCSP_CERTSTATUS_GOOD,
		    0, NULL, thisupd, nextupd) != NULL;
	if ((rt = ASN1_TIME_set(NULL, (time_t)rec->revoked_at)) == NULL)
		return 0;
	/* Unspecified is said by leaving the reason out (RFC 5280 5.3.1). */
	ok = OCSP_basic_add1_status(bs, cid, V_OCSP_CERTSTATUS_REVOKED,
	    rec->reason != 0 ? rec->reason : OCSP_REVOKED_STATUS_NOSTATUS, rt,
	    thisupd, nextupd) != NULL;
	ASN1_TIME_free(rt);
	return ok;
}

int
ocsp_respond(struct ocsp_responder *r, const unsigned char *der, size_t len,
    int64_t now, struct ocsp_answer *out)
{
	const struct conf	*cf = r->ca->conf;
	OCSP_REQUEST		*req = NULL;
	OCSP_BASICRESP		*bs = NULL;
	OCSP_RESPONSE		*resp = NULL;
	OCSP_CERTID		*cid;
	ASN1_TIME		*thisupd = NULL, *nextupd = NULL;
	struct cert_rec		 rec;
	struct ocsp_cached	*slot = NULL;
	const unsigned char	*p = der;
	unsigned char		 key[32];
	int			 rc = -1, n, i, known = 0, has_nonce, ret;

	memset(out, 0, sizeof(*out));
	memset(&rec, 0, sizeof(rec));
	if (len == 0 || len > LONG_MAX ||
	    (req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL ||
	    p != der + len ||
	    (n = OCSP_request_onereq_count(req)) <= 0 ||
	    n > OCSP_MAX_REQUESTS || !ocsp_nonce_ok(req, &has_nonce)) {
		rc = ocsp_status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
		    out);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!ocsp_cid_ours(r, OCSP_onereq_get0_id(
		    OCSP_request_onereq_get0(req, i)))) {
			rc = ocsp_status_only(
			    OCSP_RESPONSE_STATUS_UNAUTHORIZED, out);
			goto out;
		}
	ocsp_responder_reload(r);

	/* One certificate, no nonce: an answer made before may do. */
	if (n == 1 && !has_nonce) {
		cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
		if ((ret = ocsp_lookup(r, cid, &known, &rec)) != 0)
			goto out;
		ocsp_cid_key(cid, key);
		slot = &r->cache[(key[0] | key[1] << 8) % OCSP_CACHE_SLOTS];
		if (slot->used && memcmp(slot->key, key, sizeof(key)) == 0 &&
		    slot->status == (known ? rec.status : (enum cert_status)-1)
		    && slot->revoked_at == rec.revoked_at &&
		    now < slot->ans.this_update + cf->ocsp_validity / 2) {
			ocsp_answer_copy(out, &slot->ans);
			rc = 0;
			goto out;
		}
	}

	if ((bs = OCSP_BASICRESP_new()) == NULL ||
	    (thisupd = ASN1_TIME_set(NULL, (time_t)now)) == NULL ||
	    (nextupd = ASN1_TIME_set(NULL, (time_t)(now +
	    cf->ocsp_validity))) == NULL)
		goto ssl;
	for (i = 0; i < n; i++) {
		cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		if (slot == NULL) {
			cert_rec_free(&rec);
			if ((ret = ocsp_lookup(r, cid, &known, &rec)) != 0)
				goto out;
		}
		if (!ocsp_add_status(bs, cid, known, &rec, thisupd, nextupd))
			goto ssl;
	}
	if (has_nonce && OCSP_copy_nonce(bs, req) <= 0)
		goto ssl;
	if (!OCSP_basic_sign(bs, r->cert, r->key, signer_md(r->key), NULL,
	    OCSP_RESPID_KEY) ||
	    (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    bs)) == NULL || ocsp_answer_set(resp, out) == -1)
		goto ssl;
	out->this_update = now;
	out->next_update = now + cf->ocsp_validity;
	if (slot != NULL) {
		out->cacheable = 1;
		ocsp_answer_free(&slot->ans);
		memcpy(slot->key, key, sizeof(key));
		slot->used = 1;
		slot->status = known ? rec.status : (enum cert_status)-1;
		slot->revoked_at = rec.revoked_at;
		ocsp_answer_copy(&slot->ans, out);
	}
	rc = 0;
	goto out;
ssl:
	log_error("ocsp: signing the answer failed");
	ocsp_answer_free(out);
	rc = ocsp_status_only(OCSP_RESPONSE_STATUS_INTERNALERROR, out);
out:
	cert_rec_free(&rec);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	return rc;
}
