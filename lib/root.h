/*
 * root.h: the offline root.  It is made on a machine that never serves
 * (`pica root init`), signs the intermediates' CSRs there (`pica root
 * sign`), and its key never reaches the online CA.  Its directory holds
 * root.json (name, certificate, key: a PEM file or a pkcs11: URI),
 * certs/root.pem and, for a file key, secrets/root.key.
 */
#ifndef PICA_ROOT_H
#define PICA_ROOT_H

#include <stdint.h>

#include "err.h"

#define ROOT_CONF		"root.json"
/* Defaults: a root for 20 years, an intermediate for 10 (within it). */
#define ROOT_LIFETIME		(20LL * 365 * 86400)
#define ROOT_INT_LIFETIME	(10LL * 365 * 86400)

struct root_init {
	const char	*dir;		/* created; must not exist or be empty */
	const char	*name;		/* "Example" -> "Example Root CA" */
	const char	*key;		/* pkcs11: URI, or NULL: a new file key */
	const char	*kty;		/* for a new file key: "EC", "RSA" */
	int		 bits;
	int64_t		 lifetime;	/* seconds; 0: ROOT_LIFETIME */
};

/* Make the root; its SHA-256 fingerprint into fpr. */
int	 root_create(const struct root_init *, char *fpr, size_t fprlen,
	    struct pica_err *);

/*
 * Sign the CSR at csr_path (PEM or DER, its signature checked) with the
 * root in dir: a CA certificate with pathlen, for lifetime seconds (0:
 * ROOT_INT_LIFETIME) but never past the root's own end, written to out
 * (which must not exist).
 */
int	 root_sign(const char *dir, const char *csr_path, const char *out,
	    int pathlen, int64_t lifetime, struct pica_err *);

#endif
