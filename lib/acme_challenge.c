/*
 * Challenges (RFC 8555 7.5.1).  A challenge POST is answered at once; the
 * validation runs after the response (acme_challenge_after), so a slow
 * target never holds the client's request.  Only acme-challenge links
 * this file, and with it the validator's libcurl.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme.h"
#include "conf.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "validate.h"

struct acme_chall_op {
	struct acme	*a;
	const char	*id;
	const char	*account;	/* NULL: the validator itself */
	int		 start;		/* the client asks to validate */
	json_t		*chall;		/* out */
	json_t		*authz;		/* out */
	char		*authz_id;	/* out */
	/* The validator's verdict, to store. */
	int		 done;
	const struct pica_err *result;
};

static int
acme_chall_fn(struct store_txn *t, void *arg)
{
	struct acme_chall_op	*o = arg;
	json_t			*entry, *ident;
	const char		*status;
	char			 key[400], value[300];
	int			 r;

	json_decref(o->chall);
	json_decref(o->authz);
	free(o->authz_id);
	o->chall = o->authz = NULL;
	o->authz_id = NULL;
	if ((r = acme_obj_get(t, STORE_CHALLENGES, o->id, &o->chall)) != 0)
		return r;
	if (o->account != NULL && strcmp(json_string_value(
	    json_object_get(o->chall, "account")), o->account) != 0)
		return STORE_NOTFOUND;
	o->authz_id = xstrdup(json_string_value(json_object_get(o->chall,
	    "authz")));
	if ((r = acme_obj_get(t, STORE_AUTHZS, o->authz_id, &o->authz)) != 0)
		return r;
	status = json_string_value(json_object_get(o->chall, "status"));
	if (o->start) {
		/* Only a pending challenge of a pending authz starts. */
		if (strcmp(status, "pending") != 0 ||
		    strcmp(json_string_value(json_object_get(o->authz,
		    "status")), "pending") != 0)
			return 0;
		json_object_set_new(o->chall, "status",
		    json_string("processing"));
		return acme_obj_put(t, STORE_CHALLENGES, o->id, o->chall, 0);
	}
	if (!o->done)
		return 0;
	if (strcmp(status, "processing") != 0)
		return 0;
	if (o->result == NULL) {
		json_object_set_new(o->chall, "status", json_string("valid"));
		json_object_set_new(o->chall, "validated",
		    json_integer((json_int_t)time(NULL)));
		json_object_set_new(o->authz, "status", json_string("valid"));
		/* A valid authorization lives on, for later orders. */
		json_object_set_new(o->authz, "expires", json_integer(
		    (json_int_t)time(NULL) + ACME_AUTHZ_TTL));
	} else {
		json_object_set_new(o->chall, "status", json_string("invalid"));
		json_object_set_new(o->chall, "error",
		    acme_problem_doc(o->result));
		json_object_set_new(o->authz, "status", json_string("invalid"));
	}
	if ((r = acme_obj_put(t, STORE_CHALLENGES, o->id, o->chall, 0)) != 0 ||
	    (r = acme_obj_put(t, STORE_AUTHZS, o->authz_id, o->authz, 0)) != 0)
		return r;
	if (o->result != NULL)
		return 0;
	/* Remember it for the account, so that its new orders reuse it. */
	ident = json_object_get(o->authz, "identifier");
	snprintf(value, sizeof(value), "%s%s",
	    json_is_true(json_object_get(o->authz, "wildcard")) ? "*." : "",
	    json_string_value(json_object_get(ident, "value")));
	if (acme_valid_authz_key(key, sizeof(key), json_string_value(
	    json_object_get(o->chall, "account")), json_string_value(
	    json_object_get(ident, "type")), value) == -1)
		return 0;
	entry = json_pack("{s:s, s:O}", "id", o->authz_id, "expires",
	    json_object_get(o->authz, "expires"));
	r = acme_obj_put(t, STORE_VALID_AUTHZS, key, entry, 0);
	json_decref(entry);
	return r;
}

