/*
 * Authorizations (RFC 8555 7.5) and certificate download (7.4.2).
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

json_t *
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
		acme_store_err(a, r, &err, "authorization");
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

int
acme_cert(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct pica_err		 err;
	struct cert_rec		 rec;
	unsigned char		 sn[STORE_SERIAL_MAX];
	size_t			 snlen;
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
		acme_store_err(a, r, &err, "certificate");
		goto fail;
	}
	/* Certificates are public, but an account reads only its own here. */
	if (rec.account == NULL || strcmp(rec.account, p.account_id) != 0) {
		pica_err_set(&err, PICA_E_UNAUTHORIZED, "this certificate was "
		    "not issued to this account");
		goto fail;
	}
	/* The stored DER as it is: the store only holds what pica signed. */
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio(bio, PEM_STRING_X509, "", rec.der,
	    (long)rec.der_len) ||
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
	cert_rec_free(&rec);
	acme_post_close(&p);
	return 0;
}
