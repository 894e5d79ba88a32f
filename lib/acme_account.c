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

/* store_run verdict: the account would need an external binding. */
#define ACME_NEED_EAB	100

struct acme_new_account {
	struct acme_post *p;
	char		 id[32];
	json_t		*acct;		/* out */
	int		 created;
	int		 only_existing;
	int		 eab_missing;
	json_t		*contact;
	int		 tos;
};

static int
acme_new_account_fn(struct store_txn *t, void *arg)
{
	struct acme_new_account	*n = arg;
	char			*existing = NULL;
	int			 r;

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
	acme_new_id(n->id);
	n->acct = json_pack("{s:s, s:O, s:b, s:O, s:s, s:I}",
	    "status", "valid", "contact", n->contact,
	    "termsOfServiceAgreed", n->tos, "key", n->p->jwk,
	    "thumbprint", n->p->thumbprint, "created", (json_int_t)time(NULL));
	if (n->acct == NULL)
		return -1;
	n->created = 1;
	return acme_obj_put(t, STORE_ACCOUNTS, n->id, n->acct, 1);
}

static int
acme_new_account(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post		 p;
	struct acme_new_account		 n;
	struct pica_err			 err;
	json_t				*v;
	char				*url = NULL;
	int				 r;

	memset(&n, 0, sizeof(n));
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
	n.p = &p;
	r = store_run(a->store, acme_new_account_fn, &n);
	if (r == STORE_NOTFOUND) {
		pica_err_set(&err, PICA_E_NOACCOUNT, "no account for this key");
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
