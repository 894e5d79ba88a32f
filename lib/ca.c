#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "conf.h"
#include "ocsp.h"
#include "serial.h"
#include "signer.h"
#include "store.h"
#include "util.h"

#define CA_MAX_PEM		(256 * 1024)
#define CA_ROOT_LIFETIME	(10LL * 365 * 86400)
#define CA_INT_LIFETIME		(10LL * 365 * 86400)

/* What ca_create makes inside the CA directory. */
static const char *const ca_entries[] = {
	"pica.json", "certs", "secrets", "db", "templates", "www", NULL
};

int
ca_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm	 tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
ca_read_cert(const char *path, X509 **out, struct pica_err *err)
{
	int	 rc = -1;
	char	*pem = NULL;
	size_t	 len;
	BIO	*bio = NULL;

	*out = NULL;
	if (util_read_file(path, CA_MAX_PEM, &pem, &len, err) == -1)
		goto out;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (*out = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		pica_err_ssl(err, PICA_E_CONFIG, "%s: not a PEM certificate",
		    path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	free(pem);
	return rc;
}

void
ca_fingerprint(X509 *cert, char *buf, size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 off = 0;

	buf[0] = '\0';
	if (!X509_digest(cert, EVP_sha256(), md, &mdlen))
		return;
	for (i = 0; i < mdlen && off + 4 <= len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%02X",
		    i ? ":" : "", md[i]);
}

int
ca_open(const struct conf *cf, int with_key, struct ca **out,
    struct pica_err *err)
{
	int		 rc = -1;
	struct ca	*ca;
	char		*csr = NULL;

	*out = NULL;
	ca = xcalloc(1, sizeof(*ca));
	ca->conf = cf;
	/* A CA made with --csr-only before the root signed it. */
	if (access(cf->crt, F_OK) == -1 &&
	    (csr = util_path_join(cf->dir, CA_CSR_FILE)) != NULL &&
	    access(csr, F_OK) == 0) {
		pica_err_set(err, PICA_E_CONFIG, "the CA in %s waits for its "
		    "intermediate certificate: sign %s with `pica root sign`, "
		    "then run `pica init %s --intermediate-cert FILE "
		    "--root-cert FILE`", cf->dir, csr, cf->dir);
		goto out;
	}
	if (ca_read_cert(cf->root, &ca->root, err) == -1 ||
	    ca_read_cert(cf->crt, &ca->cert, err) == -1)
		goto out;
	if (with_key && ca_load_key(ca, err) == -1)
		goto out;
	*out = ca;
	ca = NULL;
	rc = 0;
out:
	free(csr);
	ca_free(ca);
	return rc;
}

int
ca_load_key(struct ca *ca, struct pica_err *err)
{
	const struct conf	*cf = ca->conf;
	EVP_PKEY		*key = NULL;

	if (ca->key != NULL)
		return 0;
	if (signer_load(cf->key, cf->pkcs11_module, &key, err) == -1)
		return -1;
	/* A URI's query may name files; never more than its path. */
	if (!signer_matches(key, ca->cert)) {
		EVP_PKEY_free(key);
		return pica_err_set(err, PICA_E_CONFIG, "%s: key %.*s does "
		    "not match the certificate %s", cf->path,
		    (int)strcspn(cf->key, "?"), cf->key, cf->crt);
	}
	ca->key = key;
	return 0;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->root);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

int
ca_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value,
    struct pica_err *err)
{
	X509_EXTENSION	*ext;
	int		 ok;

	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL)
		return pica_err_ssl(err, PICA_E_CONFIG, "extension %s = %s",
		    OBJ_nid2sn(nid), value);
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok)
		return pica_err_ssl(err, PICA_E_INTERNAL, "extension %s",
		    OBJ_nid2sn(nid));
	return 0;
}

/*
 * A CA certificate for pub, signed by issuer_key (self-signed when issuer
 * is NULL).  pathlen is the basicConstraints path length.
 */
int
ca_sign_ca_cert(EVP_PKEY *pub, const X509_NAME *subject, X509 *issuer,
    EVP_PKEY *issuer_key, int64_t not_after, int pathlen, X509 **out,
    struct pica_err *err)
{
	int		 rc = -1;
	X509		*cert = NULL;
	ASN1_INTEGER	*sn = NULL;
	unsigned char	 serial[SERIAL_LEN];
	X509V3_CTX	 ctx;
	char		 bc[64];
	time_t		 now = time(NULL);

