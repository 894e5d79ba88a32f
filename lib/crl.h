/*
 * crl.h: the CRL, built from the store's revoked certificates, signed by
 * the intermediate and published as static files in the web root.
 */
#ifndef PICA_CRL_H
#define PICA_CRL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ca;
struct conf;
struct store;

/* A revoked certificate stays on the CRL this long after it expired. */
#define CRL_EXPIRED_GRACE	(7 * 86400)

/* The files crl_publish writes under the web root. */
#define CRL_FILE_DER	"crl"
#define CRL_FILE_PEM	"crl.pem"

/* What crl_publish made. */
struct crl_info {
	uint64_t	 number;	/* the CRL number */
	size_t		 entries;	/* revoked certificates on it */
	int64_t		 this_update;
	int64_t		 next_update;
	size_t		 der_len;
};

/*
 * Build and sign the CRL at time now with the CA's key (ca_open with the
 * key), take the next CRL number from the store, and write it atomically
 * as DER (www/crl) and PEM (www/crl.pem).  Writers of one CA take turns
 * (a lock file beside the store), and one that raced a revocation makes
 * the CRL again.  info may be NULL.
 */
int	 crl_publish(struct ca *, struct store *, int64_t now,
	    struct crl_info *info, struct pica_err *);

/*
 * crl_publish when crl_is_stale: 1 when it made a CRL, 0 when the
 * published one is fresh (info untouched), -1 on error.
 */
int	 crl_refresh(struct ca *, struct store *, int64_t now,
	    struct crl_info *info, struct pica_err *);

/*
 * The crl FastCGI program: the web server passes it GET /crl and
 * /crl.pem when the file is missing; it makes the CRL when it is missing
 * or stale and answers with the file.  Returns the exit status.
 */
int	 crl_main(int argc, char *argv[]);

/*
 * The nextUpdate of the published CRL: -1 when either file is missing or
 * the DER one unreadable.
 */
int	 crl_next_update(const struct conf *, int64_t *next);

/*
 * Whether the published CRL must be made again: either file is missing,
 * the DER one is unreadable, or it is past its renewal point (half of
 * crl.cacheDuration before nextUpdate).
 */
int	 crl_is_stale(const struct conf *, int64_t now);

/*
 * After a revocation by a program that holds no key: remove the published
 * files, so that the next fetch reaches the crl program, which makes them
 * again with the revocation on.  -1 when they stay.
 */
int	 crl_invalidate(const struct conf *, struct pica_err *);

#endif
