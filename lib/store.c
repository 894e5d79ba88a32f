#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <db.h>
#include <pthread.h>
#include <stdatomic.h>

#include "err.h"
#include "log.h"
#include "rec.h"
#include "store.h"
#include "util.h"

/*
 * The shared region is mapped by every pica process: keep the cache small,
 * the records are small and the working set (recent certificates, nonces,
 * the ACME tables) is smaller still.
 */
#define STORE_CACHE_BYTES	(4U * 1024 * 1024)
/* Small log files: backups copy them whole, checkpoints remove them. */
#define STORE_LOG_BYTES		(2U * 1024 * 1024)
/* Thread slots for failchk: one per process that is or was in the store. */
#define STORE_THREADS		128
/*
 * A lock wait this long means the holder is most likely dead: the waiter
 * gets DB_LOCK_NOTGRANTED, runs failchk and retries.  Berkeley DB checks
 * timeouts only when some other lock is requested or released.
 */
/*
 * failchk runs at most this often, from store_run.  A store call that has
 * not returned after STORE_STALL_SEC waits on something that will never
 * come: a mutex a killed process held, or a lock in regions another
 * process has since recovered away.  The watchdog thread then exits the
 * process with EX_TEMPFAIL for its supervisor to start it again, whose
 * open recovers the store.  Transactions here take milliseconds, and a
 * lock wait gives up after STORE_LOCK_TIMEOUT well before that.
 */
#define STORE_FAILCHK_SEC	1
#define STORE_WATCHDOG_SEC	1
#define STORE_STALL_SEC		15
#define STORE_EXIT_STRANDED	75

/* Left in the store's directory by a stalled process: recover next. */
#define STORE_RECOVER_HINT	"__pica.recover"

#define STORE_LOCK_TIMEOUT	(5U * 1000000)

/*
 * The store's files are the group's too: in the packaged layout the
 * directory belongs to the programs' group with the setgid bit, so a
 * file that root's `pica revoke` creates (a log file, a region) stays
 * theirs.  The directory itself (0700 unless set up so) keeps others out.
 */
#define STORE_FILE_MODE		0660
#define STORE_RETRIES		100
/* Nonces deleted per transaction, so that expiry does not stall others. */
#define STORE_NONCE_BATCH	512
#define STORE_FAILCHK_PASSES	3

/* The record type of a certificate; the fields it may hold. */
#define REC_TYPE_CERT		1
#define CERT_TAG_STATUS		1	/* u64: enum cert_status */
#define CERT_TAG_REASON		2	/* i64 */
#define CERT_TAG_NOT_BEFORE	3	/* i64 */
#define CERT_TAG_NOT_AFTER	4	/* i64, required */
#define CERT_TAG_REVOKED_AT	5	/* i64 */
#define CERT_TAG_ISSUED_AT	6	/* i64 */
#define CERT_TAG_SUBJECT	7	/* string */
#define CERT_TAG_NAME		8	/* string, once per name */
#define CERT_TAG_PROFILE	9	/* string */
#define CERT_TAG_ACCOUNT	10	/* string */
#define CERT_TAG_ORDER		11	/* string */
#define CERT_TAG_DER		12	/* bytes, required */

enum store_dbi {
	SDB_CERTS,
	SDB_CERTS_EXPIRY,
	SDB_CERTS_REVOKED,
	SDB_ACCOUNTS,
	SDB_ACCOUNTS_THUMBPRINT,
	SDB_ORDERS,
	SDB_ORDERS_ACCOUNT,
	SDB_AUTHZS,
	SDB_CHALLENGES,
	SDB_EAB,
	SDB_VALID_AUTHZS,
	SDB_NONCES,
	SDB_COUNTERS,
	SDB_COUNT
};

struct store {
	DB_ENV		*env;
	DB		*db[SDB_COUNT];
	char		*dir;
	int		 env_open;
	int		 panic;
	uint32_t	 rng;

	/* The watchdog: periodic failchk, and the stranded-process check. */
	pthread_t	 wd_thread;
	int		 wd_running;
	int		 wd_stop;		/* under wd_lock */
	pthread_mutex_t	 wd_lock;
	pthread_cond_t	 wd_cond;
	_Atomic int64_t	 busy_since;		/* CLOCK_MONOTONIC s, 0 idle */
	int64_t		 last_failchk;		/* CLOCK_MONOTONIC s */
};

struct store_txn {
	struct store	*st;
	DB_TXN		*txn;
	int		 dberr;	/* deadlock or panic seen: never commit */
};

static int	store_watchdog_start(struct store *);
static void	store_busy(struct store *, int);
static int64_t	store_now(void);
static void	store_watchdog_stop(struct store *);
static int	store_key_expiry(DB *, const DBT *, const DBT *, DBT *);
static int	store_key_revoked(DB *, const DBT *, const DBT *, DBT *);
static int	store_key_thumbprint(DB *, const DBT *, const DBT *, DBT *);
static int	store_key_order_account(DB *, const DBT *, const DBT *, DBT *);

/* Primaries come before their secondaries: they are opened in this order. */
static const struct store_dbdesc {
	const char	*file;
	int		 primary;	/* the primary of a secondary, or -1 */
	uint32_t	 flags;		/* DB->set_flags */
	int		(*key)(DB *, const DBT *, const DBT *, DBT *);
} store_dbs[SDB_COUNT] = {
	[SDB_CERTS] = { "certs.db", -1, 0, NULL },
	[SDB_CERTS_EXPIRY] = { "certs_expiry.db", SDB_CERTS,
	    DB_DUP | DB_DUPSORT, store_key_expiry },
	[SDB_CERTS_REVOKED] = { "certs_revoked.db", SDB_CERTS,
	    DB_DUP | DB_DUPSORT, store_key_revoked },
	[SDB_ACCOUNTS] = { "accounts.db", -1, 0, NULL },
	/* No duplicates: one account per key, enforced by Berkeley DB. */
	[SDB_ACCOUNTS_THUMBPRINT] = { "accounts_thumbprint.db", SDB_ACCOUNTS,
	    0, store_key_thumbprint },
	[SDB_ORDERS] = { "orders.db", -1, 0, NULL },
	[SDB_ORDERS_ACCOUNT] = { "orders_account.db", SDB_ORDERS,
	    DB_DUP | DB_DUPSORT, store_key_order_account },
	[SDB_AUTHZS] = { "authzs.db", -1, 0, NULL },
	[SDB_CHALLENGES] = { "challenges.db", -1, 0, NULL },
	[SDB_EAB] = { "eab.db", -1, 0, NULL },
	[SDB_VALID_AUTHZS] = { "valid_authzs.db", -1, 0, NULL },
	[SDB_NONCES] = { "nonces.db", -1, 0, NULL },
	[SDB_COUNTERS] = { "counters.db", -1, 0, NULL },
};

static void
store_oom(void)
{
	fprintf(stderr, "out of memory\n");
	abort();
}

static void
dbt_in(DBT *d, const void *data, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)data;
	d->size = (u_int32_t)len;
}

/* A DBT Berkeley DB fills with memory we free (DB_THREAD demands it). */
static void
dbt_out(DBT *d)
{
	memset(d, 0, sizeof(*d));
	d->flags = DB_DBT_REALLOC;
}

static void
be64_put(unsigned char b[8], uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		b[i] = v & 0xff;
		v >>= 8;
	}
}

static uint64_t
be64_get(const unsigned char b[8])
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Big-endian with the sign bit flipped: bytewise order is numeric order. */
static void
time_key(unsigned char b[8], int64_t t)
{
	be64_put(b, (uint64_t)t ^ (UINT64_C(1) << 63));
}

/* --- a libdb 5.3 / glibc workaround ------------------------------------ */

/*
 * Since glibc 2.25, pthread_cond_destroy() waits until every thread that
 * started waiting on the condition variable has left the wait.  A process
 * killed while it waited for a Berkeley DB lock never leaves, and the
 * condition variable lives in the shared region: when failchk (or the
 * DB_FAILCHK open) then refreshes that dead process's mutex, libdb 5.3
 * calls pthread_cond_destroy() on it and hangs for ever.  Fedora patches
 * its libdb for this (RHBZ 1394862); Debian 12's 5.3.28+dfsg2-1 is not
 * patched.  This definition interposes glibc's for the whole program: it
 * does not wait.  glibc's own destroy frees nothing either, and libdb
 * initializes the condition variable again right after destroying it, so
 * not waiting is the only difference, and it is what recovery needs.
 */
int
pthread_cond_destroy(pthread_cond_t *cond)
{
	(void)cond;
	return 0;
}

