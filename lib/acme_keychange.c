/*
 * keyChange (RFC 8555 7.3.5): an account moves to a new key.  The outer
 * JWS is signed by the account's current key; its payload is an inner
 * JWS, signed by the new key, naming the account and the old key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme.h"
#include "jws.h"
#include "log.h"
#include "store.h"
#include "util.h"

struct acme_keychange {
	const char	*id;
	json_t		*old_jwk;
	json_t		*new_jwk;
	const char	*new_tp;
	char		*holder;	/* out: account already using the key */
};

#define ACME_KEY_IN_USE	101

static int
acme_keychange_fn(struct store_txn *t, void *arg)
{
	struct acme_keychange	*k = arg;
	json_t			*acct = NULL;
	int			 r;

	free(k->holder);
	k->holder = NULL;
	r = store_account_by_thumbprint(t, k->new_tp, &k->holder);
	if (r == 0)
		return ACME_KEY_IN_USE;
	if (r != STORE_NOTFOUND)
		return r;
	if ((r = acme_obj_get(t, STORE_ACCOUNTS, k->id, &acct)) != 0)
		return r;
	/* The old key named must be the one the account has now. */
	if (!json_equal(json_object_get(acct, "key"), k->old_jwk)) {
		json_decref(acct);
		return STORE_ALREADY;
	}
	json_object_set(acct, "key", k->new_jwk);
	json_object_set_new(acct, "thumbprint", json_string(k->new_tp));
	r = acme_obj_put(t, STORE_ACCOUNTS, k->id, acct, 0);
	json_decref(acct);
	return r;
}

int
acme_key_change(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct acme_keychange	 k;
	struct jws		 inner;
	struct pica_err		 err;
	EVP_PKEY		*newkey = NULL, *oldkey = NULL;
	char			*text = NULL, tp[64], *url = NULL;
	const char		*acct_url;
	json_t			*payload = NULL, *old;
	int			 r;

	memset(&k, 0, sizeof(k));
	memset(&inner, 0, sizeof(inner));
	pica_err_clear(&err);
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	if (p.payload == NULL ||
	    (text = json_dumps(p.payload, JSON_COMPACT)) == NULL ||
	    jws_parse(text, strlen(text), 0, &inner, &err) == -1) {
		if (err.code == PICA_E_NONE)
			pica_err_set(&err, PICA_E_MALFORMED, "keyChange's "
			    "payload is a JWS signed by the new key");
		goto fail;
	}
	if (inner.jwk == NULL || inner.kid != NULL || inner.nonce != NULL ||
	    inner.url == NULL || strcmp(inner.url,
	    ((struct jws *)p.jws)->url) != 0) {
		pica_err_set(&err, PICA_E_MALFORMED, "the inner JWS has a "
		    "\"jwk\", no \"kid\" or \"nonce\", and the outer \"url\"");
		goto fail;
	}
	if (jwk_to_pkey(inner.jwk, &newkey, &err) == -1 ||
	    jws_verify(&inner, newkey, &err) == -1)
		goto fail;
	payload = json_loadb((const char *)inner.payload, inner.payload_len,
	    JSON_REJECT_DUPLICATES, NULL);
	acct_url = json_string_value(json_object_get(payload, "account"));
	old = json_object_get(payload, "oldKey");
	if (acct_url == NULL || old == NULL) {
		pica_err_set(&err, PICA_E_MALFORMED, "the inner payload is "
		    "{\"account\": ..., \"oldKey\": ...}");
		goto fail;
	}
	if (strcmp(acct_url, ((struct jws *)p.jws)->kid) != 0) {
		pica_err_set(&err, PICA_E_UNAUTHORIZED, "the inner payload "
		    "names another account");
		goto fail;
	}
	/* Compare keys, not spellings of them. */
	if (jwk_to_pkey(old, &oldkey, &err) == -1)
		goto fail;
	if (jwk_thumbprint(inner.jwk, tp) == -1) {
		pica_err_set(&err, PICA_E_BADPUBKEY, "new key thumbprint");
		goto fail;
	}
	k.id = p.account_id;
	k.old_jwk = json_object_get(p.account, "key");
	{
		char old_tp[64];
		if (jwk_thumbprint(old, old_tp) == -1 || strcmp(old_tp,
		    json_string_value(json_object_get(p.account,
		    "thumbprint"))) != 0) {
			pica_err_set(&err, PICA_E_UNAUTHORIZED, "\"oldKey\" is "
			    "not the account's key");
			goto fail;
		}
	}
	k.new_jwk = jwk_from_pkey(newkey);
	k.new_tp = tp;
	r = store_run(a->store, acme_keychange_fn, &k);
	if (r == ACME_KEY_IN_USE) {
		url = acme_url(a, "account", k.holder, NULL);
		http_header(resp, "Location", "%s", url);
		pica_err_set(&err, PICA_E_MALFORMED, "the new key belongs to "
		    "an account already");
		acme_problem(a, resp, &err);
		resp->status = 409;
		goto out;
	}
	if (r != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, r == STORE_ALREADY ? PICA_E_UNAUTHORIZED :
		    PICA_E_INTERNAL, "%s", r == STORE_ALREADY ? "the account's "
		    "key changed meanwhile" : "store failure (key change)");
		goto fail;
	}
	log_info("account %s: key changed", p.account_id);
	resp->status = 200;
	acme_common_headers(a, resp);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	free(url);
	free(k.holder);
	json_decref(k.new_jwk);
	json_decref(payload);
	free(text);
	jws_free(&inner);
	EVP_PKEY_free(newkey);
	EVP_PKEY_free(oldkey);
	acme_post_close(&p);
	return 0;
}
