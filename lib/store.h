/*
 * store.h: the Berkeley DB store every pica process shares.
 *
 * One environment (DESIGN.md section 3) opened with transactions, logging,
 * locking, a shared memory pool, DB_REGISTER and DB_RECOVER, so that any
 * number of processes use it at once and a process killed at any moment
 * leaves it consistent.  Every call below runs in its own transaction and
 * retries it when it loses a deadlock; store_run() groups several calls
 * into one transaction.
 *
 * Return values: 0 success, STORE_NOTFOUND, STORE_EXISTS, STORE_ALREADY,
 * or -1 error (logged at the failure site).  STORE_PANIC means Berkeley DB
 * returned DB_RUNRECOVERY: the caller must store_close() and either exit
 * (FastCGI programs: the supervisor restarts them, and the next open
 * recovers) or store_open() again.
 */
#ifndef PICA_STORE_H
#define PICA_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_NOTFOUND	1
#define STORE_EXISTS	2
#define STORE_ALREADY	3	/* e.g. certificate already revoked */
#define STORE_PANIC	(-2)

#define STORE_SERIAL_MAX	32

struct store;
struct store_txn;

/*
 * Open (creating when absent, mode 0700) the environment in dir; one
 * open store per process and directory (DB_REGISTER's rule).  When it
 * finds that a process died in the store, it cleans up after it with
 * failchk or, failing that, runs recovery, and then the other processes
 * get STORE_PANIC.
 */
int	 store_open(const char *dir, struct store **out);
void	 store_close(struct store *);

/*
 * Release locks and abort transactions of processes that died (failchk);
 * cheap, meant to be called periodically by long-running programs.
 * STORE_PANIC when the dead process left the environment unusable.
 * (A process waiting for a lock a dead process holds waits until some
 * process runs failchk: this, store_open() of another process, or
 * store_run() when the wait times out after 10 s with other traffic.)
 */
int	 store_failchk(struct store *);

/* Checkpoint and remove log files no longer needed. */
int	 store_checkpoint(struct store *);

/*
 * Run fn inside one transaction: commit when it returns 0, abort otherwise;
 * rerun it (at most a bounded number of times) when it lost a deadlock.
 * fn must not have side effects outside the store: it may run twice.
 * fn uses the store_txn calls only, never the calls that take a struct
 * store (their own transaction would wait for this one's locks).
 */
int	 store_run(struct store *, int (*fn)(struct store_txn *, void *),
	    void *arg);

/* Certificate status. */
enum cert_status {
	CERT_GOOD = 0,
	CERT_REVOKED = 1,
};

/* A certificate as the store keeps it. */
struct cert_rec {
	unsigned char	 serial[STORE_SERIAL_MAX];
	size_t		 serial_len;
	enum cert_status status;
	int		 reason;	/* RFC 5280 CRLReason when revoked */
	int64_t		 not_before;	/* seconds since the epoch */
	int64_t		 not_after;
	int64_t		 revoked_at;	/* 0 when good */
	int64_t		 issued_at;
	char		*subject;	/* one-line subject, may be NULL */
	char		**names;	/* SANs as "DNS:x", "IP:y", "email:z" */
	size_t		 n_names;
	char		*profile;	/* may be NULL */
	char		*account;	/* ACME account id, may be NULL */
	char		*order;		/* ACME order id, may be NULL */
	unsigned char	*der;
	size_t		 der_len;
};

/* Free what a cert_rec owns (not the struct itself). */
void	 cert_rec_free(struct cert_rec *);

/* Insert; STORE_EXISTS when the serial is already there. */
int	 store_cert_put(struct store_txn *, const struct cert_rec *);
int	 store_cert_get(struct store_txn *, const unsigned char *serial,
	    size_t len, struct cert_rec *out);
/*
 * Mark revoked; STORE_ALREADY when it was, STORE_NOTFOUND when absent.
 * Each revocation also advances the counter STORE_COUNTER_REVOCATIONS in
 * the same transaction, so that a CRL writer can tell whether one
 * happened while it worked.
 */
#define STORE_COUNTER_REVOCATIONS	"revocations"
int	 store_cert_revoke(struct store_txn *, const unsigned char *serial,
	    size_t len, int reason, int64_t when);

/* The order store_cert_foreach walks in. */
enum store_order {
	STORE_BY_SERIAL,
	STORE_BY_EXPIRY,	/* not_after ascending */
	STORE_BY_REVOCATION,	/* revoked ones only, revoked_at ascending */
};