	*out = NULL;
	if ((cert = X509_new()) == NULL)
		goto ssl;
	if (serial_new(serial) == -1 ||
	    (sn = serial_to_asn1(serial, sizeof(serial))) == NULL)
		goto ssl;
	if (!X509_set_version(cert, X509_VERSION_3) ||
	    !X509_set_serialNumber(cert, sn) ||
	    !X509_set_subject_name(cert, subject) ||
	    !X509_set_issuer_name(cert, issuer != NULL ?
	    X509_get_subject_name(issuer) : subject) ||
	    !X509_set_pubkey(cert, pub) ||
	    X509_time_adj_ex(X509_getm_notBefore(cert), 0, -60, &now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)not_after) == NULL)
		goto ssl;
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL,
	    0);
	snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", pathlen);
	if (ca_add_ext(cert, &ctx, NID_basic_constraints, bc, err) == -1 ||
	    ca_add_ext(cert, &ctx, NID_key_usage, issuer != NULL ?
	    "critical,digitalSignature,keyCertSign,cRLSign" :
	    "critical,keyCertSign,cRLSign", err) == -1 ||
	    ca_add_ext(cert, &ctx, NID_subject_key_identifier, "hash",
	    err) == -1 ||
	    (issuer != NULL && ca_add_ext(cert, &ctx,
	    NID_authority_key_identifier, "keyid:always", err) == -1))
		goto out;
	if (X509_sign(cert, issuer_key, signer_md(issuer_key)) <= 0)
		goto ssl;
	*out = cert;
	cert = NULL;
	rc = 0;
	goto out;
ssl:
	pica_err_ssl(err, PICA_E_INTERNAL, "making a CA certificate");
out:
	ASN1_INTEGER_free(sn);
	X509_free(cert);
	return rc;
}

X509_NAME *
ca_name(const char *org, const char *cn)
{
	X509_NAME	*name;

	if ((name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)org, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(name);
		return NULL;
	}
	return name;
}

/* A CA certificate named O=org, CN=cn, valid for lifetime seconds. */
static int
ca_make_cert(EVP_PKEY *pub, const char *cn, const char *org, X509 *issuer,
    EVP_PKEY *issuer_key, int64_t lifetime, int pathlen, X509 **out,
    struct pica_err *err)
{
	X509_NAME	*name;
	int		 rc;

	if ((name = ca_name(org, cn)) == NULL)
		return pica_err_ssl(err, PICA_E_INTERNAL, "the name of %s",
		    cn);
	rc = ca_sign_ca_cert(pub, name, issuer, issuer_key,
	    (int64_t)time(NULL) + lifetime, pathlen, out, err);
	X509_NAME_free(name);
	return rc;
}

int
ca_write_pem(const char *path, X509 *const *certs, size_t n, int replace,
    struct pica_err *err)
{
	int	 rc = -1;
	BIO	*bio;
	char	*data;
	long	 len;
	size_t	 i;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!PEM_write_bio_X509(bio, certs[i])) {
			pica_err_ssl(err, PICA_E_INTERNAL, "%s", path);
			goto out;
		}
	len = BIO_get_mem_data(bio, &data);
	if (util_write_file(path, data, (size_t)len, 0644, replace, err) == -1)
		goto out;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

static int
ca_write_cert(const char *dir, const char *name, X509 **certs, size_t n,
    struct pica_err *err)
{
	char	*path;
	int	 rc;

	if ((path = util_path_join(dir, name)) == NULL)
		return pica_err_set(err, PICA_E_INTERNAL, "out of memory");
	rc = ca_write_pem(path, certs, n, 0, err);
	free(path);
	return rc;
}

/* A CSR for key named O=org, CN=cn, signed by key, as PEM at path. */
static int
ca_write_csr(const char *path, EVP_PKEY *key, const char *org, const char *cn,
    struct pica_err *err)
{
	X509_REQ	*req = NULL;
	X509_NAME	*name = NULL;
	BIO		*bio = NULL;
	char		*data;
	long		 len;
	int		 rc = -1;

