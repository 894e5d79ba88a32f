/*
 * csr.h: what a certificate request must be before pica signs it.
 */
#ifndef PICA_CSR_H
#define PICA_CSR_H

#include <stddef.h>

#include <openssl/x509v3.h>

#include "err.h"

/* Largest CSR accepted, PEM or DER. */
#define CSR_MAX_SIZE	(64 * 1024)

/*
 * Key rules: RSA 2048 to 8192 bits with a sane public exponent, EC on
 * P-256 or P-384 with a valid point, Ed25519.  PICA_E_BADPUBKEY otherwise.
 */
int	 csr_check_pubkey(EVP_PKEY *, struct pica_err *);

/*
 * Parse a CSR (PEM or DER), verify its self-signature and check its key:
 * PICA_E_BADCSR or PICA_E_BADPUBKEY with the reason.
 */
int	 csr_parse(const void *buf, size_t len, X509_REQ **out,
	    struct pica_err *);

/*
 * The names a CSR asks for: its subject common name (NULL when none) and
 * its subjectAltNames as "DNS:name", "IP:addr", "email:addr", "URI:uri".
 */
int	 csr_names(X509_REQ *, char **cn, char ***names, size_t *n,
	    struct pica_err *);

/* The SANs of a GENERAL_NAMES as strings in the form above. */
int	 csr_general_names(const GENERAL_NAMES *, char ***names, size_t *n,
	    struct pica_err *);

/* Free a list of names. */
void	 csr_names_free(char **names, size_t n);

#endif
