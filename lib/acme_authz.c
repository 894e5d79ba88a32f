/*
 * Authorizations and challenges (RFC 8555 7.5, 7.5.1), and certificate
 * download (7.4.2).  A challenge POST is answered at once; the
 * validation runs after the response (acme_challenge_after), so a slow
 * target never holds the client's request.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"
#include "ca.h"
#include "conf.h"
#include "log.h"
#include "serial.h"
#include "store.h"
#include "util.h"
#include "validate.h"

static json_t *
acme_chall_view(struct acme *a, const char *id, json_t *c)
{
	json_t	*v, *e;
	char	*url = acme_url(a, "chall", id, NULL), t[32];

	v = json_pack("{s:O, s:s, s:O, s:O}",
	    "type", json_object_get(c, "type"), "url", url,
	    "status", json_object_get(c, "status"),
	    "token", json_object_get(c, "token"));
	if (json_is_integer(e = json_object_get(c, "validated"))) {
		acme_time(json_integer_value(e), t, sizeof(t));
		json_object_set_new(v, "validated", json_string(t));
	}
	if ((e = json_object_get(c, "error")) != NULL)
		json_object_set(v, "error", e);
	free(url);
	return v;
}

struct acme_authz_op {
	struct acme	*a;
	const char	*id;
	const char	*account;
	int		 deactivate;
	json_t		*view;		/* out */
};

static int
acme_authz_fn(struct store_txn *t, void *arg)
{
	struct acme_authz_op	*o = arg;
	json_t			*authz = NULL, *c = NULL, *challs, *cid;
	const char		*status;
	char			 tbuf[32];
	size_t			 i;
	int			 r;
	int64_t			 now = (int64_t)time(NULL);

	json_decref(o->view);
	o->view = NULL;
	if ((r = acme_obj_get(t, STORE_AUTHZS, o->id, &authz)) != 0)
		return r;
	r = STORE_NOTFOUND;
	if (strcmp(json_string_value(json_object_get(authz, "account")),
	    o->account) != 0)
		goto out;
	status = json_string_value(json_object_get(authz, "status"));
	if (o->deactivate && (strcmp(status, "pending") == 0 ||
	    strcmp(status, "valid") == 0)) {
		json_object_set_new(authz, "status", json_string("deactivated"));
		if ((r = acme_obj_put(t, STORE_AUTHZS, o->id, authz, 0)) != 0)
			goto out;
	} else if (json_integer_value(json_object_get(authz, "expires")) <=
	    now && (strcmp(status, "pending") == 0 ||
	    strcmp(status, "valid") == 0))
		json_object_set_new(authz, "status", json_string("expired"));
	challs = json_array();
	json_array_foreach(json_object_get(authz, "challenges"), i, cid) {
		if ((r = acme_obj_get(t, STORE_CHALLENGES,
		    json_string_value(cid), &c)) != 0) {
			json_decref(challs);
			goto out;
		}
		json_array_append_new(challs, acme_chall_view(o->a,
		    json_string_value(cid), c));
		json_decref(c);
		c = NULL;
	}
	acme_time(json_integer_value(json_object_get(authz, "expires")), tbuf,
	    sizeof(tbuf));
	o->view = json_pack("{s:O, s:O, s:s, s:o}",
	    "identifier", json_object_get(authz, "identifier"),
	    "status", json_object_get(authz, "status"),
	    "expires", tbuf, "challenges", challs);
	if (json_is_true(json_object_get(authz, "wildcard")))
		json_object_set_new(o->view, "wildcard", json_true());
	r = 0;
out:
	json_decref(authz);
	return r;
}

