/*
 * Accounts: newAccount, the account URL (update, deactivation) and its
 * orders list (RFC 8555 7.3, 7.1.2.1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme.h"
#include "conf.h"
#include "eab.h"
#include "jws.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* Check contact: mailto: URLs of one plain address each. */
static int
acme_check_contact(json_t *contact, struct pica_err *err)
{
	size_t		 i;
	json_t		*c;
	const char	*s, *addr, *at;

	if (!json_is_array(contact))
		return pica_err_set(err, PICA_E_MALFORMED,
		    "\"contact\" must be an array of mailto: URLs");
	if (json_array_size(contact) > ACME_MAX_CONTACTS)
		return pica_err_set(err, PICA_E_INVALID_CONTACT,
		    "at most %d contacts", ACME_MAX_CONTACTS);
	json_array_foreach(contact, i, c) {
		if (!json_is_string(c))
			return pica_err_set(err, PICA_E_MALFORMED,
			    "\"contact\" entries are strings");
		s = json_string_value(c);
		if (strncmp(s, "mailto:", 7) != 0)
			return pica_err_set(err, PICA_E_UNSUPPORTED_CONTACT,
			    "contact \"%.100s\": only mailto: is supported", s);
		addr = s + 7;
		at = strchr(addr, '@');
		/* No hfields, no second address, no spaces or controls. */
		if (at == NULL || at == addr || at[1] == '\0' ||
		    strchr(at + 1, '@') != NULL || strlen(addr) > 254 ||
		    strpbrk(addr, "?,;<> \t\r\n\"") != NULL ||
		    strchr(at + 1, '.') == NULL)
			return pica_err_set(err, PICA_E_INVALID_CONTACT,
			    "contact \"%.100s\" is not a mailto: URL of one "
			    "email address", s);
	}
	return 0;
}

/* The account as the client sees it. */
static json_t *
acme_account_view(struct acme *a, const char *id, json_t *acct)
{
	json_t	*v;
	char	*orders = acme_url(a, "account", id, "/orders");

	v = json_pack("{s:O, s:O, s:s}",
	    "status", json_object_get(acct, "status"),
	    "contact", json_object_get(acct, "contact"),
	    "orders", orders);
	if (json_is_true(json_object_get(acct, "termsOfServiceAgreed")))
		json_object_set_new(v, "termsOfServiceAgreed", json_true());
	json_object_set(v, "key", json_object_get(acct, "key"));
	free(orders);
	return v;
}

/* store_run verdicts: no binding where one is required; a bad one. */
#define ACME_NEED_EAB	100
#define ACME_BAD_EAB	102

struct acme_new_account {
	struct acme	*a;
	const char	*ip;		/* the client's address */
	struct acme_post *p;
	char		 id[32];
	json_t		*acct;		/* out */
	int		 created;
	int		 only_existing;
	int		 eab_missing;
	struct jws	*eab;		/* the binding, parsed, or NULL */
	struct pica_err	 eab_err;	/* why it did not bind */
	json_t		*contact;
	int		 tos;
};

/* Check the binding against its key, inside the creating transaction. */
static int
acme_eab_check(struct store_txn *t, struct acme_new_account *n,
    struct eab_key *k)
{
	int	 r;

	if ((r = eab_get(t, n->eab->kid, k)) != 0) {
		if (r != STORE_NOTFOUND)
			return r;
		pica_err_set(&n->eab_err, PICA_E_UNAUTHORIZED, "external "
		    "account binding: unknown kid \"%.64s\"", n->eab->kid);
		return ACME_BAD_EAB;
	}
	if (k->account != NULL) {
		pica_err_set(&n->eab_err, PICA_E_UNAUTHORIZED, "external "
		    "account binding: this key has bound an account already");
		return ACME_BAD_EAB;
	}
	if (jws_verify_mac(n->eab, k->key, EAB_KEY_LEN, &n->eab_err) == -1) {
		n->eab_err.code = PICA_E_UNAUTHORIZED;
		return ACME_BAD_EAB;
	}
	return 0;
}

static int
acme_new_account_fn(struct store_txn *t, void *arg)
{
	struct acme_new_account	*n = arg;
	struct eab_key		 k;
	char			*existing = NULL;
	int			 r;

	memset(&k, 0, sizeof(k));
	json_decref(n->acct);
	n->acct = NULL;
	n->created = 0;
	r = store_account_by_thumbprint(t, n->p->thumbprint, &existing);
	if (r == 0) {
		snprintf(n->id, sizeof(n->id), "%s", existing);
		free(existing);
		return acme_obj_get(t, STORE_ACCOUNTS, n->id, &n->acct);
	}
	if (r != STORE_NOTFOUND || n->only_existing)
		return r;
	if (n->eab_missing)
		return ACME_NEED_EAB;
	if (n->eab != NULL && (r = acme_eab_check(t, n, &k)) != 0)
		goto out;
	if ((r = acme_rate_take(t, "account", n->ip, n->a->conf->rl_accounts_n,
	    n->a->conf->rl_accounts_window, &n->a->retry_after)) != 0)
		goto out;
	acme_new_id(n->id);
	n->acct = json_pack("{s:s, s:O, s:b, s:O, s:s, s:I}",
	    "status", "valid", "contact", n->contact,
	    "termsOfServiceAgreed", n->tos, "key", n->p->jwk,
	    "thumbprint", n->p->thumbprint, "created", (json_int_t)time(NULL));
	if (n->acct == NULL) {
		r = -1;
		goto out;
	}
	if (n->eab != NULL) {
		json_object_set_new(n->acct, "eab", json_string(n->eab->kid));
		if ((r = eab_bind(t, &k, n->id)) != 0)
			goto out;
	}
	n->created = 1;
	r = acme_obj_put(t, STORE_ACCOUNTS, n->id, n->acct, 1);
out:
	eab_key_free(&k);
	return r;
}

