/*
 * root.c: the offline root (see root.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"
#include "root.h"
#include "signer.h"
#include "util.h"

/* The largest CSR root_sign reads. */
#define ROOT_CSR_MAX	(64 * 1024)

/* *path becomes dir/name (the old one freed); -1 when out of memory. */
static int
root_join(const char *dir, const char *name, char **path,
    struct pica_err *err)
{
	free(*path);
	if ((*path = util_path_join(dir, name)) == NULL)
		return pica_err_set(err, PICA_E_INTERNAL, "out of memory");
	return 0;
}

int
root_create(const struct root_init *ri, char *fpr, size_t fprlen,
    struct pica_err *err)
{
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL;
	X509_NAME	*name = NULL;
	json_t		*doc = NULL;
	char		*path = NULL, *text = NULL, cn[512];
	int		 rc = -1, made_dir = 0;

	if (mkdir(ri->dir, 0755) == -1) {
		pica_err_set(err, PICA_E_USAGE, "%s: %s", ri->dir,
		    errno == EEXIST ? "exists already" : strerror(errno));
		goto out;
	}
	made_dir = 1;
	if ((ri->key != NULL ? signer_load(ri->key, NULL, &key, err) :
	    signer_keygen(ri->kty ? ri->kty : "EC", ri->bits, &key, err)) ==
	    -1)
		goto out;
	snprintf(cn, sizeof(cn), "%s Root CA", ri->name);
	if ((name = ca_name(ri->name, cn)) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "the root's name");
		goto out;
	}
	if (ca_sign_ca_cert(key, name, NULL, key, (int64_t)time(NULL) +
	    (ri->lifetime > 0 ? ri->lifetime : ROOT_LIFETIME), 1, &cert,
	    err) == -1)
		goto out;
	if (root_join(ri->dir, "certs", &path, err) == -1 ||
	    util_mkdirs(path, 0755, err) == -1 ||
	    root_join(ri->dir, "certs/root.pem", &path, err) == -1 ||
	    ca_write_pem(path, &cert, 1, 0, err) == -1)
		goto out;
	if (ri->key == NULL &&
	    (root_join(ri->dir, "secrets", &path, err) == -1 ||
	    util_mkdirs(path, 0700, err) == -1 ||
	    root_join(ri->dir, "secrets/root.key", &path, err) == -1 ||
	    signer_write_key(path, key, err) == -1))
		goto out;
	doc = json_pack("{s:s, s:s, s:s}", "name", ri->name, "crt",
	    "certs/root.pem", "key", ri->key != NULL ? ri->key :
	    "secrets/root.key");
	if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (root_join(ri->dir, ROOT_CONF, &path, err) == -1 ||
	    util_write_file(path, text, strlen(text), 0644, 0, err) == -1)
		goto out;
	ca_fingerprint(cert, fpr, fprlen);
	made_dir = 0;
	rc = 0;
out:
	if (made_dir)
		util_remove_tree(ri->dir);
	free(text);
	json_decref(doc);
	free(path);
	X509_NAME_free(name);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* The root of dir: its certificate and key. */
static int
root_open(const char *dir, X509 **cert, EVP_PKEY **key, struct pica_err *err)
{
	json_t		*doc = NULL;
	json_error_t	 jerr;
	const char	*crt, *ref;
	char		*path = NULL;
	int		 rc = -1;

	if (root_join(dir, ROOT_CONF, &path, err) == -1)
		goto out;
	if ((doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		pica_err_set(err, PICA_E_USAGE, "%s: %s (is %s a root made "
		    "by `pica root init`?)", path, jerr.text, dir);
		goto out;
	}
	if ((crt = json_string_value(json_object_get(doc, "crt"))) == NULL ||
	    (ref = json_string_value(json_object_get(doc, "key"))) == NULL) {
		pica_err_set(err, PICA_E_CONFIG, "%s: \"crt\" and \"key\" are "
		    "required", path);
		goto out;
	}
	if (root_join(dir, crt, &path, err) == -1 ||
	    ca_read_cert(path, cert, err) == -1)
		goto out;
	/* A file key is named relative to dir; a token key by its URI. */
	if (strncmp(ref, "pkcs11:", 7) != 0 &&
	    root_join(dir, ref, &path, err) == -1)
		goto out;
	if (signer_load(strncmp(ref, "pkcs11:", 7) == 0 ? ref : path, NULL,
	    key, err) == -1)
		goto out;
	if (!signer_matches(*key, *cert)) {
		pica_err_set(err, PICA_E_CONFIG, "%s: the root key does not "
		    "match its certificate", dir);
		goto out;
	}
	rc = 0;
out:
	free(path);
	json_decref(doc);
	return rc;
}

/* A CSR in PEM or DER, its signature checked. */
static int
root_read_csr(const char *path, X509_REQ **out, struct pica_err *err)
{
	char			*data = NULL;
	const unsigned char	*p;
	size_t			 len = 0;
	BIO			*bio = NULL;
	EVP_PKEY		*pub;
	int			 rc = -1;

	*out = NULL;
	if (util_read_file(path, ROOT_CSR_MAX, &data, &len, err) == -1)
		goto out;
	if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL)
		*out = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	if (*out == NULL) {
		p = (const unsigned char *)data;
		*out = d2i_X509_REQ(NULL, &p, (long)len);
	}
	if (*out == NULL) {
		pica_err_set(err, PICA_E_BADCSR, "%s: not a CSR (PEM or DER)",
		    path);
		goto out;
	}
	if ((pub = X509_REQ_get0_pubkey(*out)) == NULL ||
	    X509_REQ_verify(*out, pub) != 1) {
		pica_err_set(err, PICA_E_BADCSR, "%s: the CSR's signature "
		    "does not verify", path);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		X509_REQ_free(*out);
		*out = NULL;
	}
	BIO_free(bio);
	free(data);
	return rc;
}

int
root_sign(const char *dir, const char *csr_path, const char *out_path,
    int pathlen, int64_t lifetime, struct pica_err *err)
{
	X509		*root = NULL, *cert = NULL;
	EVP_PKEY	*key = NULL;
	X509_REQ	*req = NULL;
	int64_t		 not_after, root_end;
	int		 rc = -1;

	if (access(out_path, F_OK) == 0) {
		pica_err_set(err, PICA_E_USAGE, "%s exists already", out_path);
		goto out;
	}
	if (pathlen < 0 || pathlen > 8) {
		pica_err_set(err, PICA_E_USAGE, "path length %d: 0 to 8",
		    pathlen);
		goto out;
	}
	if (root_read_csr(csr_path, &req, err) == -1 ||
	    root_open(dir, &root, &key, err) == -1)
		goto out;
	if (ca_time(X509_get0_notAfter(root), &root_end) == -1) {
		pica_err_ssl(err, PICA_E_INTERNAL, "the root's notAfter");
		goto out;
	}
	not_after = (int64_t)time(NULL) + (lifetime > 0 ? lifetime :
	    ROOT_INT_LIFETIME);
	if (not_after > root_end)
		not_after = root_end;
	if (ca_sign_ca_cert(X509_REQ_get0_pubkey(req),
	    X509_REQ_get_subject_name(req), root, key, not_after, pathlen,
	    &cert, err) == -1 ||
	    ca_write_pem(out_path, &cert, 1, 0, err) == -1)
		goto out;
	rc = 0;
out:
	X509_REQ_free(req);
	X509_free(cert);
	X509_free(root);
	EVP_PKEY_free(key);
	return rc;
}
