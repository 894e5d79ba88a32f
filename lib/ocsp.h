/*
 * ocsp.h: the OCSP responder (RFC 6960, RFC 5019 profile) and its
 * delegated signing certificate.
 */
#ifndef PICA_OCSP_H
#define PICA_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ca;
struct conf;
struct store;

/* Requests in one OCSP request that are answered; more is malformed. */
#define OCSP_MAX_REQUESTS	256
/* RFC 8954: a nonce has 1 to 32 octets. */
#define OCSP_NONCE_MAX		32

/*
 * Make the delegated responder certificate (ocsp.cert, key ocsp.key) when
 * it is missing, when force, or when less than a third of its life is
 * left; ca must hold the CA key.  A new key with it, but for a key on a
 * token or in a directory this process cannot write (both are certified
 * again).  *renewed says whether one was made.
 * Nothing to do (0) when pica.json names no ocsp.cert.
 */
int	 ocsp_signer_renew(struct ca *, struct store *, int force,
	    int64_t now, int *renewed, struct pica_err *);

/* Whether ocsp_signer_renew would make a new certificate now. */
int	 ocsp_signer_due(const struct conf *, int64_t now);

struct ocsp_responder;

/*
 * A responder for ca's intermediate that answers from st.  It signs with
 * ocsp.cert/ocsp.key, or with the CA key when pica.json names none (then
 * ca must hold it).
 */
int	 ocsp_responder_new(struct ca *, struct store *,
	    struct ocsp_responder **out, struct pica_err *);
void	 ocsp_responder_free(struct ocsp_responder *);

/* Whether the store failed in a way that needs a restart (exit 75). */
int	 ocsp_responder_panicked(const struct ocsp_responder *);

/* Load the signer again if its files changed (a renewal); 1 if it did. */
int	 ocsp_responder_reload(struct ocsp_responder *);

/* An answer and what HTTP caching needs to know of it. */
struct ocsp_answer {
	unsigned char	*der;		/* the OCSPResponse; free() it */
	size_t		 len;
	int		 cacheable;	/* one status, no nonce, successful */
	int64_t		 this_update;
	int64_t		 next_update;
	unsigned char	 etag[16];	/* of the DER */
};

/*
 * Answer the DER OCSPRequest req.  Every request gets an answer: bad
 * input is a malformedRequest response, another issuer's certificates
 * unauthorized; -1 only when no response could be made at all (the
 * store failed: internalError is what the caller sends then).
 */
int	 ocsp_respond(struct ocsp_responder *, const unsigned char *req,
	    size_t len, int64_t now, struct ocsp_answer *out);

/* A response with only a status (malformedRequest, internalError ...). */
int	 ocsp_status_only(int status, struct ocsp_answer *out);

void	 ocsp_answer_free(struct ocsp_answer *);

/*
 * The OCSP program: POST /ocsp and GET /ocsp/{base64} over FastCGI,
 * with pica.json from -c; its exit status.
 */
int	 ocsp_main(int argc, char *argv[]);

/* Decode GET's path part: %-escapes once, then base64; -1 on junk. */
int	 ocsp_get_decode(const char *path, unsigned char **out, size_t *len);

#endif