/*
 * The externalAccountBinding of newAccount: an HS256 JWS over the
 * account's key, for the same URL, under the kid of an EAB key.  Its MAC
 * is checked in the transaction that creates the account.
 */
static int
acme_eab_parse(json_t *binding, struct acme_post *p, struct jws *eab,
    struct pica_err *err)
{
	char		*text = NULL;
	json_t		*key = NULL;
	int		 rc = -1;

	if (!json_is_object(binding) ||
	    (text = json_dumps(binding, JSON_COMPACT)) == NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "\"externalAccountBinding\" "
		    "is a JWS object");
		goto out;
	}
	if (jws_parse(text, strlen(text), 1, eab, err) == -1)
		goto out;
	if (strcmp(eab->url, ((struct jws *)p->jws)->url) != 0) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "external account "
		    "binding: \"url\" is not newAccount's");
		goto out;
	}
	key = json_loadb((const char *)eab->payload, eab->payload_len, 0,
	    NULL);
	if (key == NULL || !json_equal(key, p->jwk)) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "external account "
		    "binding: its payload is not the account's key");
		goto out;
	}
	rc = 0;
out:
	json_decref(key);
	free(text);
	return rc;
}

static int
acme_new_account(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post		 p;
	struct acme_new_account		 n;
	struct pica_err			 err;
	struct jws			 eab;
	json_t				*v;
	char				*url = NULL;
	int				 r;

	memset(&n, 0, sizeof(n));
	memset(&eab, 0, sizeof(eab));
	pica_err_clear(&err);
	if (acme_post_open(a, req, resp, ACME_JWK, &p) == -1)
		return 0;
	if (p.payload == NULL) {
		pica_err_set(&err, PICA_E_MALFORMED, "newAccount needs a "
		    "payload");
		goto fail;
	}
	if ((n.contact = json_object_get(p.payload, "contact")) != NULL) {
		if (acme_check_contact(n.contact, &err) == -1)
			goto fail;
		json_incref(n.contact);
	} else
		n.contact = json_array();
	if ((v = json_object_get(p.payload, "termsOfServiceAgreed")) != NULL &&
	    !json_is_boolean(v)) {
		pica_err_set(&err, PICA_E_MALFORMED,
		    "\"termsOfServiceAgreed\" must be a boolean");
		goto fail;
	}
	n.tos = json_is_true(v);
	n.only_existing = json_is_true(json_object_get(p.payload,
	    "onlyReturnExisting"));
	/* An existing account is found again without a binding. */
	n.eab_missing = a->conf->eab_required &&
	    json_object_get(p.payload, "externalAccountBinding") == NULL;
	if ((v = json_object_get(p.payload, "externalAccountBinding")) != NULL &&
	    acme_eab_parse(v, &p, &eab, &err) == -1)
		goto fail;
	if (v != NULL)
		n.eab = &eab;
	n.p = &p;
	n.a = a;
	n.ip = req->remote_addr[0] != '\0' ? req->remote_addr : "unknown";
	r = store_run(a->store, acme_new_account_fn, &n);
	if (r == ACME_RATE_LIMITED) {
		pica_err_set(&err, PICA_E_RATELIMITED, "too many new accounts "
		    "from %s: at most %lld in %s", n.ip,
		    (long long)a->conf->rl_accounts_n,
		    acme_window_text(a->conf->rl_accounts_window));
		goto fail;
	}
	if (r == STORE_NOTFOUND) {
		pica_err_set(&err, PICA_E_NOACCOUNT, "no account for this key");
		goto fail;
	}
	if (r == ACME_BAD_EAB) {
		err = n.eab_err;
		goto fail;
	}
	if (r == ACME_NEED_EAB) {
		pica_err_set(&err, PICA_E_EAB_REQUIRED, "this CA requires an "
		    "external account binding (ask its admin for a key made "
		    "with `pica eab add`)");
		goto fail;
	}
	if (r != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, PICA_E_INTERNAL, "store failure (new "
		    "account)");
		goto fail;
	}
	url = acme_url(a, "account", n.id, NULL);
	v = acme_account_view(a, n.id, n.acct);
	http_json(resp, n.created ? 201 : 200, "application/json", v);
	json_decref(v);
	http_header(resp, "Location", "%s", url);
	acme_common_headers(a, resp);
	if (n.created)
		log_info("account %s created", n.id);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	free(url);
	json_decref(n.acct);
	json_decref(n.contact);
	jws_free(&eab);
	acme_post_close(&p);
	return 0;
}

