/*
 * acme.h: the ACME server (RFC 8555), one handler per resource.
 *
 * Each FastCGI program in cgi-bin/ opens a struct acme (configuration,
 * store, CA certificates, and the CA key only in acme-finalize) and
 * passes every request to its handler.  Objects (accounts, orders,
 * authorizations, challenges) are JSON documents kept in the store's
 * ACME tables; their ids are 128-bit random base64url strings.
 */
#ifndef PICA_ACME_H
#define PICA_ACME_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "http.h"

struct conf;
struct store;
struct store_txn;
struct ca;

/* Lifetimes of the objects a client creates. */
#define ACME_NONCE_TTL		3600
#define ACME_ORDER_TTL		(7 * 86400)
#define ACME_AUTHZ_TTL		(30 * 86400)
#define ACME_ORDERS_PAGE	100
#define ACME_MAX_IDENTIFIERS	100
#define ACME_MAX_CONTACTS	8

struct acme {
	struct conf	*conf;
	struct store	*store;
	struct ca	*ca;
	char		*base;		/* externalURL + "/acme" */
	int		 store_panic;	/* exit after this request */
	char		 request_id[40];	/* for the log */
	char		*account_id;	/* of the request, once known */
	int64_t		 retry_after;	/* with a rateLimited problem */

	/* Work for after the response: a challenge to validate. */
	char		*pending_chall;
};

/*
 * Load the configuration named by -c / $PICA_CONFIG, the CA (with its
 * key when with_key) and the store.  Errors are logged.
 */
int	 acme_open(struct acme *, const char *config, int with_key);
void	 acme_close(struct acme *);

/*
 * The main of every ACME program: parse -c, open, serve requests with
 * handler (and after, for work after the response).  Returns the exit
 * status.
 */
int	 acme_main(int argc, char *argv[], const char *ident, int with_key,
	    int (*handler)(struct acme *, struct http_req *, struct http_resp *),
	    void (*after)(struct acme *));

/* The resources (DESIGN.md section 2). */
int	 acme_directory(struct acme *, struct http_req *, struct http_resp *);
int	 acme_nonce(struct acme *, struct http_req *, struct http_resp *);
int	 acme_account(struct acme *, struct http_req *, struct http_resp *);
int	 acme_order(struct acme *, struct http_req *, struct http_resp *);
int	 acme_finalize(struct acme *, struct http_req *, struct http_resp *);
int	 acme_authz(struct acme *, struct http_req *, struct http_resp *);
int	 acme_challenge(struct acme *, struct http_req *, struct http_resp *);
void	 acme_challenge_after(struct acme *);
int	 acme_cert(struct acme *, struct http_req *, struct http_resp *);
int	 acme_key_change(struct acme *, struct http_req *, struct http_resp *);
int	 acme_revoke(struct acme *, struct http_req *, struct http_resp *);
int	 acme_renewal_info(struct acme *, struct http_req *,
	    struct http_resp *);

/*
 * A certID of RFC 9773 (base64url(AKI).base64url(serial)) of this CA's
 * intermediate: the serial it names.
 */
int	 acme_certid_parse(struct acme *, const char *certid,
	    unsigned char *serial, size_t max, size_t *len, struct pica_err *);

/* --- shared by the handlers (acme_common.c) --------------------------- */

/* A request that passed the JWS checks. */
struct acme_post {
	json_t		*payload;	/* NULL for POST-as-GET */
	char		*account_id;	/* kid requests: the account */
	json_t		*account;	/* its record */
	json_t		*jwk;		/* jwk requests: the key (borrowed) */
	char		 thumbprint[64];
	void		*jws;		/* the parsed struct jws */
};

/* What a resource accepts: a kid (an account) or a jwk. */
#define ACME_KID	1
#define ACME_JWK	2

/*
 * Check a POST: method, content type, size, JWS syntax and algorithm,
 * nonce (consumed), url equal to the request's, kid of an existing valid
 * account or a jwk as allowed by want, signature.  0, or -1 with the
 * problem already in resp.
 */
int	 acme_post_open(struct acme *, struct http_req *, struct http_resp *,
	    int want, struct acme_post *);
void	 acme_post_close(struct acme_post *);

/*
 * err for a store call's failure r about what ("order"): no such one, or
 * a store failure; STORE_PANIC also marks the program for a restart.
 */
void	 acme_store_err(struct acme *, int r, struct pica_err *,
	    const char *what);

/* Answer with a problem document for err (type and HTTP status). */
void	 acme_problem(struct acme *, struct http_resp *,
	    const struct pica_err *);

/* A window length as Go prints it ("3h0m0s"), for messages. */
const char	*acme_window_text(int64_t sec);

/* The problem document for err, as stored on a challenge or an order. */
json_t	*acme_problem_doc(const struct pica_err *);

/* Headers every answer carries: Replay-Nonce, Link rel="index". */
void	 acme_common_headers(struct acme *, struct http_resp *);

/* A new random id (128 bits, base64url) into buf. */
void	 acme_new_id(char buf[32]);

/* base + "/" + kind + "/" + id (+ suffix) as a new string. */
char	*acme_url(struct acme *, const char *kind, const char *id,
	    const char *suffix);

/* The id after "/acme/KIND/" in the request path, or NULL. */
const char	*acme_path_id(struct http_req *, const char *kind, char *buf,
	    size_t len, const char *suffix);

/* Store an ACME object (JSON) and read one back. */
int	 acme_obj_put(struct store_txn *, int table, const char *id,
	    json_t *obj, int exclusive);
int	 acme_obj_get(struct store_txn *, int table, const char *id,
	    json_t **out);

/*
 * The key of STORE_VALID_AUTHZS for an account and an order identifier
 * ({"type", "value"}, a wildcard as "*.NAME"); -1 when it does not fit.
 */
int	 acme_valid_authz_key(char *buf, size_t len, const char *account,
	    const char *type, const char *value);

/*
 * The id of a valid, unexpired authorization of account for the
 * identifier (type, value) into out: 0, or STORE_NOTFOUND.  A stale
 * entry (authorization expired or deactivated since) is dropped.
 */
int	 acme_valid_authz(struct store_txn *, const char *account,
	    const char *type, const char *value, int64_t now, char *out,
	    size_t len);

/*
 * Count one event of kind for subject in a fixed window of window
 * seconds: ACME_RATE_LIMITED (and when the window ends) once limit are
 * in it.  limit 0 counts nothing.
 */
#define ACME_RATE_LIMITED	103
int	 acme_rate_take(struct store_txn *, const char *kind,
	    const char *subject, int64_t limit, int64_t window,
	    int64_t *retry_after);

/* A challenge as the client sees it. */
json_t	*acme_chall_view(struct acme *, const char *id, json_t *chall);

/* Read one ACME object in a transaction of its own. */
int	 acme_load(struct acme *, int table, const char *id, json_t **out);

/* RFC 3339 text for seconds since the epoch. */
void	 acme_time(int64_t t, char *buf, size_t len);


/* Bring an order's status up to date from its authorizations. */
int	 acme_order_refresh(struct store_txn *, json_t *order, int64_t now);

/* The order as the client sees it. */
json_t	*acme_order_view(struct acme *, const char *id, json_t *order);

#endif