static void
acme_chall_op_free(struct acme_chall_op *o)
{
	json_decref(o->chall);
	json_decref(o->authz);
	free(o->authz_id);
}

int
acme_challenge(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct acme_chall_op	 o;
	struct pica_err		 err;
	json_t			*v;
	char			 id[64], *up;
	int			 r;

	memset(&o, 0, sizeof(o));
	pica_err_clear(&err);
	if (acme_path_id(req, "chall", id, sizeof(id), NULL) == NULL) {
		pica_err_set(&err, PICA_E_NOTFOUND, "no such challenge");
		acme_problem(a, resp, &err);
		return 0;
	}
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	o.a = a;
	o.id = id;
	o.account = p.account_id;
	/* "{}" asks for validation; POST-as-GET only reads. */
	o.start = p.payload != NULL;
	if ((r = store_run(a->store, acme_chall_fn, &o)) != 0) {
		acme_store_err(a, r, &err, "challenge");
		goto fail;
	}
	if (o.start && strcmp(json_string_value(json_object_get(o.chall,
	    "status")), "processing") == 0) {
		free(a->pending_chall);
		a->pending_chall = xstrdup(id);
	}
	v = acme_chall_view(a, id, o.chall);
	http_json(resp, 200, "application/json", v);
	json_decref(v);
	up = acme_url(a, "authz", o.authz_id, NULL);
	http_header(resp, "Link", "<%s>;rel=\"up\"", up);
	free(up);
	acme_common_headers(a, resp);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	acme_chall_op_free(&o);
	acme_post_close(&p);
	return 0;
}

void
acme_challenge_after(struct acme *a)
{
	struct acme_chall_op	 o;
	struct validate_opts	 vo;
	struct pica_err		 err;
	json_t			*acct = NULL, *ident;
	const char		*type, *itype, *value, *token, *tp;
	char			 keyauth[256], *id;
	int			 r;

	if ((id = a->pending_chall) == NULL)
		return;
	a->pending_chall = NULL;
	memset(&o, 0, sizeof(o));
	pica_err_clear(&err);
	o.a = a;
	o.id = id;
	if ((r = store_run(a->store, acme_chall_fn, &o)) != 0 ||
	    strcmp(json_string_value(json_object_get(o.chall, "status")),
	    "processing") != 0)
		goto out;
	/* The key authorization binds the token to the account's key now. */
	if ((r = acme_load(a, STORE_ACCOUNTS, json_string_value(
	    json_object_get(o.chall, "account")), &acct)) != 0)
		goto out;
	tp = json_string_value(json_object_get(acct, "thumbprint"));
	token = json_string_value(json_object_get(o.chall, "token"));
	snprintf(keyauth, sizeof(keyauth), "%s.%s", token, tp);
	type = json_string_value(json_object_get(o.chall, "type"));
	ident = json_object_get(o.authz, "identifier");
	itype = json_string_value(json_object_get(ident, "type"));
	value = json_string_value(json_object_get(ident, "value"));
	memset(&vo, 0, sizeof(vo));
	vo.http_port = a->conf->http_port;
	vo.tls_port = a->conf->tls_port;
	vo.resolver = a->conf->resolver;
	vo.timeout = 10;
	if (strcmp(type, "http-01") == 0)
		r = validate_http01(&vo, itype, value, token, keyauth, &err);
	else if (strcmp(type, "dns-01") == 0)
		r = validate_dns01(&vo, value, keyauth, &err);
	else
		r = validate_tlsalpn01(&vo, itype, value, keyauth, &err);
	log_info("challenge %s (%s %s): %s%s%s", id, type, value,
	    r == 0 ? "valid" : "invalid", r == 0 ? "" : ": ",
	    r == 0 ? "" : err.msg);
	o.done = 1;
	o.result = r == 0 ? NULL : &err;
	if ((r = store_run(a->store, acme_chall_fn, &o)) != 0)
		goto out;
out:
	if (r == STORE_PANIC)
		a->store_panic = 1;
	json_decref(acct);
	acme_chall_op_free(&o);
	free(id);
}

