/*
 * jws.h: RFC 7515 JSON Web Signatures as ACME uses them (RFC 8555 6.2):
 * the flattened JSON serialization, one signature, a protected header
 * holding alg, nonce, url and exactly one of jwk and kid.
 */
#ifndef PICA_JWS_H
#define PICA_JWS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "err.h"

/* Nesting and size bounds for what a client sends. */
#define JWS_MAX_DEPTH	8

struct jws {
	json_t		*header;	/* the decoded protected header */
	const char	*alg;		/* all below point into header */
	const char	*nonce;		/* NULL when absent */
	const char	*url;		/* NULL when absent */
	const char	*kid;		/* NULL when absent */
	json_t		*jwk;		/* NULL when absent */
	unsigned char	*payload;	/* decoded; NUL-terminated */
	size_t		 payload_len;	/* 0 for POST-as-GET */
	char		*signing_input;	/* "protected.payload" as sent */
	size_t		 signing_input_len;
	unsigned char	*sig;
	size_t		 sig_len;
};

/*
 * Parse a flattened JWS: JSON with "protected", "payload", "signature"
 * (and nothing but an optional empty "header"), duplicate keys refused,
 * depth bounded.  alg must be ES256, ES384, RS256 or EdDSA (HS256 only
 * when allow_mac, for EAB): PICA_E_BADSIGALG otherwise; anything else
 * wrong is PICA_E_MALFORMED with the reason.  Does not verify.
 */
int	 jws_parse(const void *body, size_t len, int allow_mac, struct jws *out,
	    struct pica_err *);

/* Free what jws_parse made. */
void	 jws_free(struct jws *);

/*
 * Verify the signature with key, whose type must fit alg (ES256 P-256,
 * ES384 P-384, RS256 RSA >= 2048, EdDSA Ed25519): PICA_E_BADSIGALG for a
 * mismatch, PICA_E_MALFORMED for a signature that does not verify
 * (RFC 8555 says malformed; callers may say unauthorized).
 */
int	 jws_verify(const struct jws *, EVP_PKEY *key, struct pica_err *);

/* Verify an HS256 MAC (External Account Binding) with key. */
int	 jws_verify_mac(const struct jws *, const unsigned char *key,
	    size_t keylen, struct pica_err *);

/*
 * A public key from a JWK (kty EC with crv P-256/P-384, RSA, OKP with
 * crv Ed25519); private members refused.  PICA_E_BADPUBKEY when it is
 * not a key pica accepts (RSA < 2048, other curves, off-curve points).
 */
int	 jwk_to_pkey(json_t *jwk, EVP_PKEY **out, struct pica_err *);

/* The JWK of a public key (for tests and key-change). */
json_t	*jwk_from_pkey(EVP_PKEY *);

/* RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)), 43 chars. */
int	 jwk_thumbprint(json_t *jwk, char out[64]);

/* base64url without padding. */
char	*b64url_encode(const void *, size_t);
/* Decode base64url (no padding, no other characters); -1 on bad input. */
int	 b64url_decode(const char *, unsigned char **out, size_t *len);

/*
 * Sign payload (NULL for POST-as-GET) as a flattened JWS with key, for
 * tests: header gets alg, nonce, url, and kid when kid is not NULL, else
 * the jwk.  Returns a new JSON text.
 */
char	*jws_sign(EVP_PKEY *key, const char *kid, const char *nonce,
	    const char *url, const char *payload);

#endif