int
acme_authz(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct acme_authz_op	 o;
	struct pica_err		 err;
	json_t			*st;
	char			 id[64];
	int			 r;

	memset(&o, 0, sizeof(o));
	pica_err_clear(&err);
	if (acme_path_id(req, "authz", id, sizeof(id), NULL) == NULL) {
		pica_err_set(&err, PICA_E_NOTFOUND, "no such authorization");
		acme_problem(a, resp, &err);
		return 0;
	}
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	if (p.payload != NULL) {
		st = json_object_get(p.payload, "status");
		if (!json_is_string(st) ||
		    strcmp(json_string_value(st), "deactivated") != 0) {
			pica_err_set(&err, PICA_E_MALFORMED, "an authorization "
			    "can only be set to \"deactivated\"");
			goto fail;
		}
		o.deactivate = 1;
	}
	o.a = a;
	o.id = id;
	o.account = p.account_id;
	if ((r = store_run(a->store, acme_authz_fn, &o)) != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, r == STORE_NOTFOUND ? PICA_E_NOTFOUND :
		    PICA_E_INTERNAL, "%s", r == STORE_NOTFOUND ?
		    "no such authorization" : "store failure (authz)");
		goto fail;
	}
	http_json(resp, 200, "application/json", o.view);
	acme_common_headers(a, resp);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	json_decref(o.view);
	acme_post_close(&p);
	return 0;
}

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
	json_t			*acct = NULL, *map, *ident;
	const char		*status;
	char			 key[300];
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
	/* Remember it on the account so that new orders reuse it. */
	if ((r = acme_obj_get(t, STORE_ACCOUNTS, json_string_value(
	    json_object_get(o->chall, "account")), &acct)) != 0)
		return r;
	ident = json_object_get(o->authz, "identifier");
	snprintf(key, sizeof(key), "%s:%s%s",
	    json_string_value(json_object_get(ident, "type")),
	    json_is_true(json_object_get(o->authz, "wildcard")) ? "*." : "",
	    json_string_value(json_object_get(ident, "value")));
	if ((map = json_object_get(acct, "authzs")) == NULL) {
		map = json_object();
		json_object_set_new(acct, "authzs", map);
	}
	json_object_set_new(map, key, json_string(o->authz_id));
	r = acme_obj_put(t, STORE_ACCOUNTS, json_string_value(
	    json_object_get(o->chall, "account")), acct, 0);
	json_decref(acct);
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
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, r == STORE_NOTFOUND ? PICA_E_NOTFOUND :
		    PICA_E_INTERNAL, "%s", r == STORE_NOTFOUND ?
		    "no such challenge" : "store failure (challenge)");
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

int
acme_cert(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct pica_err		 err;
	struct cert_rec		 rec;
	unsigned char		 sn[STORE_SERIAL_MAX];
	size_t			 snlen;
	const unsigned char	*d;
	X509			*leaf = NULL;
	BIO			*bio = NULL;
	char			 id[80], *pem;
	long			 len;
	int			 r;

	memset(&rec, 0, sizeof(rec));
	pica_err_clear(&err);
	if (acme_path_id(req, "cert", id, sizeof(id), NULL) == NULL ||
	    serial_parse(id, sn, sizeof(sn), &snlen) == -1) {
		pica_err_set(&err, PICA_E_NOTFOUND, "no such certificate");
		acme_problem(a, resp, &err);
		return 0;
	}
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	if ((r = store_cert_lookup(a->store, sn, snlen, &rec)) != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, r == STORE_NOTFOUND ? PICA_E_NOTFOUND :
		    PICA_E_INTERNAL, "%s", r == STORE_NOTFOUND ?
		    "no such certificate" : "store failure (certificate)");
		goto fail;
	}
	/* Certificates are public, but an account reads only its own here. */
	if (rec.account == NULL || strcmp(rec.account, p.account_id) != 0) {
		pica_err_set(&err, PICA_E_UNAUTHORIZED, "this certificate was "
		    "not issued to this account");
		goto fail;
	}
	d = rec.der;
	if ((leaf = d2i_X509(NULL, &d, (long)rec.der_len)) == NULL ||
	    (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, leaf) ||
	    !PEM_write_bio_X509(bio, a->ca->cert)) {
		pica_err_ssl(&err, PICA_E_INTERNAL, "certificate %s", id);
		goto fail;
	}
	len = BIO_get_mem_data(bio, &pem);
	http_body(resp, 200, "application/pem-certificate-chain", pem,
	    (size_t)len);
	acme_common_headers(a, resp);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	BIO_free(bio);
	X509_free(leaf);
	cert_rec_free(&rec);
	acme_post_close(&p);
	return 0;
}