/* --- errors ------------------------------------------------------------ */

static void
store_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	log_error("%s: %s", pfx != NULL ? pfx : "store", msg);
}

/* Once the store has panicked, its handles only repeat that on close. */
static void
store_errcall_quiet(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	(void)msg;
}

/*
 * Informational messages: failchk lists every lock, log handle and mutex
 * it freed for a dead process (BDB2053, BDB1502, BDB2017), dozens of
 * lines; the error line naming the dead process says enough.
 */
static void
store_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	if (strncmp(msg, "BDB2053 ", 8) == 0 ||
	    strncmp(msg, "BDB1502 ", 8) == 0 ||
	    strncmp(msg, "BDB2017 ", 8) == 0)
		return;
	log_warn("store: %s", msg);
}

static void
store_panic(struct store *st)
{
	if (st->panic)
		return;
	st->panic = 1;
	log_error("%s: the store needs recovery (DB_RUNRECOVERY): close it "
	    "and open it again", st->dir);
	if (st->env != NULL)
		st->env->set_errcall(st->env, store_errcall_quiet);
}

static void
store_event(DB_ENV *env, u_int32_t event, void *info)
{
	(void)info;
	if ((event == DB_EVENT_PANIC || event == DB_EVENT_REG_PANIC) &&
	    env->app_private != NULL)
		store_panic(env->app_private);
}

/*
 * An error from Berkeley DB outside a transaction: STORE_PANIC for
 * DB_RUNRECOVERY, otherwise -1, logged.
 */
static int
store_err(struct store *st, int ret, const char *what)
{
	if (ret == DB_RUNRECOVERY) {
		store_panic(st);
		return STORE_PANIC;
	}
	log_error("%s: %s: %s", st->dir, what, db_strerror(ret));
	return -1;
}

/*
 * An error inside a transaction.  A lost deadlock is not logged: it is
 * remembered so that store_run() aborts and reruns the transaction.
 */
static int
store_txn_err(struct store_txn *t, int ret, const char *what)
{
	if (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED) {
		if (t->dberr == 0)
			t->dberr = ret;
		return -1;
	}
	if (ret == DB_RUNRECOVERY)
		t->dberr = ret;
	return store_err(t->st, ret, what);
}

/* --- secondary keys ---------------------------------------------------- */

static int
store_key_time(DB *sdb, const DBT *pdata, uint8_t tag, DBT *skey)
{
	struct rec_field	 f;
	int64_t			 t;
	unsigned char		*b;

	(void)sdb;
	if (rec_find(pdata->data, pdata->size, tag, &f) != 1 ||
	    rec_get_i64(&f, &t) == -1) {
		log_error("store: certificate record without time field %u",
		    tag);
		return EINVAL;
	}
	if ((b = malloc(8)) == NULL)
		return ENOMEM;
	time_key(b, t);
	memset(skey, 0, sizeof(*skey));
	skey->data = b;
	skey->size = 8;
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

static int
store_key_expiry(DB *sdb, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)pkey;
	return store_key_time(sdb, pdata, CERT_TAG_NOT_AFTER, skey);
}

static int
store_key_revoked(DB *sdb, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	struct rec_field	 f;
	uint64_t		 status;

	(void)pkey;
	if (rec_find(pdata->data, pdata->size, CERT_TAG_STATUS, &f) != 1 ||
	    rec_get_u64(&f, &status) == -1) {
		log_error("store: certificate record without status");
		return EINVAL;
	}
	/* Good certificates stay out of the index the CRL is made from. */
	if (status != CERT_REVOKED)
		return DB_DONOTINDEX;
	return store_key_time(sdb, pdata, CERT_TAG_REVOKED_AT, skey);
}

/*
 * The field tag of a primary record, as a secondary index's key: 0 with
 * f set, DB_DONOTINDEX when absent or empty, EINVAL when malformed.
 */
static int
store_index_field(const DBT *pdata, uint8_t tag, const char *what,
    struct rec_field *f)
{
	int	 r;

	if ((r = rec_find(pdata->data, pdata->size, tag, f)) == -1) {
		log_error("store: malformed %s record", what);
		return EINVAL;
	}
	if (r == 0 || f->len == 0)
		return DB_DONOTINDEX;
	return 0;
}

static int
store_key_thumbprint(DB *sdb, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	struct rec_field	 f;
	int			 r;

	(void)sdb;
	(void)pkey;
	if ((r = store_index_field(pdata, ACCT_TAG_THUMBPRINT, "account",
	    &f)) != 0)
		return r;
	/* The key may point into the record: nothing to allocate. */
	memset(skey, 0, sizeof(*skey));
	skey->data = (void *)f.val;
	skey->size = (u_int32_t)f.len;
	return 0;
}

static int
store_key_order_account(DB *sdb, const DBT *pkey, const DBT *pdata,
    DBT *skey)
{
	struct rec_field	 f, c;
	int64_t			 created = 0;
	unsigned char		*b;
	int			 r;

	(void)sdb;
	(void)pkey;
	if ((r = store_index_field(pdata, ORDER_TAG_ACCOUNT, "order",
	    &f)) != 0)
		return r;
	/* The NUL ends the account id in the key: it cannot hold one. */
	if (memchr(f.val, '\0', f.len) != NULL) {
		log_error("store: order record with a NUL in its account");
		return EINVAL;
	}
	if ((b = malloc(f.len + 1 + 8)) == NULL)
		return ENOMEM;
	memcpy(b, f.val, f.len);
	b[f.len] = '\0';
	/* Without a creation time, orders sort by id alone. */
	if (rec_find(pdata->data, pdata->size, ORDER_TAG_CREATED, &c) == 1 &&
	    rec_get_i64(&c, &created) == -1)
		created = 0;
	time_key(b + f.len + 1, created);
	memset(skey, 0, sizeof(*skey));
	skey->data = b;
	skey->size = (u_int32_t)(f.len + 1 + 8);
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

/* --- open, close, maintenance ------------------------------------------ */

static int
store_is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
	int	 saved = errno, alive;

	(void)env;
	(void)tid;
	(void)flags;
	/*
	 * Processes live and die whole (pica's programs do not use the
	 * store from several threads), and EPERM means alive under
	 * another user.
	 */
	alive = kill(pid, 0) == 0 || errno == EPERM;
	errno = saved;
	return alive;
}

/* A cheap generator for backoff jitter, seeded apart in each process. */
static uint32_t
store_rand(struct store *st)
{
	uint32_t	 x = st->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	st->rng = x;
	return x;
}

static void
store_backoff(struct store *st, int attempt)
{
	struct timespec	 ts;
	long		 us;

	/* Up to 0.1 ms per attempt, at most 10 ms: losers spread apart. */
	us = 100L * (attempt < 100 ? attempt + 1 : 100);
	us = (long)(store_rand(st) % (uint32_t)us) + 1;
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
}

/*
 * Handles of a panicked environment: Berkeley DB refuses to close them,
 * so it cannot free them either.  They stay reachable here until exit
 * rather than leak (a process reopens after a panic, or exits).
 */
static DB	**store_retained;
static size_t	  store_nretained;

static void
store_retain(DB *db)
{
	DB	**p;

	p = reallocarray(store_retained, store_nretained + 1, sizeof(*p));
	if (p == NULL)
		store_oom();
	store_retained = p;
	store_retained[store_nretained++] = db;
}

static void
store_close_dbs(struct store *st)
{
	int	 i, ret;

	/* Secondaries first, then their primaries. */
	for (i = SDB_COUNT - 1; i >= 0; i--) {
		if (st->db[i] == NULL)
			continue;
		if ((ret = st->db[i]->close(st->db[i], 0)) == DB_RUNRECOVERY) {
			store_panic(st);
			store_retain(st->db[i]);
		} else if (ret != 0)
			(void)store_err(st, ret, store_dbs[i].file);
		st->db[i] = NULL;
	}
}

