/*
 * err.h: the error a library call hands back to its caller.
 *
 * Library code does not print user-facing errors itself: it fills a
 * struct pica_err with a class (which the ACME programs map to a problem
 * type and the CLI ignores) and a precise message naming what was wrong.
 */
#ifndef PICA_ERR_H
#define PICA_ERR_H

#include <stddef.h>

enum pica_errc {
	PICA_E_NONE = 0,
	PICA_E_INTERNAL,	/* our fault: I/O, store, OpenSSL failure */
	PICA_E_CONFIG,		/* bad pica.json or template file */
	PICA_E_USAGE,		/* bad argument from the caller */
	PICA_E_BADCSR,		/* unparsable CSR, bad signature */
	PICA_E_BADPUBKEY,	/* key type or size not accepted */
	PICA_E_REJECTED,	/* name refused by the policy */
	PICA_E_UNSUPPORTED_ID,	/* identifier type we do not issue for */
	PICA_E_PROFILE,		/* unknown profile */
	PICA_E_NOTFOUND,	/* no such record */
	PICA_E_EXISTS,		/* record already there */
	PICA_E_ALREADY_REVOKED,

	/* ACME problems (RFC 8555 section 6.7) not covered above. */
	PICA_E_MALFORMED,	/* malformed request */
	PICA_E_BADNONCE,
	PICA_E_BADSIGALG,	/* badSignatureAlgorithm */
	PICA_E_UNAUTHORIZED,
	PICA_E_NOACCOUNT,	/* accountDoesNotExist */
	PICA_E_ORDER_NOT_READY,
	PICA_E_EAB_REQUIRED,	/* externalAccountRequired */
	PICA_E_RATELIMITED,
	PICA_E_CONNECTION,
	PICA_E_DNS,
	PICA_E_INCORRECT,	/* incorrectResponse */
	PICA_E_TLS,
	PICA_E_BAD_REASON,	/* badRevocationReason */
	PICA_E_INVALID_CONTACT,
	PICA_E_UNSUPPORTED_CONTACT,
	PICA_E_METHOD,		/* HTTP 405 */
	PICA_E_MEDIA_TYPE,	/* HTTP 415 */
	PICA_E_TOO_LARGE,	/* HTTP 413 */
	PICA_E_PIN,		/* a token refused the PIN: do not retry */
};

struct pica_err {
	enum pica_errc	 code;
	char		 msg[512];
};

/* Set err (when not NULL) to code and a printf-style message; returns -1. */
int	 pica_err_set(struct pica_err *err, enum pica_errc code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like pica_err_set, appending the first OpenSSL error of the queue. */
int	 pica_err_ssl(struct pica_err *err, enum pica_errc code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clear err. */
void	 pica_err_clear(struct pica_err *err);

#endif
