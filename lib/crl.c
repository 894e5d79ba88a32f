/*
 * crl.c: the X.509 v2 CRL of the intermediate.
 *
 * Every certificate pica issued is in the store, so the CRL is the
 * store's revocation index read in one pass: each revoked certificate
 * that has not been expired for longer than CRL_EXPIRED_GRACE, with its
 * revocation time and reason.  The Issuing Distribution Point names the
 * same URL as the certificates' CRL Distribution Point (crl.idpURL), and
 * nothing else, so that OpenSSL's scope check accepts the CRL for every
 * certificate pica issues.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "conf.h"
#include "crl.h"
#include "log.h"
#include "serial.h"
#include "signer.h"
#include "store.h"
#include "util.h"

/* The largest published CRL crl_is_stale reads back. */
#define CRL_MAX_FILE	(256 * 1024 * 1024)

struct crl_entry {
	unsigned char	 serial[STORE_SERIAL_MAX];
	size_t		 serial_len;
	int64_t		 revoked_at;
	int		 reason;
};

struct crl_collect {
	struct crl_entry	*v;
	size_t			 n, cap;
	int64_t			 cutoff;	/* expired before: left off */
};

static int
crl_collect_one(const struct cert_rec *c, void *arg)
{
	struct crl_collect	*cc = arg;
	struct crl_entry	*e;
	size_t			 cap;

	if (c->status != CERT_REVOKED || c->not_after < cc->cutoff)
		return 0;
	if (cc->n == cc->cap) {
		cap = cc->cap == 0 ? 256 : cc->cap * 2;
		if ((e = reallocarray(cc->v, cap, sizeof(*e))) == NULL) {
			log_error("crl: out of memory");
			return -1;
		}
		cc->v = e;
		cc->cap = cap;
	}
	e = &cc->v[cc->n++];
	memcpy(e->serial, c->serial, c->serial_len);
	e->serial_len = c->serial_len;
	e->revoked_at = c->revoked_at;
	e->reason = c->reason;
	return 0;
}

static int
crl_number_fn(struct store_txn *t, void *arg)
{
	return store_counter_next(t, "crl", arg);
}

static int
crl_add_entry(X509_CRL *crl, const struct crl_entry *e)
{
	X509_REVOKED	*rev = NULL;
	ASN1_INTEGER	*sn = NULL;
	ASN1_TIME	*when = NULL;
	ASN1_ENUMERATED	*reason = NULL;
	int		 rc = -1;

	if ((rev = X509_REVOKED_new()) == NULL ||
	    (sn = serial_to_asn1(e->serial, e->serial_len)) == NULL ||
	    (when = ASN1_TIME_set(NULL, (time_t)e->revoked_at)) == NULL ||
	    !X509_REVOKED_set_serialNumber(rev, sn) ||
	    !X509_REVOKED_set_revocationDate(rev, when))
		goto out;
	/* RFC 5280 5.3.1: unspecified is said by leaving the reason out. */
	if (e->reason != 0) {
		if ((reason = ASN1_ENUMERATED_new()) == NULL ||
		    !ASN1_ENUMERATED_set(reason, e->reason) ||
		    !X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0,
		    0))
			goto out;
	}
	if (!X509_CRL_add0_revoked(crl, rev))
		goto out;
	rev = NULL;
	rc = 0;
out:
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(sn);
	X509_REVOKED_free(rev);
	return rc;
}