/* Open every database in one transaction; the Berkeley DB error. */
static int
store_open_dbs(struct store *st)
{
	const struct store_dbdesc	*d;
	DB_TXN				*txn = NULL;
	DB				*db, *pdb;
	int				 i, ret;

	if ((ret = st->env->txn_begin(st->env, NULL, &txn, 0)) != 0)
		goto out;
	for (i = 0; i < SDB_COUNT; i++) {
		d = &store_dbs[i];
		if ((ret = db_create(&st->db[i], st->env, 0)) != 0)
			goto out;
		db = st->db[i];
		/*
		 * Checksummed pages: a damaged or torn page is an error
		 * when read, never data that Berkeley DB goes on to trust.
		 */
		if ((ret = db->set_flags(db, d->flags | DB_CHKSUM)) != 0)
			goto out;
		if ((ret = db->open(db, txn, d->file, NULL, DB_BTREE,
		    DB_CREATE | DB_THREAD, STORE_FILE_MODE)) != 0)
			goto out;
		/*
		 * Without DB_CREATE: an empty secondary (no revoked
		 * certificate yet) would make every open scan the primary.
		 */
		if (d->primary >= 0) {
			pdb = st->db[d->primary];
			if ((ret = pdb->associate(pdb, txn, db, d->key,
			    0)) != 0)
				goto out;
		}
	}
	ret = txn->commit(txn, 0);
	txn = NULL;
out:
	if (ret != 0) {
		if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED)
			(void)store_err(st, ret, "opening the databases");
		/* Handles opened in an aborted transaction are useless. */
		store_close_dbs(st);
		if (txn != NULL)
			(void)txn->abort(txn);
	}
	return ret;
}

/*
 * Create and configure an environment handle and open it with flags.  On
 * failure the handle is closed (Berkeley DB allows nothing else) and
 * st->env is NULL again.  quiet keeps Berkeley DB's own messages out of
 * the log, for an attempt whose failure is expected and handled.
 */