	if ((req = X509_REQ_new()) == NULL ||
	    (name = ca_name(org, cn)) == NULL ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    X509_REQ_sign(req, key, signer_md(key)) <= 0 ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_REQ(bio, req)) {
		pica_err_ssl(err, PICA_E_INTERNAL, "the intermediate's CSR");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	rc = util_write_file(path, data, (size_t)len, 0644, 0, err);
out:
	BIO_free(bio);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return rc;
}

/* Copy every *.tpl of src into dst. */
static int
ca_copy_templates(const char *src, const char *dst, struct pica_err *err)
{
	int		 rc = -1, copied = 0;
	DIR		*d = NULL;
	struct dirent	*de;
	char		*from = NULL, *to = NULL, *text = NULL;
	size_t		 len, nlen;

	if ((d = opendir(src)) == NULL) {
		pica_err_set(err, PICA_E_CONFIG, "%s: %s (the shipped profile "
		    "templates; set PICA_TEMPLATE_DIR)", src, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen < 5 || strcmp(de->d_name + nlen - 4, ".tpl") != 0)
			continue;
		from = util_path_join(src, de->d_name);
		to = util_path_join(dst, de->d_name);
		if (from == NULL || to == NULL) {
			pica_err_set(err, PICA_E_INTERNAL, "out of memory");
			goto out;
		}
		if (util_read_file(from, 1024 * 1024, &text, &len, err) == -1 ||
		    util_write_file(to, text, len, 0644, 0, err) == -1)
			goto out;
		free(from);
		free(to);
		free(text);
		from = to = text = NULL;
		copied++;
	}
	if (copied == 0) {
		pica_err_set(err, PICA_E_CONFIG, "%s: no *.tpl templates", src);
		goto out;
	}
	rc = 0;
out:
	free(from);
	free(to);
	free(text);
	if (d != NULL)
		closedir(d);
	return rc;
}

/*
 * What changes while the CA runs goes under state (the packaged layout:
 * /var/lib/pica), the configuration and the keys stay in the CA's
 * directory (/etc/pica).
 */
static int
ca_config_state(json_t *doc, const char *state)
{
	char	*db = NULL, *www = NULL, *ocsp = NULL;
	int	 rc = -1;

	if ((db = util_path_join(state, "db")) == NULL ||
	    (www = util_path_join(state, "www")) == NULL ||
	    (ocsp = util_path_join(state, "certs/ocsp.pem")) == NULL)
		goto out;
	if (json_object_set_new(json_object_get(doc, "db"), "dataSource",
	    json_string(db)) == -1 ||
	    json_object_set_new(doc, "www", json_string(www)) == -1 ||
	    json_object_set_new(json_object_get(doc, "ocsp"), "cert",
	    json_string(ocsp)) == -1)
		goto out;
	rc = 0;
out:
	free(db);
	free(www);
	free(ocsp);
	return rc;
}

static int
ca_write_config(const struct ca_init *ci, const char *dir,
    struct pica_err *err)
{
	int	 rc = -1;
	json_t	*doc = NULL, *dns = NULL;
	char	*text = NULL, *path = NULL, url[1100];
	size_t	 i;

	if ((dns = json_array()) == NULL)
		goto oom;
	for (i = 0; i < ci->n_dns; i++)
		json_array_append_new(dns, json_string(ci->dns[i]));
	if (ci->url != NULL)
		snprintf(url, sizeof(url), "%s", ci->url);
	else
		snprintf(url, sizeof(url), "https://%s", ci->dns[0]);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:{s:s, s:s},"
	    " s:{s:b, s:s, s:b},"
	    " s:{s:{s:s, s:s, s:s}, s:s},"
	    " s:{s:[s,s,s]},"
	    " s:{s:s, s:s, s:s}}",
	    "name", ci->name,
	    "root", "certs/root.pem",
	    "crt", "certs/intermediate.pem",
	    "key", ci->key != NULL ? ci->key : "secrets/intermediate.key",
	    "dnsNames", dns,
	    "externalURL", url,
	    "db", "type", "bdb", "dataSource", "db",
	    "crl", "enabled", 1, "cacheDuration", "24h",
	    "generateOnRevoke", 1,
	    "authority", "claims", "defaultTLSCertDuration", "2160h",
	    "maxTLSCertDuration", "8760h", "minTLSCertDuration", "5m",
	    "backdate", "1m",
	    "acme", "challenges", "http-01", "dns-01", "tls-alpn-01",
	    "ocsp", "validity", "24h", "cert", "certs/ocsp.pem",
	    "key", "secrets/ocsp.key");
	if (doc == NULL)
		goto oom;
	if (ci->http_url != NULL)
		json_object_set_new(doc, "httpURL", json_string(ci->http_url));
	if (ci->state != NULL && ca_config_state(doc, ci->state) == -1)
		goto oom;
	if ((text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL || (path = util_path_join(dir, "pica.json")) == NULL)
		goto oom;
	/* Append a newline: it is a file people edit. */
	size_t len = strlen(text);
	char *nl = realloc(text, len + 2);
	if (nl == NULL)
		goto oom;
	text = nl;
	text[len] = '\n';
	text[len + 1] = '\0';
	if (util_write_file(path, text, len + 1, 0644, 0, err) == -1)
		goto out;
	rc = 0;
	goto out;
oom:
	pica_err_set(err, PICA_E_INTERNAL, "out of memory");
out:
	json_decref(doc);
	json_decref(dns);
	free(text);
	free(path);
	return rc;
}

/* What ca_create puts under ci->state. */
static const char *const ca_state_entries[] = { "db", "www", "certs", NULL };

/* Refuse dir when it holds one of entries; what names them in the error. */
static int
ca_check_absent(const char *dir, const char *const *entries, const char *what,
    struct pica_err *err)
{
	size_t	 i;
	char	*p;
	int	 exists;