/* The Issuing Distribution Point: the full name URL, nothing else. */
static int
crl_add_idp(X509_CRL *crl, const char *url)
{
	ISSUING_DIST_POINT	*idp = NULL;
	GENERAL_NAME		*gn = NULL;
	ASN1_IA5STRING		*uri = NULL;
	int			 rc = -1;

	if ((idp = ISSUING_DIST_POINT_new()) == NULL ||
	    (idp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (idp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL ||
	    (uri = ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(uri, url, (int)strlen(url)))
		goto out;
	idp->distpoint->type = 0;
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (!sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	/* Critical, as RFC 5280 5.2.5 asks. */
	if (!X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp,
	    1, 0))
		goto out;
	rc = 0;
out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	ISSUING_DIST_POINT_free(idp);
	return rc;
}

/* Sign a CRL of cc's entries; its DER in *der. */
static int
crl_build(struct ca *ca, const struct crl_collect *cc, uint64_t number,
    int64_t now, unsigned char **der, int *der_len, struct pica_err *err)
{
	const struct conf	*cf = ca->conf;
	X509_CRL		*crl = NULL;
	X509V3_CTX		 ctx;
	X509_EXTENSION		*aki = NULL;
	ASN1_TIME		*t = NULL;
	ASN1_INTEGER		*num = NULL;
	size_t			 i;
	int			 rc = -1;

	*der = NULL;
	if ((crl = X509_CRL_new()) == NULL ||
	    !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
	    (t = ASN1_TIME_set(NULL, (time_t)now)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_set(t, (time_t)(now + cf->crl_cache_duration)) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t))
		goto ssl;
	for (i = 0; i < cc->n; i++)
		if (crl_add_entry(crl, &cc->v[i]) == -1)
			goto ssl;
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	if ((aki = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    !X509_CRL_add_ext(crl, aki, -1) ||
	    (num = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(num, number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0))
		goto ssl;
	if (cf->crl_idp_url != NULL && crl_add_idp(crl, cf->crl_idp_url) == -1)
		goto ssl;
	/* X509_CRL_sign sorts the entries by serial before it encodes. */
	if (X509_CRL_sign(crl, ca->key, signer_md(ca->key)) <= 0 ||
	    (*der_len = i2d_X509_CRL(crl, der)) <= 0)
		goto ssl;
	rc = 0;
	goto out;
ssl:
	pica_err_ssl(err, PICA_E_INTERNAL, "crl: building the CRL");
out:
	ASN1_INTEGER_free(num);
	X509_EXTENSION_free(aki);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return rc;
}

/* The CRL as PEM, a malloc'd buffer. */
static int
crl_pem(const unsigned char *der, int der_len, char **pem, size_t *len,
    struct pica_err *err)
{
	BIO	*bio = NULL;
	char	*p;
	long	 n;
	int	 rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio(bio, PEM_STRING_X509_CRL, "", der, der_len)) {
		pica_err_ssl(err, PICA_E_INTERNAL, "crl: PEM");
		goto out;
	}
	n = BIO_get_mem_data(bio, &p);
	*pem = xcalloc(1, (size_t)n + 1);
	memcpy(*pem, p, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

/*
 * Hold the lock that orders the CRL writers of this CA (pica crl, pica
 * revoke, the crl program): CRL numbers reach the web root in the order
 * they were taken.  The lock file lives beside the store, not in the web
 * root.  The descriptor, or -1.
 */
static int
crl_lock(const struct conf *cf, struct pica_err *err)
{
	char	*path;
	int	 fd;

	if ((path = util_path_join(cf->db_dir, "crl.lock")) == NULL)
		return pica_err_set(err, PICA_E_INTERNAL, "crl: lock path");
	/* Read-only and 0644: a writer of another user can lock it too. */
	if ((fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    flock(fd, LOCK_EX) == -1) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

static int
crl_revocations_fn(struct store_txn *t, void *arg)
{
	return store_counter_get(t, STORE_COUNTER_REVOCATIONS, arg);
}

/* How many revocations the store has seen. */
static int
crl_revocations(struct store *st, uint64_t *n, struct pica_err *err)
{
	if (store_run(st, crl_revocations_fn, n) != 0)
		return pica_err_set(err, PICA_E_INTERNAL, "crl: reading the "
		    "revocation counter failed");
	return 0;
}

/* Collect, number, sign and write one CRL. */
static int
crl_publish_once(struct ca *ca, struct store *st, int64_t now,
    struct crl_info *info, struct pica_err *err)
{
	const struct conf	*cf = ca->conf;
	struct crl_collect	 cc;
	unsigned char		*der = NULL;
	char			*pem = NULL, *path = NULL;
	size_t			 pem_len = 0;
	uint64_t		 number = 0;
	int			 rc = -1, der_len = 0;

	memset(&cc, 0, sizeof(cc));
	cc.cutoff = now - CRL_EXPIRED_GRACE;
	if (store_cert_foreach(st, STORE_BY_REVOCATION, crl_collect_one,
	    &cc) != 0) {
		pica_err_set(err, PICA_E_INTERNAL, "crl: reading the revoked "
		    "certificates failed");
		goto out;
	}
	if (store_run(st, crl_number_fn, &number) != 0) {
		pica_err_set(err, PICA_E_INTERNAL, "crl: the CRL number could "
		    "not be taken from the store");
		goto out;
	}
	if (crl_build(ca, &cc, number, now, &der, &der_len, err) == -1 ||
	    crl_pem(der, der_len, &pem, &pem_len, err) == -1)
		goto out;
	if (util_mkdirs(cf->www_dir, 0755, err) == -1)
		goto out;
	/* DER first: it is what relying parties fetch. */
	if ((path = util_path_join(cf->www_dir, CRL_FILE_DER)) == NULL ||
	    util_write_file(path, der, (size_t)der_len, 0644, 1, err) == -1)
		goto out;
	free(path);
	if ((path = util_path_join(cf->www_dir, CRL_FILE_PEM)) == NULL ||
	    util_write_file(path, pem, pem_len, 0644, 1, err) == -1)
		goto out;
	if (info != NULL) {
		info->number = number;
		info->entries = cc.n;
		info->this_update = now;
		info->next_update = now + cf->crl_cache_duration;
		info->der_len = (size_t)der_len;
	}
	rc = 0;
out:
	free(path);
	free(pem);
	OPENSSL_free(der);
	free(cc.v);
	return rc;
}

/*
 * A revocation committed while a CRL is being made may miss it, and the
 * revoker's crl_invalidate may come before this writer's rename: after
 * writing, look whether the store's revocation counter moved, and if it
 * did, make the CRL again.  Bounded: a steady stream of revocations
 * leaves the last CRL one behind, and the next revocation's
 * invalidation or the next scheduled run catches up.
 */
#define CRL_PUBLISH_TRIES	5

/* Publish under the lock; with if_stale only when crl_is_stale says so. */
static int
crl_publish_locked(struct ca *ca, struct store *st, int64_t now,
    int if_stale, struct crl_info *info, struct pica_err *err)
{
	uint64_t	 before, after;
	int		 rc = -1, fd = -1, i;
	int64_t		 t;

	if (ca->key == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "crl: the CA key is not "
		    "loaded");
		goto out;
	}
	if ((fd = crl_lock(ca->conf, err)) == -1)
		goto out;
	/* Another writer may have made it while this one waited. */
	if (if_stale && !crl_is_stale(ca->conf, now)) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < CRL_PUBLISH_TRIES; i++) {
		t = (int64_t)time(NULL);
		if (crl_revocations(st, &before, err) == -1 ||
		    crl_publish_once(ca, st, i == 0 || t < now ? now : t, info,
		    err) == -1 ||
		    crl_revocations(st, &after, err) == -1)
			goto out;
		if (after == before)
			break;
	}
	rc = 1;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

int
crl_publish(struct ca *ca, struct store *st, int64_t now,
    struct crl_info *info, struct pica_err *err)
{
	return crl_publish_locked(ca, st, now, 0, info, err) == -1 ? -1 : 0;
}

int
crl_refresh(struct ca *ca, struct store *st, int64_t now,
    struct crl_info *info, struct pica_err *err)
{
	if (!crl_is_stale(ca->conf, now))
		return 0;
	return crl_publish_locked(ca, st, now, 1, info, err);
}

int
crl_next_update(const struct conf *cf, int64_t *next)
{
	char			*path = NULL, *data = NULL;
	const unsigned char	*p;
	size_t			 len = 0;
	X509_CRL		*crl = NULL;
	struct pica_err		 err;
	int			 rc = -1;

	if ((path = util_path_join(cf->www_dir, CRL_FILE_PEM)) == NULL ||
	    access(path, F_OK) == -1)
		goto out;
	free(path);
	if ((path = util_path_join(cf->www_dir, CRL_FILE_DER)) == NULL ||
	    access(path, F_OK) == -1 ||
	    util_read_file(path, CRL_MAX_FILE, &data, &len, &err) == -1)
		goto out;
	p = (const unsigned char *)data;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL ||
	    ca_time(X509_CRL_get0_nextUpdate(crl), next) == -1)
		goto out;
	rc = 0;
out:
	X509_CRL_free(crl);
	free(data);
	free(path);
	return rc;
}

int
crl_is_stale(const struct conf *cf, int64_t now)
{
	int64_t	 next;

	if (crl_next_update(cf, &next) == -1)
		return 1;
	return now >= next - cf->crl_cache_duration / 2;
}

int
crl_invalidate(const struct conf *cf, struct pica_err *err)
{
	static const char *const files[] = { CRL_FILE_DER, CRL_FILE_PEM };
	char	*path;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((path = util_path_join(cf->www_dir, files[i])) == NULL)
			return -1;
		if (unlink(path) == -1 && errno != ENOENT) {
			pica_err_set(err, PICA_E_INTERNAL, "%s: %s", path,
			    strerror(errno));
			rc = -1;
		}
		free(path);
	}
	return rc;
}
