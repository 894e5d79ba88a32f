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

/* Load the intermediate's key into ca (ca_open without it), checked. */
int	 ca_load_key(struct ca *, struct pica_err *);

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
	int		 csr_only;	/* no root: a CSR for the offline one */
	const char	*template_src;	/* shipped templates to copy */
	const char	*state;		/* store, www and the OCSP responder's
					   certificate here, or NULL: in dir */
};

/*
 * Make a new root and intermediate, pica.json, the store and the profile
 * templates under ci->dir.  Everything is made in a temporary directory
 * beside it and moved into place at the end, so a failure leaves nothing
 * behind.  The root's SHA-256 fingerprint goes to fpr (hex with colons).
 */
int	 ca_create(const struct ca_init *ci, char *fpr, size_t fprlen,
	    struct pica_err *);

/* Whether dir may become a CA: it holds none of a CA's entries. */
int	 ca_check_target(const char *dir, struct pica_err *);

/* The intermediate's CSR that `pica init --csr-only` writes. */
#define CA_CSR_FILE	"intermediate.csr"

/*
 * Complete a CA made with csr_only: check that the intermediate
 * certificate at inter_path is for the CA's key and chains to the root
 * at root_path, then install both, make the store and the OCSP
 * responder's certificate.  Nothing is written when a check fails.
 */
int	 ca_complete(const char *dir, const char *inter_path,
	    const char *root_path, char *fpr, size_t fprlen,
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

/*
 * A CA certificate for pub with subject, issued by issuer with
 * issuer_key (issuer NULL: self-signed with issuer_key), valid
 * from a minute ago to not_after, CA:TRUE with pathlen.
 */
int	 ca_sign_ca_cert(EVP_PKEY *pub, const X509_NAME *subject, X509 *issuer,
	    EVP_PKEY *issuer_key, int64_t not_after, int pathlen, X509 **out,
	    struct pica_err *);

/* The name O=org, CN=cn, or NULL. */
X509_NAME	*ca_name(const char *org, const char *cn);

/* An ASN1_TIME as seconds since the epoch; -1 when it does not parse. */
int	 ca_time(const ASN1_TIME *, int64_t *out);

/* Read one PEM certificate file. */
int	 ca_read_cert(const char *path, X509 **out, struct pica_err *);

/* SHA-256 fingerprint of cert as upper-case hex with colons. */
void	 ca_fingerprint(X509 *cert, char *buf, size_t len);

#endif
