/*
 * ca.h: the CA itself: its certificates and signing key, and the making
 * of a new one (`pica init`).
 */
#ifndef PICA_CA_H
#define PICA_CA_H

#include <openssl/x509v3.h>

#include "err.h"

struct conf;

struct ca {
	const struct conf	*conf;	/* borrowed */
	X509			*root;
	X509			*cert;	/* the intermediate that signs */
	EVP_PKEY		*key;	/* its key; NULL unless loaded */
};

/*
 * Load the root and intermediate certificates named by conf and, with
 * with_key, the intermediate's key (checked against its certificate).
 */
int	 ca_open(const struct conf *, int with_key, struct ca **out,
	    struct pica_err *);
void	 ca_free(struct ca *);

/* What `pica init` needs to make a CA. */
struct ca_init {
	const char	*dir;		/* created; must not hold a CA */
	const char	*name;		/* "Example" → "Example Root CA" */
	const char	**dns;		/* the CA's own host names */
	size_t		 n_dns;
	const char	*url;		/* externalURL; NULL: https://dns[0] */
	const char	*http_url;	/* httpURL; NULL: derived */
	const char	*kty;		/* "EC" (default), "RSA" */
	int		 bits;		/* 0: the type's default */
	const char	*key;		/* the intermediate's key on a token
					   (pkcs11: URI), or NULL: a new one */
	const char	*template_src;	/* shipped templates to copy */
};

/*
 * Make a new root and intermediate, pica.json, the store and the profile
 * templates under ci->dir.  Everything is made in a temporary directory
 * beside it and moved into place at the end, so a failure leaves nothing
 * behind.  The root's SHA-256 fingerprint goes to fpr (hex with colons).
 */
int	 ca_create(const struct ca_init *ci, char *fpr, size_t fprlen,
	    struct pica_err *);

/* Write certs as PEM to path (mode 0644, atomically). */
int	 ca_write_pem(const char *path, X509 *const *certs, size_t n,
	    int replace, struct pica_err *);

/*
 * Add one extension given in OpenSSL's configuration syntax
 * ("critical,CA:TRUE", "URI:http://...") to cert.
 */
int	 ca_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value,
	    struct pica_err *);

/* Read one PEM certificate file. */
int	 ca_read_cert(const char *path, X509 **out, struct pica_err *);

/* SHA-256 fingerprint of cert as upper-case hex with colons. */
void	 ca_fingerprint(X509 *cert, char *buf, size_t len);

#endif
