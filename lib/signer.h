/*
 * signer.h: the CA's private keys.
 *
 * A key reference is a PEM file path or an RFC 7512 pkcs11: URI.  Only
 * programs that sign (acme-finalize, ocsp, crl, pica) call signer_load;
 * nothing here ever logs or prints key material.
 */
#ifndef PICA_SIGNER_H
#define PICA_SIGNER_H

#include <openssl/evp.h>

#include "err.h"

/*
 * Load the private key ref names: a PEM file, or a pkcs11: URI (p11.h)
 * with module as the module-path when the URI has none (may be NULL).
 */
int	 signer_load(const char *ref, const char *module, EVP_PKEY **out,
	    struct pica_err *);

/* The digest a signature with key uses (NULL for Ed25519). */
const EVP_MD	*signer_md(const EVP_PKEY *key);

/*
 * A new key pair: kty "EC" (bits 256 or 384), "RSA" (2048 to 8192, a
 * multiple of 8), "OKP" (Ed25519; bits ignored).  bits 0 picks P-256 or
 * RSA 2048.
 */
int	 signer_keygen(const char *kty, int bits, EVP_PKEY **out,
	    struct pica_err *);

/* Write key as PKCS#8 PEM, mode 0600, refusing to replace a file. */
int	 signer_write_key(const char *path, EVP_PKEY *key, struct pica_err *);

/* Whether key is the private half of cert's public key. */
int	 signer_matches(EVP_PKEY *key, X509 *cert);

#endif