struct acme_account_update {
	const char	*id;
	json_t		*payload;
	json_t		*acct;		/* out */
};

static int
acme_account_update_fn(struct store_txn *t, void *arg)
{
	struct acme_account_update	*u = arg;
	json_t				*v;
	int				 r;

	json_decref(u->acct);
	u->acct = NULL;
	if ((r = acme_obj_get(t, STORE_ACCOUNTS, u->id, &u->acct)) != 0)
		return r;
	if (u->payload == NULL)
		return 0;
	if ((v = json_object_get(u->payload, "contact")) != NULL)
		json_object_set(u->acct, "contact", v);
	if ((v = json_object_get(u->payload, "status")) != NULL)
		json_object_set_new(u->acct, "status",
		    json_string("deactivated"));
	return acme_obj_put(t, STORE_ACCOUNTS, u->id, u->acct, 0);
}

struct acme_orders_list {
	const char	*id;
	size_t		 skip;
	char		**ids;
	size_t		 n;
};

static int
acme_orders_list_fn(struct store_txn *t, void *arg)
{
	struct acme_orders_list	*l = arg;
	size_t			 i;

	for (i = 0; l->ids != NULL && l->ids[i] != NULL; i++)
		free(l->ids[i]);
	free(l->ids);
	l->ids = NULL;
	/* One more than a page, to know whether there is a next one. */
	return store_orders_by_account(t, l->id, l->skip,
	    ACME_ORDERS_PAGE + 1, &l->ids, &l->n);
}

static int
acme_account_orders(struct acme *a, struct http_resp *resp,
    struct acme_post *p, const char *query)
{
	struct acme_orders_list	 l = { p->account_id, 0, NULL, 0 };
	struct pica_err		 err;
	json_t			*list;
	size_t			 i;
	char			*url;
	int			 r;

	if (strncmp(query, "cursor=", 7) == 0)
		l.skip = (size_t)strtoul(query + 7, NULL, 10);
	if ((r = store_run(a->store, acme_orders_list_fn, &l)) != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, PICA_E_INTERNAL, "store failure (orders)");
		acme_problem(a, resp, &err);
		return 0;
	}
	list = json_array();
	for (i = 0; i < l.n && i < ACME_ORDERS_PAGE; i++) {
		url = acme_url(a, "order", l.ids[i], NULL);
		json_array_append_new(list, json_string(url));
		free(url);
	}
	if (l.n > ACME_ORDERS_PAGE) {
		url = acme_url(a, "account", p->account_id, "/orders");
		http_header(resp, "Link", "<%s?cursor=%zu>;rel=\"next\"", url,
		    l.skip + ACME_ORDERS_PAGE);
		free(url);
	}
	for (i = 0; i < l.n; i++)
		free(l.ids[i]);
	free(l.ids);
	json_t *doc = json_pack("{s:o}", "orders", list);
	http_json(resp, 200, "application/json", doc);
	json_decref(doc);
	acme_common_headers(a, resp);
	return 0;
}

int
acme_account(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post		 p;
	struct acme_account_update	 u;
	struct pica_err			 err;
	json_t				*v, *st;
	char				 id[64];
	int				 r, orders = 0;

	if (strcmp(req->path, "/acme/new-account") == 0)
		return acme_new_account(a, req, resp);
	pica_err_clear(&err);
	memset(&u, 0, sizeof(u));
	if (acme_path_id(req, "account", id, sizeof(id), "/orders") != NULL)
		orders = 1;
	else if (acme_path_id(req, "account", id, sizeof(id), NULL) == NULL) {
		pica_err_set(&err, PICA_E_NOTFOUND, "no such resource");
		acme_problem(a, resp, &err);
		return 0;
	}
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	if (strcmp(p.account_id, id) != 0) {
		pica_err_set(&err, PICA_E_UNAUTHORIZED, "an account reads and "
		    "changes only itself");
		goto fail;
	}
	if (orders) {
		acme_account_orders(a, resp, &p, req->query);
		goto out;
	}
	if (p.payload != NULL) {
		if ((v = json_object_get(p.payload, "contact")) != NULL &&
		    acme_check_contact(v, &err) == -1)
			goto fail;
		st = json_object_get(p.payload, "status");
		if (st != NULL && (!json_is_string(st) ||
		    strcmp(json_string_value(st), "deactivated") != 0)) {
			pica_err_set(&err, PICA_E_MALFORMED, "an account's "
			    "status can only be set to \"deactivated\"");
			goto fail;
		}
	}
	u.id = id;
	u.payload = p.payload;
	if ((r = store_run(a->store, acme_account_update_fn, &u)) != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, PICA_E_INTERNAL, "store failure (account)");
		goto fail;
	}
	v = acme_account_view(a, id, u.acct);
	http_json(resp, 200, "application/json", v);
	json_decref(v);
	acme_common_headers(a, resp);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	json_decref(u.acct);
	acme_post_close(&p);
	return 0;
}
