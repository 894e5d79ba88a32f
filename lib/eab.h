/*
 * eab.h: External Account Binding keys (RFC 8555 7.3.4).  An admin makes
 * a key with `pica eab add`, hands its kid and HMAC key to a client, and
 * the client binds its new ACME account to it; a key binds one account.
 */
#ifndef PICA_EAB_H
#define PICA_EAB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define EAB_KEY_LEN	32

struct store;
struct store_txn;

struct eab_key {
	char		 kid[64];
	unsigned char	 key[EAB_KEY_LEN];
	int64_t		 created;
	char		*account;	/* bound account id, or NULL */
	char		*name;		/* the admin's note, or NULL */
};

/* Free what an eab_key owns. */
void	 eab_key_free(struct eab_key *);

/* Make a new key (random kid and HMAC key) named name (may be NULL). */
int	 eab_add(struct store *, const char *name, struct eab_key *out);

/* Read one key; STORE_NOTFOUND when there is none. */
int	 eab_get(struct store_txn *, const char *kid, struct eab_key *out);

/* Record that kid now binds account. */
int	 eab_bind(struct store_txn *, const struct eab_key *, const char *account);

/* Remove a key; STORE_NOTFOUND when there is none. */
int	 eab_remove(struct store *, const char *kid);

/*
 * Every key as a JSON array of {"kid", "created", "account", "name"}
 * (never the HMAC keys themselves).
 */
int	 eab_list(struct store *, json_t **out);

#endif
