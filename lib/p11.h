/*
 * p11.h: private keys on PKCS#11 tokens, named by RFC 7512 URIs
 * ("pkcs11:token=pica;object=intermediate;type=private
 * ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/pica/pin").
 */
#ifndef PICA_P11_H
#define PICA_P11_H

#include <openssl/evp.h>

#include "err.h"

/* The environment variable a PIN may come from (pin-source wins). */
#define P11_PIN_ENV	"PICA_PKCS11_PIN"

/*
 * Open the module, find the token and the private key the URI names, log
 * in (once per token and process) and hand out the key, which signs on
 * the token.  module is the module-path to use when the URI has none (may
 * be NULL).  The URI must not carry a pin-value: the PIN comes from its
 * pin-source file or from $PICA_PKCS11_PIN.  Errors name the URI and
 * never the PIN.  The module stays loaded until the process exits.
 */
int	 p11_key_load(const char *uri, const char *module, EVP_PKEY **out,
	    struct pica_err *);

/*
 * Generate a key pair on the token the URI names, under its object label
 * (required) and id (random when absent): kty "EC" (bits 256 or 384, 0
 * for 256) or "RSA" (2048 to 8192, 0 for 2048).  The private half is
 * sensitive and never extractable.  Refuses a label the token already
 * holds a private key under.
 */
int	 p11_key_generate(const char *uri, const char *module, const char *kty,
	    int bits, struct pica_err *);

#endif