	for (i = 0; entries[i] != NULL; i++) {
		if ((p = util_path_join(dir, entries[i])) == NULL)
			return pica_err_set(err, PICA_E_INTERNAL,
			    "out of memory");
		exists = access(p, F_OK) == 0;
		free(p);
		if (exists)
			return pica_err_set(err, PICA_E_EXISTS, "%s already "
			    "holds %s: refusing to overwrite %s", dir,
			    entries[i], what);
	}
	return 0;
}

int
ca_check_target(const char *dir, struct pica_err *err)
{
	return ca_check_absent(dir, ca_entries, "a CA", err);
}

/* Remove entries from dir (NULL: nothing). */
static void
ca_remove_list(const char *dir, const char *const *entries)
{
	size_t	 i;
	char	*p;

	for (i = 0; dir != NULL && entries[i] != NULL; i++)
		if ((p = util_path_join(dir, entries[i])) != NULL) {
			util_remove_tree(p);
			free(p);
		}
}

/* Remove what ca_create put into dir (it held none of it before). */
static void
ca_remove_entries(const char *dir)
{
	ca_remove_list(dir, ca_entries);
}

/*
 * Move what tmp holds into dir: one rename when dir is absent or empty,
 * else entry by entry (ca_check_target made sure none is there).
 */
static int
ca_move_into(const char *tmp, const char *dir, struct pica_err *err)
{
	size_t	 i;
	char	*from, *to;
	int	 r;

	if (rename(tmp, dir) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return pica_err_set(err, PICA_E_INTERNAL, "%s: %s", dir,
		    strerror(errno));
	for (i = 0; ca_entries[i] != NULL; i++) {
		from = util_path_join(tmp, ca_entries[i]);
		to = util_path_join(dir, ca_entries[i]);
		if (from == NULL || to == NULL)
			r = -1;
		else if ((r = rename(from, to)) == -1 && errno == ENOENT &&
		    access(from, F_OK) == -1)
			r = 0;	/* not made here (the store comes later) */
		if (r == -1)
			pica_err_set(err, PICA_E_INTERNAL, "%s: %s",
			    to ? to : dir, strerror(errno));
		free(from);
		free(to);
		if (r == -1) {
			ca_remove_entries(dir);
			return -1;
		}
	}
	rmdir(tmp);
	return 0;
}

/* The certificates the web server hands out: www/roots.pem, ... */
static int
ca_write_www(const struct conf *cf, X509 *root, X509 *inter,
    struct pica_err *err)
{
	if (util_mkdirs(cf->www_dir, 0755, err) == -1 ||
	    ca_write_cert(cf->www_dir, "roots.pem", &root, 1, err) == -1 ||
	    ca_write_cert(cf->www_dir, "intermediates.pem", &inter, 1,
	    err) == -1)
		return -1;
	return 0;
}

/*
 * What a new CA needs before it serves: the store, made in place (its
 * environment records paths), and the delegated OCSP responder, in the
 * store like any certificate.
 */
static int
ca_first_start(const struct conf *cf, X509 *root, X509 *inter, EVP_PKEY *key,
    struct pica_err *err)
{
	struct store	*st = NULL;
	struct ca	 made;
	char		*dir = NULL;
	int		 rc = -1, renewed;

	if (store_open(cf->db_dir, &st) != 0) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: cannot create the "
		    "store", cf->db_dir);
		goto out;
	}
	/* The responder's certificate may live apart (under the state). */
	if (cf->ocsp_cert != NULL &&
	    (dir = util_dirname(cf->ocsp_cert)) != NULL &&
	    util_mkdirs(dir, 0755, err) == -1)
		goto out;
	memset(&made, 0, sizeof(made));
	made.conf = cf;
	made.root = root;
	made.cert = inter;
	made.key = key;
	if (ocsp_signer_renew(&made, st, 1, (int64_t)time(NULL), &renewed,
	    err) == -1)
		goto out;
	rc = 0;
out:
	free(dir);
	store_close(st);
	return rc;
}