/*
 * Call cb for each certificate (read-only transaction, snapshot
 * semantics not promised); cb returns 0 to go on, non-zero to stop, and
 * that value is returned.  The record passed to cb is freed after it.
 * The walk reads committed data (DB_READ_COMMITTED: only the current
 * page stays locked, writers go on) and is retried after a lost deadlock
 * only while cb has not been called yet; later, -1.  cb must not write
 * to the store: the cursor's page lock would block it.
 */
int	 store_cert_foreach(struct store *, enum store_order,
	    int (*cb)(const struct cert_rec *, void *), void *arg);

/* Single-transaction conveniences for the calls above. */
int	 store_cert_insert(struct store *, const struct cert_rec *);
int	 store_cert_lookup(struct store *, const unsigned char *serial,
	    size_t len, struct cert_rec *out);
int	 store_cert_set_revoked(struct store *, const unsigned char *serial,
	    size_t len, int reason, int64_t when);

/*
 * Counters (CRL number, ...): add one and return the new value.
 * A counter never advanced reads 0; the first next gives 1.
 */
int	 store_counter_next(struct store_txn *, const char *name, uint64_t *);
int	 store_counter_get(struct store_txn *, const char *name, uint64_t *);
/* Remove a counter (rate-limit windows that are over). */
int	 store_counter_del(struct store_txn *, const char *name);

/*
 * The ACME tables.  Their records are rec.h blobs whose layout belongs to
 * the ACME code; the store keeps them by id and maintains the indexes:
 * accounts by JWK thumbprint (field ACCT_TAG_THUMBPRINT of the record),
 * orders by account (field ORDER_TAG_ACCOUNT).
 */
enum store_table {
	STORE_ACCOUNTS,
	STORE_ORDERS,
	STORE_AUTHZS,
	STORE_CHALLENGES,
	STORE_EAB,
	/*
	 * An account's valid authorization for an identifier, by
	 * "ACCOUNT TYPE:VALUE": what a new order of the account reuses.
	 * Kept apart from the account, which every request reads.
	 */
	STORE_VALID_AUTHZS,
};

#define ACCT_TAG_THUMBPRINT	1
#define ORDER_TAG_ACCOUNT	1
#define ORDER_TAG_CREATED	2	/* i64: seconds (or finer) since epoch */

/*
 * Put (insert or replace unless exclusive, then STORE_EXISTS), get (a
 * malloc'd copy, the caller frees it), delete (STORE_NOTFOUND).  An
 * account whose thumbprint another account has is refused: STORE_EXISTS.
 */
int	 store_blob_put(struct store_txn *, enum store_table, const char *id,
	    const void *data, size_t len, int exclusive);
int	 store_blob_get(struct store_txn *, enum store_table, const char *id,
	    void **data, size_t *len);
int	 store_blob_del(struct store_txn *, enum store_table, const char *id);
/* Call cb(id, data, len, arg) for each record of table; non-zero stops. */
int	 store_blob_foreach(struct store_txn *, enum store_table,
	    int (*cb)(const char *, const void *, size_t, void *), void *arg);

/* The id of the account with this JWK thumbprint. */
int	 store_account_by_thumbprint(struct store_txn *, const char *thumbprint,
	    char **id);

/*
 * The ids of an account's orders, oldest first: at most max (0: no limit)
 * from skip.  The index key is the account id, a NUL and the order's
 * ORDER_TAG_CREATED (0 when absent), so "oldest" is by that field, then
 * by order id.  *ids is NULL-terminated; free each id and the array.
 */
int	 store_orders_by_account(struct store_txn *, const char *account,
	    size_t skip, size_t max, char ***ids, size_t *n);

/*
 * Nonces: remember one until expires (seconds since the epoch);
 * STORE_EXISTS if it is already there.
 */
int	 store_nonce_put(struct store *, const char *nonce, int64_t expires);
/*
 * Take a nonce: 0 when it existed and had not expired (now < expires),
 * STORE_NOTFOUND otherwise.  Either way it is gone now.
 */
int	 store_nonce_take(struct store *, const char *nonce, int64_t now);
/*
 * Delete expired nonces (expires <= now), a batch per transaction;
 * returns how many in *n.
 */
int	 store_nonce_expire(struct store *, int64_t now, size_t *n);

/*
 * Hot backup of the environment into dir (created; must be empty or
 * absent): database files and logs, consistent, while others keep working.
 * The copy is a store: store_open() on it runs recovery.
 */
int	 store_backup(struct store *, const char *dir);

/*
 * Verify every database file in an environment directory that no process
 * has open (a backup, or a stopped CA): 0 when all are sound and all the
 * store's files are there.  On a live store it may report pages still
 * in the cache as damage: use it on a backup.
 */
int	 store_verify(const char *dir);

#endif
