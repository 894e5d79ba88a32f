#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "eab.h"
#include "jws.h"
#include "log.h"
#include "rec.h"
#include "store.h"
#include "util.h"

/* Record layout of an EAB key. */
#define EAB_REC_TYPE	20
#define EAB_TAG_KEY	1
#define EAB_TAG_CREATED	2
#define EAB_TAG_ACCOUNT	3
#define EAB_TAG_NAME	4

void
eab_key_free(struct eab_key *k)
{
	OPENSSL_cleanse(k->key, sizeof(k->key));
	free(k->account);
	free(k->name);
	k->account = k->name = NULL;
}

static int
eab_decode(const char *kid, const void *data, size_t len, struct eab_key *k)
{
	struct rec_reader	 rr;
	struct rec_field	 f;
	int			 r, have_key = 0;
	uint64_t		 u;

	memset(k, 0, sizeof(*k));
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	if (rec_open(&rr, data, len) == -1)
		return -1;
	while ((r = rec_next(&rr, &f)) == 1) {
		switch (f.tag) {
		case EAB_TAG_KEY:
			if (f.len != EAB_KEY_LEN)
				return -1;
			memcpy(k->key, f.val, EAB_KEY_LEN);
			have_key = 1;
			break;
		case EAB_TAG_CREATED:
			if (rec_get_u64(&f, &u) == -1)
				return -1;
			k->created = (int64_t)u;
			break;
		case EAB_TAG_ACCOUNT:
			if (rec_get_str(&f, &k->account) == -1)
				return -1;
			break;
		case EAB_TAG_NAME:
			if (rec_get_str(&f, &k->name) == -1)
				return -1;
			break;
		}
	}
	return r == 0 && have_key ? 0 : -1;
}

static int
eab_put(struct store_txn *t, const struct eab_key *k, int exclusive)
{
	struct rec_buf	 rb;
	int		 r;

	rec_init(&rb, EAB_REC_TYPE);
	rec_put_bytes(&rb, EAB_TAG_KEY, k->key, EAB_KEY_LEN);
	rec_put_u64(&rb, EAB_TAG_CREATED, (uint64_t)k->created);
	rec_put_str(&rb, EAB_TAG_ACCOUNT, k->account);
	rec_put_str(&rb, EAB_TAG_NAME, k->name);
	r = store_blob_put(t, STORE_EAB, k->kid, rb.data, rb.len, exclusive);
	OPENSSL_cleanse(rb.data, rb.len);
	rec_free(&rb);
	return r;
}

int
eab_get(struct store_txn *t, const char *kid, struct eab_key *out)
{
	void	*data = NULL;
	size_t	 len;
	int	 r;

	memset(out, 0, sizeof(*out));
	if ((r = store_blob_get(t, STORE_EAB, kid, &data, &len)) != 0)
		return r;
	r = eab_decode(kid, data, len, out);
	if (r == -1)
		log_error("EAB key %s: malformed record", kid);
	OPENSSL_cleanse(data, len);
	free(data);
	return r;
}

int
eab_bind(struct store_txn *t, const struct eab_key *k, const char *account)
{
	struct eab_key	 b = *k;

	b.account = (char *)account;
	return eab_put(t, &b, 0);
}

static int
eab_add_fn(struct store_txn *t, void *arg)
{
	return eab_put(t, arg, 1);
}

int
eab_add(struct store *st, const char *name, struct eab_key *out)
{
	unsigned char	 raw[16];
	char		*kid;
	int		 r;

	memset(out, 0, sizeof(*out));
	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    RAND_priv_bytes(out->key, EAB_KEY_LEN) != 1 ||
	    (kid = b64url_encode(raw, sizeof(raw))) == NULL) {
		log_error("random EAB key");
		return -1;
	}
	snprintf(out->kid, sizeof(out->kid), "%s", kid);
	free(kid);
	out->created = (int64_t)time(NULL);
	out->name = xstrdup(name);
	if ((r = store_run(st, eab_add_fn, out)) != 0)
		eab_key_free(out);
	return r;
}

static int
eab_remove_fn(struct store_txn *t, void *arg)
{
	return store_blob_del(t, STORE_EAB, arg);
}

int
eab_remove(struct store *st, const char *kid)
{
	return store_run(st, eab_remove_fn, (void *)kid);
}

static int
eab_list_one(const char *id, const void *data, size_t len, void *arg)
{
	json_t		*list = arg;
	struct eab_key	 k;

	if (eab_decode(id, data, len, &k) == -1) {
		log_error("EAB key %s: malformed record", id);
		eab_key_free(&k);
		return 0;
	}
	json_array_append_new(list, json_pack("{s:s, s:I, s:s?, s:s?}",
	    "kid", k.kid, "created", (json_int_t)k.created,
	    "account", k.account, "name", k.name));
	eab_key_free(&k);
	return 0;
}

static int
eab_list_fn(struct store_txn *t, void *arg)
{
	/* A rerun after a lost deadlock starts the list again. */
	json_array_clear(arg);
	return store_blob_foreach(t, STORE_EAB, eab_list_one, arg);
}

int
eab_list(struct store *st, json_t **out)
{
	int	 r;

	*out = json_array();
	if ((r = store_run(st, eab_list_fn, *out)) != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}