int
ca_create(const struct ca_init *ci, char *fpr, size_t fprlen,
    struct pica_err *err)
{
	int		 rc = -1;
	char		*parent = NULL, *tmp = NULL, *sub = NULL, *base;
	EVP_PKEY	*rkey = NULL, *ikey = NULL;
	X509		*root = NULL, *inter = NULL, *chain[2];
	struct conf	*cf = NULL;
	int		 moved = 0;
	char		 cn[512];
	size_t		 i, len;
	static const char *const subdirs[] = { "certs", "templates", NULL };

	if (ci->n_dns == 0 && ci->url == NULL) {
		pica_err_set(err, PICA_E_USAGE, "the CA needs a name to be "
		    "reached by: --dns NAME or --url URL");
		goto out;
	}
	if (ca_check_target(ci->dir, err) == -1 ||
	    (ci->state != NULL && ca_check_absent(ci->state,
	    ca_state_entries, "a CA's state", err) == -1))
		goto out;
	/* Build beside the target so the final rename stays on one fs. */
	if ((parent = util_dirname(ci->dir)) == NULL)
		goto oom;
	base = strrchr(ci->dir, '/') ? strrchr(ci->dir, '/') + 1 :
	    (char *)ci->dir;
	len = strlen(parent) + strlen(base) + 32;
	tmp = xcalloc(1, len);
	snprintf(tmp, len, "%s/.%s.init-XXXXXX", parent, base);
	if (mkdtemp(tmp) == NULL) {
		pica_err_set(err, PICA_E_USAGE, "%s: cannot create the CA "
		    "there: %s", parent, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	chmod(tmp, 0755);
	for (i = 0; subdirs[i] != NULL; i++) {
		if ((sub = util_path_join(tmp, subdirs[i])) == NULL)
			goto oom;
		if (util_mkdirs(sub, 0755, err) == -1)
			goto out;
		free(sub);
		sub = NULL;
	}
	if ((sub = util_path_join(tmp, "secrets")) == NULL)
		goto oom;
	if (util_mkdirs(sub, 0700, err) == -1)
		goto out;

	/* A key on a token stays there: the certificate is made for it. */
	if ((!ci->csr_only && signer_keygen(ci->kty ? ci->kty : "EC",
	    ci->bits, &rkey, err) == -1) ||
	    (ci->key != NULL ? signer_load(ci->key, NULL, &ikey, err) :
	    signer_keygen(ci->kty ? ci->kty : "EC", ci->bits, &ikey,
	    err)) == -1)
		goto out;
	free(sub);
	sub = NULL;
	if (ci->key == NULL &&
	    ((sub = util_path_join(tmp, "secrets/intermediate.key")) == NULL ||
	    signer_write_key(sub, ikey, err) == -1))
		goto out;
	free(sub);
	sub = NULL;
	snprintf(cn, sizeof(cn), "%s Intermediate CA", ci->name);
	if (ci->csr_only) {
		/* The offline root signs it; ca_complete takes it from there. */
		if ((sub = util_path_join(tmp, CA_CSR_FILE)) == NULL)
			goto oom;
		if (ca_write_csr(sub, ikey, ci->name, cn, err) == -1)
			goto out;
		free(sub);
		sub = NULL;
	} else {
		snprintf(cn, sizeof(cn), "%s Root CA", ci->name);
		if (ca_make_cert(rkey, cn, ci->name, NULL, rkey,
		    CA_ROOT_LIFETIME, 1, &root, err) == -1)
			goto out;
		snprintf(cn, sizeof(cn), "%s Intermediate CA", ci->name);
		if (ca_make_cert(ikey, cn, ci->name, root, rkey,
		    CA_INT_LIFETIME, 0, &inter, err) == -1)
			goto out;
		if ((sub = util_path_join(tmp, "secrets/root.key")) == NULL)
			goto oom;
		if (signer_write_key(sub, rkey, err) == -1)
			goto out;
		free(sub);
		sub = NULL;
		chain[0] = inter;
		if (ca_write_cert(tmp, "certs/root.pem", &root, 1, err) == -1 ||
		    ca_write_cert(tmp, "certs/intermediate.pem", chain, 1,
		    err) == -1)
			goto out;
	}
	if ((sub = util_path_join(tmp, "templates")) == NULL)
		goto oom;
	if (ca_copy_templates(ci->template_src, sub, err) == -1 ||
	    ca_write_config(ci, tmp, err) == -1)
		goto out;
	free(sub);
	/* What the later commands will read must load now. */
	if ((sub = util_path_join(tmp, "pica.json")) == NULL)
		goto oom;
	if (conf_load(sub, &cf, err) == -1)
		goto out;
	free(sub);
	sub = NULL;

	if (ca_move_into(tmp, ci->dir, err) == -1)
		goto out;
	free(tmp);
	tmp = NULL;
	moved = 1;
	if (ci->csr_only) {
		fpr[0] = '\0';
		moved = 0;
		rc = 0;
		goto out;
	}
	/* pica.json read where it now is: its paths are absolute. */
	conf_free(cf);
	cf = NULL;
	if ((sub = util_path_join(ci->dir, "pica.json")) == NULL)
		goto oom;
	if (conf_load(sub, &cf, err) == -1 ||
	    ca_write_www(cf, root, inter, err) == -1 ||
	    ca_first_start(cf, root, inter, ikey, err) == -1)
		goto out;
	ca_fingerprint(root, fpr, fprlen);
	moved = 0;
	rc = 0;
	goto out;
oom:
	pica_err_set(err, PICA_E_INTERNAL, "out of memory");
out:
	if (tmp != NULL)
		util_remove_tree(tmp);
	if (moved) {
		ca_remove_entries(ci->dir);
		ca_remove_list(ci->state, ca_state_entries);
	}
	conf_free(cf);
	free(parent);
	free(tmp);
	free(sub);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(ikey);
	X509_free(root);
	X509_free(inter);
	return rc;
}

/* Why cert does not chain to root (a CA certificate), or NULL. */
static const char *
ca_chain_check(X509 *root, X509 *cert)
{
	X509_STORE	*store = NULL;
	X509_STORE_CTX	*ctx = NULL;
	const char	*why = "out of memory";

	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_add_cert(store, root) ||
	    !X509_STORE_CTX_init(ctx, store, cert, NULL))
		goto out;
	why = NULL;
	if (X509_verify_cert(ctx) != 1)
		why = X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx));
	else if (X509_check_ca(cert) < 1)
		why = "it is not a CA certificate";
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return why;
}