static int
store_env_open(struct store *st, uint32_t flags, int quiet)
{
	DB_ENV	*env;
	int	 ret;

	if ((ret = db_env_create(&st->env, 0)) != 0) {
		log_error("%s: db_env_create: %s", st->dir, db_strerror(ret));
		st->env = NULL;
		return ret;
	}
	env = st->env;
	env->app_private = st;
	env->set_errcall(env, quiet ? store_errcall_quiet : store_errcall);
	env->set_errpfx(env, st->dir);
	env->set_msgcall(env, store_msgcall);
	if ((ret = env->set_event_notify(env, store_event)) != 0 ||
	    (ret = env->set_cachesize(env, 0, STORE_CACHE_BYTES, 1)) != 0 ||
	    (ret = env->set_lg_max(env, STORE_LOG_BYTES)) != 0 ||
	    (ret = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0 ||
	    (ret = env->set_timeout(env, STORE_LOCK_TIMEOUT,
	    DB_SET_LOCK_TIMEOUT)) != 0 ||
	    (ret = env->set_flags(env, DB_TIME_NOTGRANTED, 1)) != 0 ||
	    (ret = env->set_thread_count(env, STORE_THREADS)) != 0 ||
	    (ret = env->set_isalive(env, store_is_alive)) != 0 ||
	    (ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0) {
		(void)store_err(st, ret, "configuring the environment");
		goto fail;
	}
	if ((ret = env->open(env, st->dir, flags, STORE_FILE_MODE)) != 0) {
		if (!quiet)
			(void)store_err(st, ret, "opening the environment");
		goto fail;
	}
	env->set_errcall(env, store_errcall);
	return 0;
fail:
	env->set_errcall(env, store_errcall_quiet);
	(void)env->close(env, 0);
	st->env = NULL;
	return ret;
}

/*
 * Keep the group bits STORE_FILE_MODE asks for, for as long as the process
 * runs: Berkeley DB makes log files whenever one fills up.  No file gets
 * more than the mode its creator asks for.
 */
static void
store_umask(void)
{
	mode_t	 m = umask(0);

	umask(m & ~(mode_t)(S_IRGRP | S_IWGRP));
}

int
store_open(const char *dir, struct store **out)
{
	struct store	*st = NULL;
	struct pica_err	 err;
	char		*hint = NULL;
	int		 rc = -1, ret, attempt, recover;
	uint32_t	 flags;

	*out = NULL;
	if (util_mkdirs(dir, 0700, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	store_umask();
	st = xcalloc(1, sizeof(*st));
	st->dir = xstrdup(dir);
	pthread_mutex_init(&st->wd_lock, NULL);
	pthread_cond_init(&st->wd_cond, NULL);
	st->rng = (uint32_t)getpid() * 2654435761U ^ (uint32_t)time(NULL);
	if (st->rng == 0)
		st->rng = 1;
	/*
	 * DB_REGISTER notices processes that died with the environment
	 * open; DB_FAILCHK then runs failchk, which aborts their
	 * transactions and frees their locks in place, so that the other
	 * processes go on; only when that fails does DB_RECOVER run full
	 * recovery (and the others get DB_RUNRECOVERY).  But failchk first
	 * attaches to the old regions, and a mutex a killed process held
	 * there blocks it for ever: the watchdog then ends this process and
	 * leaves a hint, and the next open skips failchk and recovers, which
	 * makes new regions.  Commits are synchronous, but for the nonces
	 * (store_run_nonce).
	 */
	flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER | DB_THREAD;
	if ((hint = util_path_join(dir, STORE_RECOVER_HINT)) == NULL)
		goto out;
	recover = access(hint, F_OK) == 0;
	if (!recover)
		flags |= DB_FAILCHK;
	if (store_watchdog_start(st) != 0)
		goto out;
	store_busy(st, 1);
	ret = store_env_open(st, flags, 0);
	store_busy(st, 0);
	if (ret != 0)
		goto out;
	if (recover) {
		log_warn("%s: recovered the store after a stalled process",
		    dir);
		unlink(hint);
	}
	st->env_open = 1;
	for (attempt = 0; ; attempt++) {
		ret = store_open_dbs(st);
		if ((ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED) ||
		    attempt + 1 == STORE_RETRIES)
			break;
		store_backoff(st, attempt);
	}
	if (ret != 0) {
		rc = ret == DB_RUNRECOVERY ? STORE_PANIC : -1;
		if (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED)
			(void)store_err(st, ret, "opening the databases");
		goto out;
	}
	*out = st;
	st = NULL;
	rc = 0;
out:
	free(hint);
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	int	 ret;

	if (st == NULL)
		return;
	/*
	 * Cheap when nothing changed; shortens the next recovery.  Under the
	 * watchdog like any store call: a checkpoint can wait on a mutex
	 * that a process killed in the store held, and a program told to
	 * stop must not wait for ever.
	 */
	if (st->env_open && !st->panic) {
		store_busy(st, 1);
		(void)store_checkpoint(st);
		store_busy(st, 0);
	}
	store_watchdog_stop(st);
	store_close_dbs(st);
	if (st->env != NULL && (ret = st->env->close(st->env, 0)) != 0 &&
	    !st->panic)
		(void)store_err(st, ret, "closing the environment");
	pthread_mutex_destroy(&st->wd_lock);
	pthread_cond_destroy(&st->wd_cond);
	free(st->dir);
	free(st);
}

/*
 * failchk, in passes.  Berkeley DB
 * 5.3 returns EBUSY when it has aborted a dead process's transaction and
 * released its locks but could not yet destroy a mutex of that process's
 * database handle; the next pass frees it and returns 0.
 */
static int
store_failchk_passes(struct store *st)
{
	int	 ret = 0, pass;

	for (pass = 0; pass < STORE_FAILCHK_PASSES; pass++)
		if ((ret = st->env->failchk(st->env, 0)) != EBUSY)
			break;
	return ret;
}

int
store_failchk(struct store *st)
{
	int	 ret;

	if (st->panic)
		return STORE_PANIC;
	if ((ret = store_failchk_passes(st)) != 0)
		return store_err(st, ret, "failchk");
	return 0;
}

static int64_t
store_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Mark the process as inside (or out of) a store call. */
static void
store_busy(struct store *st, int busy)
{
	atomic_store(&st->busy_since, busy ? store_now() : 0);
}

/* Ask the next open for full recovery (see store_open). */
static void
store_leave_hint(struct store *st)
{
	char	 path[4096];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", st->dir, STORE_RECOVER_HINT);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC,
	    STORE_FILE_MODE)) != -1)
		close(fd);
}

/*
 * The watchdog thread: it never calls into Berkeley DB, so nothing a
 * dead process left behind can block it.
 */
static void *
store_watchdog(void *arg)
{
	struct store	*st = arg;
	struct timespec	 ts;
	int64_t		 since;

	pthread_mutex_lock(&st->wd_lock);
	while (!st->wd_stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += STORE_WATCHDOG_SEC;
		(void)pthread_cond_timedwait(&st->wd_cond, &st->wd_lock, &ts);
		if (st->wd_stop)
			break;
		since = atomic_load(&st->busy_since);
		if (since != 0 && store_now() - since >= STORE_STALL_SEC) {
			log_error("%s: a store call has waited %d s on a process "
			    "that died in it; exiting so that this program is "
			    "started again and the store recovered", st->dir,
			    STORE_STALL_SEC);
			store_leave_hint(st);
			_exit(STORE_EXIT_STRANDED);
		}
	}
	pthread_mutex_unlock(&st->wd_lock);
	return NULL;
}

static int
store_watchdog_start(struct store *st)
{
	int	 ret;

	if ((ret = pthread_create(&st->wd_thread, NULL, store_watchdog,
	    st)) != 0) {
		log_error("%s: watchdog thread: %s", st->dir, strerror(ret));
		return -1;
	}
	st->wd_running = 1;
	return 0;
}

static void
store_watchdog_stop(struct store *st)
{
	if (!st->wd_running)
		return;
	pthread_mutex_lock(&st->wd_lock);
	st->wd_stop = 1;
	pthread_cond_signal(&st->wd_cond);
	pthread_mutex_unlock(&st->wd_lock);
	pthread_join(st->wd_thread, NULL);
	st->wd_running = 0;
}

int
store_checkpoint(struct store *st)
{
	char	**list = NULL;
	int	 ret;

	if (st->panic)
		return STORE_PANIC;
	if ((ret = st->env->txn_checkpoint(st->env, 0, 0, 0)) != 0)
		return store_err(st, ret, "checkpoint");
	if ((ret = st->env->log_archive(st->env, &list, DB_ARCH_REMOVE)) != 0)
		return store_err(st, ret, "removing old log files");
	free(list);
	return 0;
}

/*
 * Run fn in a transaction, retried when it loses a deadlock, committed
 * with commit_flags: 0 (synchronous) but for the nonces.
 */
static int
store_run_flags(struct store *st, int (*fn)(struct store_txn *, void *),
    void *arg, uint32_t commit_flags)
{
	struct store_txn	 t;
	int			 rc = -1, ret, attempt;

	if (st->panic)
		return STORE_PANIC;
	store_busy(st, 1);
	/* The periodic failchk: frees what processes that died held. */
	if (store_now() - st->last_failchk >= STORE_FAILCHK_SEC) {
		st->last_failchk = store_now();
		if (store_failchk(st) == STORE_PANIC) {
			rc = STORE_PANIC;
			goto out;
		}
	}
	for (attempt = 0; ; attempt++) {
		memset(&t, 0, sizeof(t));
		t.st = st;
		if ((ret = st->env->txn_begin(st->env, NULL, &t.txn, 0)) != 0) {
			rc = store_err(st, ret, "beginning a transaction");
			goto out;
		}
		rc = fn(&t, arg);
		if (rc == 0 && t.dberr == 0) {
			ret = t.txn->commit(t.txn, commit_flags);
			t.txn = NULL;
			if (ret == 0)
				goto out;
			rc = store_txn_err(&t, ret, "commit");
		} else {
			ret = t.txn->abort(t.txn);
			t.txn = NULL;
			if (ret != 0)
				(void)store_txn_err(&t, ret, "abort");
		}
		if (t.dberr == DB_RUNRECOVERY || st->panic) {
			rc = STORE_PANIC;
			goto out;
		}
		/* Not a lost deadlock: fn's own verdict stands. */
		if (t.dberr != DB_LOCK_DEADLOCK &&
		    t.dberr != DB_LOCK_NOTGRANTED)
			goto out;
		if (attempt + 1 == STORE_RETRIES) {
			log_error("%s: transaction still losing deadlocks after "
			    "%d attempts", st->dir, STORE_RETRIES);
			rc = -1;
			goto out;
		}
		/* A lock timed out: its holder may have died holding it. */
		if (t.dberr == DB_LOCK_NOTGRANTED &&
		    store_failchk(st) == STORE_PANIC) {
			rc = STORE_PANIC;
			goto out;
		}
		store_backoff(st, attempt);
	}
out:
	store_busy(st, 0);
	return rc;
}

int
store_run(struct store *st, int (*fn)(struct store_txn *, void *), void *arg)
{
	return store_run_flags(st, fn, arg, 0);
}

/*
 * Nonces are committed without waiting for the disk (DB_TXN_WRITE_NOSYNC:
 * the log is written, not flushed): every ACME response makes one and
 * every request takes one, and that fdatasync was most of a request's
 * system time.  A killed process loses nothing, the log being written;
 * a machine that crashes may lose the newest nonces, which costs a
 * client one badNonce and a retry, or keep a nonce whose taking was not
 * yet on disk, which replays nothing: a request that changed anything
 * committed synchronously after the take, and that flush carries the
 * take with it.
 */
static int
store_run_nonce(struct store *st, int (*fn)(struct store_txn *, void *),
    void *arg)
{
	return store_run_flags(st, fn, arg, DB_TXN_WRITE_NOSYNC);
}

/* --- certificates ------------------------------------------------------ */

void
cert_rec_free(struct cert_rec *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	free(c->subject);
	for (i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	free(c->profile);
	free(c->account);
	free(c->order);
	free(c->der);
	memset(c, 0, sizeof(*c));
}

static int
store_cert_check(const struct cert_rec *c)
{
	size_t	 i;

	if (c->serial_len == 0 || c->serial_len > STORE_SERIAL_MAX) {
		log_error("store: certificate serial of %zu bytes",
		    c->serial_len);
		return -1;
	}
	if (c->der == NULL || c->der_len == 0) {
		log_error("store: certificate without DER");
		return -1;
	}
	if (c->status != CERT_GOOD && c->status != CERT_REVOKED) {
		log_error("store: certificate status %d", (int)c->status);
		return -1;
	}
	for (i = 0; i < c->n_names; i++) {
		if (c->names[i] == NULL) {
			log_error("store: certificate name %zu is NULL", i);
			return -1;
		}
	}
	return 0;
}

static void
store_cert_encode(const struct cert_rec *c, struct rec_buf *rb)
{
	size_t	 i;

	rec_init(rb, REC_TYPE_CERT);
	rec_put_u64(rb, CERT_TAG_STATUS, (uint64_t)c->status);
	rec_put_i64(rb, CERT_TAG_REASON, c->reason);
	rec_put_i64(rb, CERT_TAG_NOT_BEFORE, c->not_before);
	rec_put_i64(rb, CERT_TAG_NOT_AFTER, c->not_after);
	rec_put_i64(rb, CERT_TAG_REVOKED_AT, c->revoked_at);
	rec_put_i64(rb, CERT_TAG_ISSUED_AT, c->issued_at);
	rec_put_str(rb, CERT_TAG_SUBJECT, c->subject);
	for (i = 0; i < c->n_names; i++)
		rec_put_str(rb, CERT_TAG_NAME, c->names[i]);
	rec_put_str(rb, CERT_TAG_PROFILE, c->profile);
	rec_put_str(rb, CERT_TAG_ACCOUNT, c->account);
	rec_put_str(rb, CERT_TAG_ORDER, c->order);
	rec_put_bytes(rb, CERT_TAG_DER, c->der, c->der_len);
}

static int
store_cert_decode(const void *serial, size_t slen, const void *data,
    size_t len, struct cert_rec *c)
{
	struct rec_reader	 rr;
	struct rec_field	 f;
	char			**names, *s, *hex = NULL;
	size_t			 cap = 0;
	uint64_t		 status = CERT_GOOD;
	int64_t			 reason = 0;
	int			 rc = -1, r, have_after = 0;

	memset(c, 0, sizeof(*c));
	if (slen == 0 || slen > STORE_SERIAL_MAX) {
		log_error("store: certificate key of %zu bytes", slen);
		goto out;
	}
	memcpy(c->serial, serial, slen);
	c->serial_len = slen;
	if (rec_open(&rr, data, len) == -1 || rr.type != REC_TYPE_CERT)
		goto bad;
	while ((r = rec_next(&rr, &f)) == 1) {
		switch (f.tag) {
		case CERT_TAG_STATUS:
			if (rec_get_u64(&f, &status) == -1 ||
			    (status != CERT_GOOD && status != CERT_REVOKED))
				goto bad;
			c->status = (enum cert_status)status;
			break;
		case CERT_TAG_REASON:
			if (rec_get_i64(&f, &reason) == -1 ||
			    reason < 0 || reason > 255)
				goto bad;
			c->reason = (int)reason;
			break;
		case CERT_TAG_NOT_BEFORE:
			if (rec_get_i64(&f, &c->not_before) == -1)
				goto bad;
			break;
		case CERT_TAG_NOT_AFTER:
			if (rec_get_i64(&f, &c->not_after) == -1)
				goto bad;
			have_after = 1;
			break;
		case CERT_TAG_REVOKED_AT:
			if (rec_get_i64(&f, &c->revoked_at) == -1)
				goto bad;
			break;
		case CERT_TAG_ISSUED_AT:
			if (rec_get_i64(&f, &c->issued_at) == -1)
				goto bad;
			break;
		case CERT_TAG_SUBJECT:
		case CERT_TAG_PROFILE:
		case CERT_TAG_ACCOUNT:
		case CERT_TAG_ORDER:
		case CERT_TAG_NAME:
			if (rec_get_str(&f, &s) == -1)
				goto bad;
			if (f.tag == CERT_TAG_NAME) {
				if (c->n_names == cap) {
					cap = cap ? cap * 2 : 4;
					names = reallocarray(c->names, cap,
					    sizeof(*names));
					if (names == NULL)
						store_oom();
					c->names = names;
				}
				c->names[c->n_names++] = s;
				break;
			}
			/* A repeated field: the last one wins. */
			if (f.tag == CERT_TAG_SUBJECT) {
				free(c->subject);
				c->subject = s;
			} else if (f.tag == CERT_TAG_PROFILE) {
				free(c->profile);
				c->profile = s;
			} else if (f.tag == CERT_TAG_ACCOUNT) {
				free(c->account);
				c->account = s;
			} else {
				free(c->order);
				c->order = s;
			}
			break;
		case CERT_TAG_DER:
			if (f.len == 0)
				goto bad;
			free(c->der);
			if ((c->der = malloc(f.len)) == NULL)
				store_oom();
			memcpy(c->der, f.val, f.len);
			c->der_len = f.len;
			break;
		default:
			/* A field from a newer pica. */
			break;
		}
	}
	if (r == -1 || !have_after || c->der == NULL)
		goto bad;
	rc = 0;
	goto out;
bad:
	hex = util_hex(serial, slen);
	log_error("store: certificate %s: malformed record",
	    hex != NULL ? hex : "?");
out:
	free(hex);
	if (rc != 0)
		cert_rec_free(c);
	return rc;
}

int
store_cert_put(struct store_txn *t, const struct cert_rec *c)
{
	struct rec_buf	 rb = { NULL, 0, 0 };
	DB		*db = t->st->db[SDB_CERTS];
	DBT		 key, data;
	int		 rc = -1, ret;

	if (store_cert_check(c) == -1)
		goto out;
	store_cert_encode(c, &rb);
	dbt_in(&key, c->serial, c->serial_len);
	dbt_in(&data, rb.data, rb.len);
	/* Serials are unique: the check and the insert are one. */
	if ((ret = db->put(db, t->txn, &key, &data, DB_NOOVERWRITE)) != 0) {
		if (ret == DB_KEYEXIST)
			rc = STORE_EXISTS;
		else
			rc = store_txn_err(t, ret, "certs.db: put");
		goto out;
	}
	rc = 0;
out:
	rec_free(&rb);
	return rc;
}

/* Read one certificate's record, write-locked when rmw. */
static int
store_cert_read(struct store_txn *t, const unsigned char *serial, size_t len,
    int rmw, DBT *data)
{
	DB	*db = t->st->db[SDB_CERTS];
	DBT	 key;
	int	 ret;

	if (len == 0 || len > STORE_SERIAL_MAX) {
		log_error("store: certificate serial of %zu bytes", len);
		return -1;
	}
	dbt_in(&key, serial, len);
	if ((ret = db->get(db, t->txn, &key, data, rmw ? DB_RMW : 0)) != 0) {
		if (ret == DB_NOTFOUND)
			return STORE_NOTFOUND;
		return store_txn_err(t, ret, "certs.db: get");
	}
	return 0;
}

int
store_cert_get(struct store_txn *t, const unsigned char *serial, size_t len,
    struct cert_rec *out)
{
	DBT	 data;
	int	 rc = -1, r;

	memset(out, 0, sizeof(*out));
	dbt_out(&data);
	if ((r = store_cert_read(t, serial, len, 0, &data)) != 0) {
		rc = r;
		goto out;
	}
	if (store_cert_decode(serial, len, data.data, data.size, out) == -1)
		goto out;
	rc = 0;
out:
	free(data.data);
	return rc;
}

int
store_cert_revoke(struct store_txn *t, const unsigned char *serial,
    size_t len, int reason, int64_t when)
{
	struct rec_buf		 rb = { NULL, 0, 0 };
	struct rec_reader	 rr;
	struct rec_field	 f;
	struct cert_rec		 c;
	DB			*db = t->st->db[SDB_CERTS];
	DBT			 key, old, new;
	uint64_t		 n;
	int			 rc = -1, r, ret;

	memset(&c, 0, sizeof(c));
	dbt_out(&old);
	if (reason < 0 || reason > 255) {
		log_error("store: revocation reason %d", reason);
		goto out;
	}
	/* Write-locked from the start: no upgrade, no deadlock on it. */
	if ((r = store_cert_read(t, serial, len, 1, &old)) != 0) {
		rc = r;
		goto out;
	}
	if (store_cert_decode(serial, len, old.data, old.size, &c) == -1)
		goto out;
	if (c.status == CERT_REVOKED) {
		rc = STORE_ALREADY;
		goto out;
	}
	/*
	 * Copy the record field by field rather than encode the decoded
	 * certificate again: fields a newer pica added survive.
	 */
	if (rec_open(&rr, old.data, old.size) == -1)
		goto out;
	rec_init(&rb, rr.type);
	while ((r = rec_next(&rr, &f)) == 1) {
		if (f.tag == CERT_TAG_STATUS || f.tag == CERT_TAG_REASON ||
		    f.tag == CERT_TAG_REVOKED_AT)
			continue;
		rec_put_bytes(&rb, f.tag, f.val, f.len);
	}
	if (r == -1)
		goto out;
	rec_put_u64(&rb, CERT_TAG_STATUS, CERT_REVOKED);
	rec_put_i64(&rb, CERT_TAG_REASON, reason);
	rec_put_i64(&rb, CERT_TAG_REVOKED_AT, when);
	dbt_in(&key, serial, len);
	dbt_in(&new, rb.data, rb.len);
	if ((ret = db->put(db, t->txn, &key, &new, 0)) != 0) {
		rc = store_txn_err(t, ret, "certs.db: put");
		goto out;
	}
	if ((r = store_counter_next(t, STORE_COUNTER_REVOCATIONS, &n)) != 0) {
		rc = r;
		goto out;
	}
	rc = 0;
out:
	free(old.data);
	cert_rec_free(&c);
	rec_free(&rb);
	return rc;
}

/*
 * One pass over the certificates; the Berkeley DB error, with what the
 * callback returned (or -1 for a malformed record) in *cbrc.
 */
static int
store_foreach_pass(struct store *st, enum store_order order,
    int (*cb)(const struct cert_rec *, void *), void *arg, int *delivered,
    int *cbrc)
{
	struct cert_rec	 c;
	DB_TXN		*txn = NULL;
	DBC		*dbc = NULL;
	DB		*db;
	DBT		 key, pkey, data;
	const DBT	*serial;
	int		 ret, t_ret, r;

	dbt_out(&key);
	dbt_out(&pkey);
	dbt_out(&data);
	if (order == STORE_BY_EXPIRY)
		db = st->db[SDB_CERTS_EXPIRY];
	else if (order == STORE_BY_REVOCATION)
		db = st->db[SDB_CERTS_REVOKED];
	else
		db = st->db[SDB_CERTS];
	/*
	 * Read committed: the cursor keeps only its current page locked,
	 * so a long walk (a CRL, a listing) does not stop issuance.
	 */
	if ((ret = st->env->txn_begin(st->env, NULL, &txn,
	    DB_READ_COMMITTED)) != 0)
		goto out;
	if ((ret = db->cursor(db, txn, &dbc, 0)) != 0)
		goto out;
	for (;;) {
		if (order == STORE_BY_SERIAL) {
			ret = dbc->get(dbc, &key, &data, DB_NEXT);
			serial = &key;
		} else {
			ret = dbc->pget(dbc, &key, &pkey, &data, DB_NEXT);
			serial = &pkey;
		}
		if (ret == DB_NOTFOUND) {
			ret = 0;
			break;
		}
		if (ret != 0)
			goto out;
		if (store_cert_decode(serial->data, serial->size, data.data,
		    data.size, &c) == -1) {
			*cbrc = -1;
			break;
		}
		*delivered = 1;
		/* The caller's time is not the store's. */
		store_busy(st, 0);
		r = cb(&c, arg);
		store_busy(st, 1);
		cert_rec_free(&c);
		if (r != 0) {
			*cbrc = r;
			break;
		}
	}
out:
	if (dbc != NULL && (t_ret = dbc->close(dbc)) != 0 && ret == 0)
		ret = t_ret;
	if (txn != NULL) {
		/* Nothing was written: abort is as good as commit. */
		if ((t_ret = txn->abort(txn)) != 0 && ret == 0)
			ret = t_ret;
	}
	free(key.data);
	free(pkey.data);
	free(data.data);
	return ret;
}

static int
store_cert_walk(struct store *st, enum store_order order,
    int (*cb)(const struct cert_rec *, void *), void *arg)
{
	int	 ret, cbrc, delivered = 0, attempt;

	if (st->panic)
		return STORE_PANIC;
	if (order != STORE_BY_SERIAL && order != STORE_BY_EXPIRY &&
	    order != STORE_BY_REVOCATION) {
		log_error("store: unknown certificate order %d", (int)order);
		return -1;
	}
	for (attempt = 0; ; attempt++) {
		cbrc = 0;
		ret = store_foreach_pass(st, order, cb, arg, &delivered,
		    &cbrc);
		if (ret == 0)
			return cbrc;
		if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED)
			return store_err(st, ret, "walking the certificates");
		/* Starting over would show cb some records twice. */
		if (delivered) {
			log_error("%s: walking the certificates: %s", st->dir,
			    db_strerror(ret));
			return -1;
		}
		if (attempt + 1 == STORE_RETRIES) {
			log_error("%s: walking the certificates: still "
			    "deadlocked after %d attempts", st->dir,
			    STORE_RETRIES);
			return -1;
		}
		if (ret == DB_LOCK_NOTGRANTED &&
		    store_failchk(st) == STORE_PANIC)
			return STORE_PANIC;
		store_backoff(st, attempt);
	}
}

int
store_cert_foreach(struct store *st, enum store_order order,
    int (*cb)(const struct cert_rec *, void *), void *arg)
{
	int	 rc;

	store_busy(st, 1);
	rc = store_cert_walk(st, order, cb, arg);
	store_busy(st, 0);
	return rc;
}

static int
store_cert_insert_fn(struct store_txn *t, void *arg)
{
	return store_cert_put(t, arg);
}

int
store_cert_insert(struct store *st, const struct cert_rec *c)
{
	return store_run(st, store_cert_insert_fn, (void *)c);
}

struct store_cert_args {
	const unsigned char	*serial;
	size_t			 len;
	struct cert_rec		*out;
	int			 reason;
	int64_t			 when;
};

static int
store_cert_lookup_fn(struct store_txn *t, void *arg)
{
	struct store_cert_args	*a = arg;

	cert_rec_free(a->out);
	return store_cert_get(t, a->serial, a->len, a->out);
}

int
store_cert_lookup(struct store *st, const unsigned char *serial, size_t len,
    struct cert_rec *out)
{
	struct store_cert_args	 a;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	a.serial = serial;
	a.len = len;
	a.out = out;
	return store_run(st, store_cert_lookup_fn, &a);
}

static int
store_cert_revoke_fn(struct store_txn *t, void *arg)
{
	struct store_cert_args	*a = arg;

	return store_cert_revoke(t, a->serial, a->len, a->reason, a->when);
}

int
store_cert_set_revoked(struct store *st, const unsigned char *serial,
    size_t len, int reason, int64_t when)
{
	struct store_cert_args	 a;

	memset(&a, 0, sizeof(a));
	a.serial = serial;
	a.len = len;
	a.reason = reason;
	a.when = when;
	return store_run(st, store_cert_revoke_fn, &a);
}

/* --- counters ---------------------------------------------------------- */

static int
store_counter_read(struct store_txn *t, const char *name, int rmw,
    uint64_t *v)
{
	DB	*db = t->st->db[SDB_COUNTERS];
	DBT	 key, data;
	int	 rc = -1, ret;

	*v = 0;
	dbt_in(&key, name, strlen(name));
	dbt_out(&data);
	if ((ret = db->get(db, t->txn, &key, &data, rmw ? DB_RMW : 0)) != 0) {
		/* A counter never advanced is 0. */
		if (ret == DB_NOTFOUND)
			rc = 0;
		else
			rc = store_txn_err(t, ret, "counters.db: get");
		goto out;
	}
	if (data.size != 8) {
		log_error("store: counter %s: value of %u bytes", name,
		    data.size);
		goto out;
	}
	*v = be64_get(data.data);
	rc = 0;
out:
	free(data.data);
	return rc;
}

int
store_counter_get(struct store_txn *t, const char *name, uint64_t *v)
{
	return store_counter_read(t, name, 0, v);
}

int
store_counter_next(struct store_txn *t, const char *name, uint64_t *v)
{
	DB		*db = t->st->db[SDB_COUNTERS];
	DBT		 key, data;
	unsigned char	 b[8];
	uint64_t	 cur;
	int		 r, ret;

	if ((r = store_counter_read(t, name, 1, &cur)) != 0)
		return r;
	if (cur == UINT64_MAX) {
		log_error("store: counter %s overflows", name);
		return -1;
	}
	be64_put(b, cur + 1);
	dbt_in(&key, name, strlen(name));
	dbt_in(&data, b, sizeof(b));
	if ((ret = db->put(db, t->txn, &key, &data, 0)) != 0)
		return store_txn_err(t, ret, "counters.db: put");
	*v = cur + 1;
	return 0;
}

/* Delete the record with a string key from db: 0 or STORE_NOTFOUND. */
static int
store_del_key(struct store_txn *t, DB *db, const char *id, const char *what)
{
	DBT	 key;
	int	 ret;

	dbt_in(&key, id, strlen(id));
	if ((ret = db->del(db, t->txn, &key, 0)) != 0) {
		if (ret == DB_NOTFOUND)
			return STORE_NOTFOUND;
		return store_txn_err(t, ret, what);
	}
	return 0;
}

int
store_counter_del(struct store_txn *t, const char *name)
{
	return store_del_key(t, t->st->db[SDB_COUNTERS], name,
	    "counters.db: del");
}

/* --- the ACME tables --------------------------------------------------- */

static DB *
store_table(struct store_txn *t, enum store_table table)
{
	switch (table) {
	case STORE_ACCOUNTS:
		return t->st->db[SDB_ACCOUNTS];
	case STORE_ORDERS:
		return t->st->db[SDB_ORDERS];
	case STORE_AUTHZS:
		return t->st->db[SDB_AUTHZS];
	case STORE_CHALLENGES:
		return t->st->db[SDB_CHALLENGES];
	case STORE_EAB:
		return t->st->db[SDB_EAB];
	case STORE_VALID_AUTHZS:
		return t->st->db[SDB_VALID_AUTHZS];
	}
	log_error("store: unknown table %d", (int)table);
	return NULL;
}

/*
 * Berkeley DB refuses a second account with the same thumbprint with a
 * bare EINVAL: look first, to answer STORE_EXISTS.  (Two racing inserts
 * are still caught by Berkeley DB; the loser gets -1.)
 */
static int
store_thumbprint_taken(struct store_txn *t, const char *id, const void *data,
    size_t len)
{
	struct rec_field	 f;
	DB			*db = t->st->db[SDB_ACCOUNTS_THUMBPRINT];
	DBT			 skey, pkey, val;
	int			 rc = -1, ret;

	dbt_out(&pkey);
	dbt_out(&val);
	if (rec_find(data, len, ACCT_TAG_THUMBPRINT, &f) != 1 || f.len == 0) {
		rc = 0;
		goto out;
	}
	dbt_in(&skey, f.val, f.len);
	if ((ret = db->pget(db, t->txn, &skey, &pkey, &val, 0)) != 0) {
		if (ret == DB_NOTFOUND)
			rc = 0;
		else
			rc = store_txn_err(t, ret, "accounts by thumbprint");
		goto out;
	}
	if (pkey.size == strlen(id) && memcmp(pkey.data, id, pkey.size) == 0)
		rc = 0;
	else
		rc = STORE_EXISTS;
out:
	free(pkey.data);
	free(val.data);
	return rc;
}

int
store_blob_put(struct store_txn *t, enum store_table table, const char *id,
    const void *data, size_t len, int exclusive)
{
	DB	*db;
	DBT	 key, val;
	int	 r, ret;

	if ((db = store_table(t, table)) == NULL)
		return -1;
	if (id == NULL || *id == '\0' || len > UINT32_MAX) {
		log_error("store: bad blob id or length");
		return -1;
	}
	if (table == STORE_ACCOUNTS &&
	    (r = store_thumbprint_taken(t, id, data, len)) != 0)
		return r;
	dbt_in(&key, id, strlen(id));
	dbt_in(&val, data, len);
	ret = db->put(db, t->txn, &key, &val, exclusive ? DB_NOOVERWRITE : 0);
	if (ret == DB_KEYEXIST)
		return STORE_EXISTS;
	if (ret != 0)
		return store_txn_err(t, ret, "blob put");
	return 0;
}

int
store_blob_get(struct store_txn *t, enum store_table table, const char *id,
    void **data, size_t *len)
{
	DB	*db;
	DBT	 key, val;
	int	 ret;

	*data = NULL;
	*len = 0;
	if ((db = store_table(t, table)) == NULL)
		return -1;
	dbt_in(&key, id, strlen(id));
	dbt_out(&val);
	if ((ret = db->get(db, t->txn, &key, &val, 0)) != 0) {
		free(val.data);
		if (ret == DB_NOTFOUND)
			return STORE_NOTFOUND;
		return store_txn_err(t, ret, "blob get");
	}
	/* An empty value still comes back as an allocation to free. */
	*data = val.data != NULL ? val.data : xcalloc(1, 1);
	*len = val.size;
	return 0;
}

int
store_blob_foreach(struct store_txn *t, enum store_table table,
    int (*cb)(const char *, const void *, size_t, void *), void *arg)
{
	DB	*db;
	DBC	*dbc = NULL;
	DBT	 key, val;
	char	*id = NULL;
	int	 ret, rc = -1;

	if ((db = store_table(t, table)) == NULL)
		return -1;
	if ((ret = db->cursor(db, t->txn, &dbc, 0)) != 0)
		return store_txn_err(t, ret, "blob cursor");
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	while ((ret = dbc->get(dbc, &key, &val, DB_NEXT)) == 0) {
		/* Keys are ids without their NUL: make a string of each. */
		id = xcalloc(1, key.size + 1);
		memcpy(id, key.data, key.size);
		rc = cb(id, val.data, val.size, arg);
		free(id);
		id = NULL;
		if (rc != 0)
			goto out;
	}
	if (ret != DB_NOTFOUND) {
		rc = store_txn_err(t, ret, "blob walk");
		goto out;
	}
	rc = 0;
out:
	if ((ret = dbc->close(dbc)) != 0 && rc == 0)
		rc = store_txn_err(t, ret, "blob cursor close");
	return rc;
}

int
store_blob_del(struct store_txn *t, enum store_table table, const char *id)
{
	DB	*db;

	if ((db = store_table(t, table)) == NULL)
		return -1;
	return store_del_key(t, db, id, "blob delete");
}

/* A primary key as a string: ids never hold a NUL. */
static char *
store_id(const DBT *d)
{
	char	*s;

	if (d->size > 0 && memchr(d->data, '\0', d->size) != NULL)
		return NULL;
	if ((s = malloc((size_t)d->size + 1)) == NULL)
		store_oom();
	if (d->size > 0)
		memcpy(s, d->data, d->size);
	s[d->size] = '\0';
	return s;
}

int
store_account_by_thumbprint(struct store_txn *t, const char *thumbprint,
    char **id)
{
	DB	*db = t->st->db[SDB_ACCOUNTS_THUMBPRINT];
	DBT	 skey, pkey, data;
	int	 rc = -1, ret;

	*id = NULL;
	dbt_in(&skey, thumbprint, strlen(thumbprint));
	dbt_out(&pkey);
	dbt_out(&data);
	if ((ret = db->pget(db, t->txn, &skey, &pkey, &data, 0)) != 0) {
		if (ret == DB_NOTFOUND)
			rc = STORE_NOTFOUND;
		else
			rc = store_txn_err(t, ret, "accounts by thumbprint");
		goto out;
	}
	if ((*id = store_id(&pkey)) == NULL) {
		log_error("store: account id with a NUL");
		goto out;
	}
	rc = 0;
out:
	free(pkey.data);
	free(data.data);
	return rc;
}

int
store_orders_by_account(struct store_txn *t, const char *account,
    size_t skip, size_t max, char ***ids, size_t *n)
{
	DB		*db = t->st->db[SDB_ORDERS_ACCOUNT];
	DBC		*dbc = NULL;
	DBT		 skey, pkey, data;
	char		**v = NULL, **nv;
	size_t		 plen, nv_len = 0, cap = 0, seen = 0, i;
	u_int32_t	 op = DB_SET_RANGE;
	int		 rc = -1, ret;

	*ids = NULL;
	*n = 0;
	plen = strlen(account) + 1;
	/* The key is account, NUL, creation time: look up the prefix. */
	dbt_out(&skey);
	if ((skey.data = malloc(plen)) == NULL)
		store_oom();
	memcpy(skey.data, account, plen);
	skey.size = (u_int32_t)plen;
	dbt_out(&pkey);
	dbt_out(&data);
	if ((ret = db->cursor(db, t->txn, &dbc, 0)) != 0) {
		rc = store_txn_err(t, ret, "orders by account");
		goto out;
	}
	for (; max == 0 || nv_len < max; op = DB_NEXT) {
		ret = dbc->pget(dbc, &skey, &pkey, &data, op);
		if (ret == DB_NOTFOUND)
			break;
		if (ret != 0) {
			rc = store_txn_err(t, ret, "orders by account");
			goto out;
		}
		if (skey.size != plen + 8 ||
		    memcmp(skey.data, account, plen) != 0)
			break;
		if (seen++ < skip)
			continue;
		/* Room for one more and the NULL after it. */
		if (nv_len + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				store_oom();
			v = nv;
		}
		if ((v[nv_len] = store_id(&pkey)) == NULL) {
			log_error("store: order id with a NUL");
			goto out;
		}
		v[++nv_len] = NULL;
	}
	ret = dbc->close(dbc);
	dbc = NULL;
	if (ret != 0) {
		rc = store_txn_err(t, ret, "orders by account");
		goto out;
	}
	if (v == NULL)
		v = xcalloc(1, sizeof(*v));
	*ids = v;
	*n = nv_len;
	v = NULL;
	rc = 0;
out:
	if (dbc != NULL)
		(void)dbc->close(dbc);
	for (i = 0; v != NULL && i < nv_len; i++)
		free(v[i]);
	free(v);
	free(skey.data);
	free(pkey.data);
	free(data.data);
	return rc;
}

/* --- nonces ------------------------------------------------------------ */

struct store_nonce_args {
	const char	*nonce;
	int64_t		 when;
	int		 result;
	/*
	 * Expiry: where this batch starts; where the next one would, if
	 * this one is the last, and how many went, valid once committed.
	 */
	unsigned char	*start;
	size_t		 start_len;
	unsigned char	*next;
	size_t		 next_len;
	int		 last;
	size_t		 removed;
};

static int
store_nonce_put_fn(struct store_txn *t, void *arg)
{
	struct store_nonce_args	*a = arg;
	DB			*db = t->st->db[SDB_NONCES];
	DBT			 key, data;
	unsigned char		 b[8];
	int			 ret;

	be64_put(b, (uint64_t)a->when);
	dbt_in(&key, a->nonce, strlen(a->nonce));
	dbt_in(&data, b, sizeof(b));
	if ((ret = db->put(db, t->txn, &key, &data, DB_NOOVERWRITE)) != 0) {
		if (ret == DB_KEYEXIST)
			return STORE_EXISTS;
		return store_txn_err(t, ret, "nonces.db: put");
	}
	return 0;
}

int
store_nonce_put(struct store *st, const char *nonce, int64_t expires)
{
	struct store_nonce_args	 a;

	memset(&a, 0, sizeof(a));
	if (*nonce == '\0') {
		log_error("store: empty nonce");
		return -1;
	}
	a.nonce = nonce;
	a.when = expires;
	return store_run_nonce(st, store_nonce_put_fn, &a);
}

static int
store_nonce_take_fn(struct store_txn *t, void *arg)
{
	struct store_nonce_args	*a = arg;
	DB			*db = t->st->db[SDB_NONCES];
	DBT			 key, data;
	int64_t			 expires;
	int			 rc = -1, ret;

	a->result = STORE_NOTFOUND;
	dbt_in(&key, a->nonce, strlen(a->nonce));
	dbt_out(&data);
	if ((ret = db->get(db, t->txn, &key, &data, DB_RMW)) != 0) {
		if (ret == DB_NOTFOUND)
			rc = 0;
		else
			rc = store_txn_err(t, ret, "nonces.db: get");
		goto out;
	}
	expires = data.size == 8 ? (int64_t)be64_get(data.data) : INT64_MIN;
	/* Gone either way: a nonce is used once, an expired one never. */
	if ((ret = db->del(db, t->txn, &key, 0)) != 0) {
		rc = store_txn_err(t, ret, "nonces.db: del");
		goto out;
	}
	if (a->when < expires)
		a->result = 0;
	rc = 0;
out:
	free(data.data);
	return rc;
}

int
store_nonce_take(struct store *st, const char *nonce, int64_t now)
{
	struct store_nonce_args	 a;
	int			 r;

	memset(&a, 0, sizeof(a));
	a.nonce = nonce;
	a.when = now;
	if ((r = store_run_nonce(st, store_nonce_take_fn, &a)) != 0)
		return r;
	return a.result;
}

static int
store_nonce_expire_fn(struct store_txn *t, void *arg)
{
	struct store_nonce_args	*a = arg;
	DB			*db = t->st->db[SDB_NONCES];
	DBC			*dbc = NULL;
	DBT			 key, data;
	size_t			 seen, removed = 0;
	u_int32_t		 op;
	int			 rc = -1, ret;

	dbt_out(&key);
	dbt_out(&data);
	if ((ret = db->cursor(db, t->txn, &dbc, 0)) != 0) {
		rc = store_txn_err(t, ret, "nonces.db: cursor");
		goto out;
	}
	/* A rerun after a deadlock starts over from the same place. */
	free(a->next);
	a->next = NULL;
	a->removed = 0;
	op = DB_FIRST;
	if (a->start != NULL) {
		if ((key.data = malloc(a->start_len)) == NULL)
			store_oom();
		memcpy(key.data, a->start, a->start_len);
		key.size = (u_int32_t)a->start_len;
		op = DB_SET_RANGE;
	}
	for (seen = 0; seen < STORE_NONCE_BATCH; seen++, op = DB_NEXT) {
		ret = dbc->get(dbc, &key, &data, op | DB_RMW);
		if (ret == DB_NOTFOUND)
			break;
		if (ret != 0) {
			rc = store_txn_err(t, ret, "nonces.db: walk");
			goto out;
		}
		if (data.size == 8 && (int64_t)be64_get(data.data) > a->when)
			continue;
		if ((ret = dbc->del(dbc, 0)) != 0) {
			rc = store_txn_err(t, ret, "nonces.db: del");
			goto out;
		}
		removed++;
	}
	a->last = seen < STORE_NONCE_BATCH;
	if (!a->last) {
		/* The next batch starts after the last key seen. */
		if ((ret = dbc->get(dbc, &key, &data, DB_NEXT)) == DB_NOTFOUND)
			a->last = 1;
		else if (ret != 0) {
			rc = store_txn_err(t, ret, "nonces.db: walk");
			goto out;
		} else {
			a->next = key.data;
			a->next_len = key.size;
			key.data = NULL;
		}
	}
	a->removed = removed;
	rc = 0;
out:
	if (dbc != NULL && (ret = dbc->close(dbc)) != 0 && rc == 0)
		rc = store_txn_err(t, ret, "nonces.db: cursor");
	free(key.data);
	free(data.data);
	return rc;
}

int
store_nonce_expire(struct store *st, int64_t now, size_t *n)
{
	struct store_nonce_args	 a;
	int			 rc = -1, r;

	*n = 0;
	memset(&a, 0, sizeof(a));
	a.when = now;
	/* In batches, each its own transaction, so that others get in. */
	do {
		if ((r = store_run_nonce(st, store_nonce_expire_fn, &a)) != 0) {
			rc = r;
			goto out;
		}
		*n += a.removed;
		free(a.start);
		a.start = a.next;
		a.start_len = a.next_len;
		a.next = NULL;
	} while (!a.last);
	rc = 0;
out:
	free(a.start);
	free(a.next);
	return rc;
}

/* --- backup and verification ------------------------------------------- */

static int
store_dir_empty(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 rc = -1;

	if ((d = opendir(dir)) == NULL) {
		log_error("%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			log_error("%s: not empty", dir);
			goto out;
		}
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

/*
 * Run recovery on a copied environment and checkpoint it, so that its
 * database files are consistent on their own (db_verify, a later copy).
 * DB_PRIVATE: nobody else has this copy open, and it leaves no region
 * files behind.
 */
static int
store_recover_copy(const char *dir)
{
	DB_ENV	*env;
	int	 ret;

	if ((ret = db_env_create(&env, 0)) != 0) {
		log_error("%s: db_env_create: %s", dir, db_strerror(ret));
		return -1;
	}
	env->set_errcall(env, store_errcall);
	env->set_errpfx(env, dir);
	/*
	 * Catastrophic recovery: the pages were copied while others wrote
	 * and checkpointed, so replay every log the copy holds, not only
	 * what follows its last checkpoint (Berkeley DB's rule for a hot
	 * backup; normal recovery left a secondary index behind its
	 * primary now and then).
	 */
	if ((ret = env->open(env, dir, DB_CREATE | DB_INIT_TXN |
	    DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_RECOVER_FATAL |
	    DB_PRIVATE, 0600)) != 0 ||
	    (ret = env->txn_checkpoint(env, 0, 0, DB_FORCE)) != 0) {
		log_error("%s: recovering the backup: %s", dir,
		    db_strerror(ret));
		(void)env->close(env, 0);
		return -1;
	}
	if ((ret = env->close(env, 0)) != 0) {
		log_error("%s: closing the backup: %s", dir, db_strerror(ret));
		return -1;
	}
	return 0;
}

int
store_backup(struct store *st, const char *dir)
{
	int	 rc = -1, ret, fd = -1;

	if (st->panic)
		return STORE_PANIC;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_error("%s: %s", dir, strerror(errno));
		goto out;
	}
	if (store_dir_empty(dir) == -1)
		goto out;
	/* Less log to replay when the backup is opened. */
	if ((rc = store_checkpoint(st)) != 0)
		goto out;
	rc = -1;
	/*
	 * DB_ENV->backup copies the database files page by page through
	 * the cache (consistent pages while others write), then every log
	 * file; log removal is held off meanwhile.  Only replaying those
	 * logs makes the copied files consistent with each other, so the
	 * copy is recovered before it is called a backup.
	 */
	if ((ret = st->env->backup(st->env, dir, DB_EXCL)) != 0) {
		rc = store_err(st, ret, "backup");
		goto out;
	}
	if (store_recover_copy(dir) != 0)
		goto out;
	/* The files were synced by Berkeley DB; their names too. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		log_error("%s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

static void
store_verify_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	log_error("%s: %s", pfx != NULL ? pfx : "verify", msg);
}

static int
store_verify_one(const char *path)
{
	DB	*db;
	int	 ret;

	if ((ret = db_create(&db, NULL, 0)) != 0) {
		log_error("%s: db_create: %s", path, db_strerror(ret));
		return -1;
	}
	db->set_errcall(db, store_verify_errcall);
	db->set_errpfx(db, path);
	/* DB->verify discards the handle, whatever it returns. */
	if ((ret = db->verify(db, path, NULL, NULL, 0)) != 0) {
		log_error("%s: verification failed: %s", path,
		    db_strerror(ret));
		return -1;
	}
	return 0;
}

/*
 * Berkeley DB reads a damaged file with trust it does not deserve: on
 * some garbage it frees twice or reads wild pointers.  Each file is
 * verified in a child, so damage is a message, not a crash of pica.
 */
static int
store_verify_file(const char *path)
{
	pid_t	 pid;
	int	 status;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(store_verify_one(path) == 0 ? 0 : 1);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_error("waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 0 ? 0 : -1;
	log_error("%s: damaged: reading it killed the verifier (%s)", path,
	    WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "stopped");
	return -1;
}

int
store_verify(const char *dir)
{
	DIR		*d = NULL;
	struct dirent	*de;
	char		*path = NULL;
	size_t		 len;
	int		 rc = -1, bad = 0, i;
	int		 seen[SDB_COUNT];

	memset(seen, 0, sizeof(seen));
	if ((d = opendir(dir)) == NULL) {
		log_error("%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".db") != 0)
			continue;
		for (i = 0; i < SDB_COUNT; i++)
			if (strcmp(de->d_name, store_dbs[i].file) == 0)
				seen[i] = 1;
		if ((path = util_path_join(dir, de->d_name)) == NULL)
			store_oom();
		if (store_verify_file(path) == -1)
			bad++;
		free(path);
		path = NULL;
	}
	for (i = 0; i < SDB_COUNT; i++) {
		if (!seen[i]) {
			log_error("%s: %s is missing", dir, store_dbs[i].file);
			bad++;
		}
	}
	if (bad)
		goto out;
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}