int
ca_complete(const char *dir, const char *inter_path, const char *root_path,
    char *fpr, size_t fprlen, struct pica_err *err)
{
	struct conf	*cf = NULL;
	EVP_PKEY	*key = NULL;
	X509		*inter = NULL, *root = NULL;
	char		*path = NULL;
	const char	*why;
	int		 rc = -1;

	if ((path = util_path_join(dir, "pica.json")) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (conf_load(path, &cf, err) == -1)
		goto out;
	if (access(cf->crt, F_OK) == 0) {
		pica_err_set(err, PICA_E_USAGE, "%s has its intermediate "
		    "certificate already (%s)", dir, cf->crt);
		goto out;
	}
	if (ca_read_cert(inter_path, &inter, err) == -1 ||
	    ca_read_cert(root_path, &root, err) == -1)
		goto out;
	if (X509_check_issued(root, root) != X509_V_OK ||
	    X509_check_ca(root) < 1) {
		pica_err_set(err, PICA_E_USAGE, "%s is not a self-signed CA "
		    "certificate (a root)", root_path);
		goto out;
	}
	if ((why = ca_chain_check(root, inter)) != NULL) {
		pica_err_set(err, PICA_E_USAGE, "%s does not chain to the "
		    "root %s: %s", inter_path, root_path, why);
		goto out;
	}
	if (signer_load(cf->key, cf->pkcs11_module, &key, err) == -1)
		goto out;
	if (!signer_matches(key, inter)) {
		pica_err_set(err, PICA_E_USAGE, "%s is not for this CA's key "
		    "%.*s", inter_path, (int)strcspn(cf->key, "?"), cf->key);
		goto out;
	}
	if (ca_write_pem(cf->root, &root, 1, 0, err) == -1 ||
	    ca_write_pem(cf->crt, &inter, 1, 0, err) == -1 ||
	    ca_write_www(cf, root, inter, err) == -1)
		goto out;
	if (ca_first_start(cf, root, inter, key, err) == -1)
		goto out;
	ca_fingerprint(root, fpr, fprlen);
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(inter);
	X509_free(root);
	conf_free(cf);
	free(path);
	return rc;
}
