#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "acme.h"
#include "ca.h"
#include "conf.h"
#include "duration.h"
#include "jws.h"
#include "log.h"
#include "prog.h"
#include "rec.h"
#include "store.h"
#include "util.h"

/* Record layout of an ACME object: index key, creation time, JSON. */
#define ACME_TAG_INDEX		1	/* ACCT_TAG_THUMBPRINT, ORDER_TAG_ACCOUNT */
#define ACME_TAG_CREATED	2	/* ORDER_TAG_CREATED */
#define ACME_TAG_JSON		3

/* Depth of a client's JSON payload: more is not ACME. */
#define ACME_MAX_DEPTH		8

static const struct {
	enum pica_errc	 code;
	const char	*type;
	int		 status;
} acme_problems[] = {
	{ PICA_E_MALFORMED, "malformed", 400 },
	{ PICA_E_USAGE, "malformed", 400 },
	{ PICA_E_NOTFOUND, "malformed", 404 },
	{ PICA_E_METHOD, "malformed", 405 },
	{ PICA_E_TOO_LARGE, "malformed", 413 },
	{ PICA_E_MEDIA_TYPE, "malformed", 415 },
	{ PICA_E_BADNONCE, "badNonce", 400 },
	{ PICA_E_BADSIGALG, "badSignatureAlgorithm", 400 },
	{ PICA_E_UNAUTHORIZED, "unauthorized", 403 },
	{ PICA_E_NOACCOUNT, "accountDoesNotExist", 400 },
	{ PICA_E_ORDER_NOT_READY, "orderNotReady", 403 },
	{ PICA_E_EAB_REQUIRED, "externalAccountRequired", 400 },
	{ PICA_E_RATELIMITED, "rateLimited", 429 },
	{ PICA_E_CONNECTION, "connection", 400 },
	{ PICA_E_DNS, "dns", 400 },
	{ PICA_E_INCORRECT, "incorrectResponse", 400 },
	{ PICA_E_TLS, "tls", 400 },
	{ PICA_E_BAD_REASON, "badRevocationReason", 400 },
	{ PICA_E_INVALID_CONTACT, "invalidContact", 400 },
	{ PICA_E_UNSUPPORTED_CONTACT, "unsupportedContact", 400 },
	{ PICA_E_BADCSR, "badCSR", 400 },
	{ PICA_E_BADPUBKEY, "badPublicKey", 400 },
	{ PICA_E_REJECTED, "rejectedIdentifier", 400 },
	{ PICA_E_UNSUPPORTED_ID, "unsupportedIdentifier", 400 },
	{ PICA_E_PROFILE, "invalidProfile", 400 },
	{ PICA_E_ALREADY_REVOKED, "alreadyRevoked", 400 },
};

int
acme_open(struct acme *a, const char *config, int with_key)
{
	struct prog	 p;
	char		 buf[1100];
	int		 r;

	memset(a, 0, sizeof(*a));
	r = prog_open(&p, config, with_key ? PROG_CA_KEY : PROG_NO_KEY);
	/* acme_close frees what was opened. */
	a->conf = p.conf;
	a->ca = p.ca;
	a->store = p.store;
	if (r == -1)
		return -1;
	if (a->conf->external_url == NULL) {
		log_error("%s: \"externalURL\" is required for the ACME server",
		    a->conf->path);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s/acme", a->conf->external_url);
	a->base = xstrdup(buf);
	return 0;
}

void
acme_close(struct acme *a)
{
	store_close(a->store);
	ca_free(a->ca);
	conf_free(a->conf);
	free(a->base);
	free(a->pending_chall);
	free(a->account_id);
	memset(a, 0, sizeof(*a));
}

struct acme_main_args {
	struct acme	*a;
	int		(*handler)(struct acme *, struct http_req *,
			    struct http_resp *);
	void		(*after)(struct acme *);
};

static int
acme_main_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	struct acme_main_args	*m = arg;
	struct acme		*a = m->a;
	const char		*rid = http_param(req, "REQUEST_ID");
	unsigned char		 raw[8];
	char			*hex;

	/* nginx's $request_id when it sends one, else one of our own. */
	if (rid != NULL && rid[0] != '\0')
		snprintf(a->request_id, sizeof(a->request_id), "%.32s", rid);
	else if (RAND_bytes(raw, sizeof(raw)) == 1 &&
	    (hex = util_hex(raw, sizeof(raw))) != NULL) {
		snprintf(a->request_id, sizeof(a->request_id), "%s", hex);
		free(hex);
	}
	free(a->account_id);
	a->account_id = NULL;
	a->retry_after = 0;
	(void)m->handler(a, req, resp);
	/* The store needs recovery: answer, then exit to be restarted. */
	return m->a->store_panic ? HTTP_EXIT : 0;
}

static void
acme_main_after(void *arg)
{
	struct acme_main_args	*m = arg;

	if (m->after != NULL)
		m->after(m->a);
}

int
acme_main(int argc, char *argv[], const char *ident, int with_key,
    int (*handler)(struct acme *, struct http_req *, struct http_resp *),
    void (*after)(struct acme *))
{
	struct acme		 a;
	struct acme_main_args	 m = { &a, handler, after };
	const char		*config;
	int			 rc;

	if (prog_options(argc, argv, ident, &config) == -1)
		return 2;
	if (acme_open(&a, config, with_key) == -1) {
		acme_close(&a);
		return 1;
	}
	rc = http_serve(acme_main_handle, acme_main_after, &m);
	acme_close(&a);
	return prog_exit_status(rc);
}

json_t *
acme_problem_doc(const struct pica_err *err)
{
	size_t		 i;
	const char	*type = "serverInternal";
	char		 urn[128];

	for (i = 0; i < sizeof(acme_problems) / sizeof(acme_problems[0]); i++)
		if (acme_problems[i].code == err->code) {
			type = acme_problems[i].type;
			break;
		}
	snprintf(urn, sizeof(urn), "urn:ietf:params:acme:error:%s", type);
	return json_pack("{s:s, s:s}", "type", urn, "detail",
	    err->code == PICA_E_INTERNAL || err->code == PICA_E_CONFIG ?
	    "internal error; the CA's log says more" : err->msg);
}

void
acme_problem(struct acme *a, struct http_resp *resp,
    const struct pica_err *err)
{
	size_t		 i;
	int		 status = 500;
	const char	*type = "serverInternal";
	json_t		*doc;

	for (i = 0; i < sizeof(acme_problems) / sizeof(acme_problems[0]); i++)
		if (acme_problems[i].code == err->code) {
			status = acme_problems[i].status;
			type = acme_problems[i].type;
			break;
		}
	/* One line per failed request, with what ties it to the client. */
	(status >= 500 ? log_error : log_info)("request %s account %s: %d %s: "
	    "%s", a->request_id[0] ? a->request_id : "-",
	    a->account_id ? a->account_id : "-", status, type, err->msg);
	if (err->code == PICA_E_METHOD)
		http_header(resp, "Allow", "POST");
	if (err->code == PICA_E_RATELIMITED)
		http_header(resp, "Retry-After", "%lld",
		    (long long)(a->retry_after > 0 ? a->retry_after : 60));
	doc = acme_problem_doc(err);
	http_json(resp, status, "application/problem+json", doc);
	json_decref(doc);
	acme_common_headers(a, resp);
}

const char *
acme_window_text(int64_t sec)
{
	/* For error messages of a one-threaded program. */
	static char	 buf[32];

	duration_format(sec, buf, sizeof(buf));
	return buf;
}

void
acme_new_id(char buf[32])
{
	unsigned char	 raw[16];
	char		*s;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		log_error("RAND_bytes failed");
		abort();
	}
	if ((s = b64url_encode(raw, sizeof(raw))) == NULL)
		abort();
	snprintf(buf, 32, "%s", s);
	free(s);
}

void
acme_common_headers(struct acme *a, struct http_resp *resp)
{
	char	 nonce[32];
	int	 r;

	acme_new_id(nonce);
	if ((r = store_nonce_put(a->store, nonce, (int64_t)time(NULL) +
	    ACME_NONCE_TTL)) == 0)
		http_header(resp, "Replay-Nonce", "%s", nonce);
	else {
		/*
		 * No nonce means no next request: say "try again" and let
		 * the supervisor start this program on a recovered store.
		 */
		log_error("storing a nonce failed");
		if (r == STORE_PANIC)
			a->store_panic = 1;
		if (resp->status < 500) {
			resp->status = 503;
			http_header(resp, "Retry-After", "1");
		}
	}
	http_header(resp, "Link", "<%s/directory>;rel=\"index\"", a->base);
	http_header(resp, "Cache-Control", "no-store");
}

char *
acme_url(struct acme *a, const char *kind, const char *id, const char *suffix)
{
	char	 buf[1200];

	snprintf(buf, sizeof(buf), "%s/%s%s%s%s", a->base, kind,
	    id ? "/" : "", id ? id : "", suffix ? suffix : "");
	return xstrdup(buf);
}

const char *
acme_path_id(struct http_req *req, const char *kind, char *buf, size_t len,
    const char *suffix)
{
	char		 prefix[64];
	const char	*p;
	size_t		 n, slen = suffix ? strlen(suffix) : 0;

	snprintf(prefix, sizeof(prefix), "/acme/%s/", kind);
	if (strncmp(req->path, prefix, strlen(prefix)) != 0)
		return NULL;
	p = req->path + strlen(prefix);
	n = strlen(p);
	if (slen > 0) {
		if (n <= slen || strcmp(p + n - slen, suffix) != 0)
			return NULL;
		n -= slen;
	}
	if (n == 0 || n >= len || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") < n)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

int
acme_obj_put(struct store_txn *t, int table, const char *id, json_t *obj,
    int exclusive)
{
	struct rec_buf	 rb;
	char		*text;
	const char	*index = NULL;
	int		 rc;

	if ((text = json_dumps(obj, JSON_COMPACT)) == NULL)
		return -1;
	rec_init(&rb, (uint8_t)(10 + table));
	if (table == STORE_ACCOUNTS)
		index = json_string_value(json_object_get(obj, "thumbprint"));
	else if (table == STORE_ORDERS)
		index = json_string_value(json_object_get(obj, "account"));
	if (index != NULL)
		rec_put_str(&rb, ACME_TAG_INDEX, index);
	if (json_is_integer(json_object_get(obj, "created")))
		rec_put_i64(&rb, ACME_TAG_CREATED,
		    json_integer_value(json_object_get(obj, "created")));
	rec_put_str(&rb, ACME_TAG_JSON, text);
	rc = store_blob_put(t, (enum store_table)table, id, rb.data, rb.len,
	    exclusive);
	rec_free(&rb);
	free(text);
	return rc;
}

int
acme_obj_get(struct store_txn *t, int table, const char *id, json_t **out)
{
	void			*data = NULL;
	size_t			 len;
	struct rec_field	 f;
	int			 rc;

	*out = NULL;
	if ((rc = store_blob_get(t, (enum store_table)table, id, &data,
	    &len)) != 0)
		return rc;
	rc = -1;
	if (rec_find(data, len, ACME_TAG_JSON, &f) != 1) {
		log_error("ACME record %s: no JSON", id);
		goto out;
	}
	if ((*out = json_loadb((const char *)f.val, f.len, 0, NULL)) == NULL) {
		log_error("ACME record %s: bad JSON", id);
		goto out;
	}
	rc = 0;
out:
	free(data);
	return rc;
}

void
acme_time(int64_t t, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
acme_json_depth(json_t *v, int depth)
{
	const char	*k;
	json_t		*e;
	size_t		 i;

	if (depth > ACME_MAX_DEPTH)
		return -1;
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (acme_json_depth(e, depth + 1) == -1)
				return -1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (acme_json_depth(e, depth + 1) == -1)
				return -1;
	}
	return 0;
}

struct acme_account_load {
	const char	*id;
	json_t		*account;
};

static int
acme_account_load_fn(struct store_txn *t, void *arg)
{
	struct acme_account_load	*l = arg;

	json_decref(l->account);
	l->account = NULL;
	return acme_obj_get(t, STORE_ACCOUNTS, l->id, &l->account);
}

int
acme_post_open(struct acme *a, struct http_req *req, struct http_resp *resp,
    int want, struct acme_post *p)
{
	struct pica_err	 err;
	struct jws	*jws;
	EVP_PKEY	*key = NULL;
	char		 url[1200], id[64], *prefix = NULL;
	int		 rc = -1, r;
	json_error_t	 jerr;
	struct acme_account_load l = { NULL, NULL };

	memset(p, 0, sizeof(*p));
	pica_err_clear(&err);
	jws = xcalloc(1, sizeof(*jws));
	p->jws = jws;
	if (strcmp(req->method, "POST") != 0) {
		pica_err_set(&err, PICA_E_METHOD, "%s: use POST (or "
		    "POST-as-GET)", req->method);
		goto fail;
	}
	if (req->too_large) {
		pica_err_set(&err, PICA_E_TOO_LARGE, "request body over %d bytes",
		    HTTP_BODY_MAX);
		goto fail;
	}
	if (strncmp(req->content_type, "application/jose+json", 21) != 0 ||
	    (req->content_type[21] != '\0' && req->content_type[21] != ';')) {
		pica_err_set(&err, PICA_E_MEDIA_TYPE, "Content-Type must be "
		    "application/jose+json");
		goto fail;
	}
	if (jws_parse(req->body, req->body_len, 0, jws, &err) == -1)
		goto fail;
	if (jws->nonce == NULL) {
		pica_err_set(&err, PICA_E_BADNONCE, "JWS has no nonce");
		goto fail;
	}
	if ((r = store_nonce_take(a->store, jws->nonce, (int64_t)time(NULL)))
	    != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(&err, r == STORE_NOTFOUND ? PICA_E_BADNONCE :
		    PICA_E_INTERNAL, r == STORE_NOTFOUND ? "nonce unknown, "
		    "used or expired" : "store failure (nonce)");
		goto fail;
	}
	snprintf(url, sizeof(url), "%s%s", a->conf->external_url, req->path);
	if (jws->url == NULL || strcmp(jws->url, url) != 0) {
		pica_err_set(&err, PICA_E_UNAUTHORIZED, "JWS \"url\" %s%s%s "
		    "is not the URL requested (%s)", jws->url ? "\"" : "",
		    jws->url ? jws->url : "missing", jws->url ? "\"" : "", url);
		goto fail;
	}
	if (jws->kid != NULL) {
		if (!(want & ACME_KID)) {
			pica_err_set(&err, PICA_E_MALFORMED, "this resource "
			    "takes a \"jwk\", not a \"kid\"");
			goto fail;
		}
		prefix = acme_url(a, "account", "", NULL);
		if (strncmp(jws->kid, prefix, strlen(prefix)) != 0 ||
		    strlen(jws->kid + strlen(prefix)) >= sizeof(id) ||
		    jws->kid[strlen(prefix)] == '\0') {
			pica_err_set(&err, PICA_E_NOACCOUNT, "\"kid\" %.200s is "
			    "not an account of this server", jws->kid);
			goto fail;
		}
		snprintf(id, sizeof(id), "%s", jws->kid + strlen(prefix));
		l.id = id;
		r = store_run(a->store, acme_account_load_fn, &l);
		if (r != 0) {
			if (r == STORE_PANIC)
				a->store_panic = 1;
			pica_err_set(&err, r == STORE_NOTFOUND ?
			    PICA_E_NOACCOUNT : PICA_E_INTERNAL, "%s",
			    r == STORE_NOTFOUND ? "no such account" :
			    "store failure (account)");
			goto fail;
		}
		p->account = l.account;
		l.account = NULL;
		p->account_id = xstrdup(id);
		free(a->account_id);
		a->account_id = xstrdup(id);
		if (strcmp(json_string_value(json_object_get(p->account,
		    "status")), "valid") != 0) {
			pica_err_set(&err, PICA_E_UNAUTHORIZED, "account is %s",
			    json_string_value(json_object_get(p->account,
			    "status")));
			goto fail;
		}
		if (jwk_to_pkey(json_object_get(p->account, "key"), &key,
		    &err) == -1)
			goto fail;
	} else {
		if (!(want & ACME_JWK)) {
			pica_err_set(&err, PICA_E_MALFORMED, "this resource "
			    "takes a \"kid\" (an account URL), not a \"jwk\"");
			goto fail;
		}
		if (jwk_to_pkey(jws->jwk, &key, &err) == -1)
			goto fail;
		p->jwk = jws->jwk;
		if (jwk_thumbprint(jws->jwk, p->thumbprint) == -1) {
			pica_err_set(&err, PICA_E_BADPUBKEY, "JWK thumbprint");
			goto fail;
		}
	}
	if (jws_verify(jws, key, &err) == -1)
		goto fail;
	if (jws->payload_len > 0) {
		p->payload = json_loadb((const char *)jws->payload,
		    jws->payload_len, JSON_REJECT_DUPLICATES, &jerr);
		if (p->payload == NULL || !json_is_object(p->payload)) {
			pica_err_set(&err, PICA_E_MALFORMED, "payload is not a "
			    "JSON object%s%s", p->payload ? "" : ": ",
			    p->payload ? "" : jerr.text);
			goto fail;
		}
		if (acme_json_depth(p->payload, 0) == -1) {
			pica_err_set(&err, PICA_E_MALFORMED, "payload nests "
			    "deeper than %d", ACME_MAX_DEPTH);
			goto fail;
		}
	}
	rc = 0;
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	json_decref(l.account);
	EVP_PKEY_free(key);
	free(prefix);
	return rc;
}

void
acme_post_close(struct acme_post *p)
{
	json_decref(p->payload);
	json_decref(p->account);
	free(p->account_id);
	if (p->jws != NULL) {
		jws_free(p->jws);
		free(p->jws);
	}
	memset(p, 0, sizeof(*p));
}

struct acme_load_args {
	int		 table;
	const char	*id;
	json_t		*obj;
};

static int
acme_load_fn(struct store_txn *t, void *arg)
{
	struct acme_load_args	*l = arg;

	json_decref(l->obj);
	l->obj = NULL;
	return acme_obj_get(t, l->table, l->id, &l->obj);
}

int
acme_load(struct acme *a, int table, const char *id, json_t **out)
{
	struct acme_load_args	 l = { table, id, NULL };
	int			 r;

	*out = NULL;
	if ((r = store_run(a->store, acme_load_fn, &l)) == 0)
		*out = l.obj;
	else
		json_decref(l.obj);
	return r;
}

int
acme_rate_take(struct store_txn *t, const char *kind, const char *subject,
    int64_t limit, int64_t window, int64_t *retry_after)
{
	char		 key[300];
	uint64_t	 n;
	int64_t		 now = (int64_t)time(NULL), idx;
	int		 r;

	if (limit <= 0)
		return 0;
	idx = now / window;
	snprintf(key, sizeof(key), "rl:%s:%s:%lld", kind, subject,
	    (long long)idx);
	if ((r = store_counter_get(t, key, &n)) != 0)
		return r;
	if (n >= (uint64_t)limit) {
		*retry_after = (idx + 1) * window - now;
		return ACME_RATE_LIMITED;
	}
	if ((r = store_counter_next(t, key, &n)) != 0)
		return r;
	/* The first use of a window ends the one before it. */
	if (n == 1) {
		snprintf(key, sizeof(key), "rl:%s:%s:%lld", kind, subject,
		    (long long)(idx - 1));
		if ((r = store_counter_del(t, key)) != 0 && r != STORE_NOTFOUND)
			return r;
	}
	return 0;
}

int
acme_valid_authz_key(char *buf, size_t len, const char *account,
    const char *type, const char *value)
{
	int	 n;

	if (account == NULL || type == NULL || value == NULL)
		return -1;
	n = snprintf(buf, len, "%s %s:%s", account, type, value);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
acme_valid_authz(struct store_txn *t, const char *account, const char *type,
    const char *value, int64_t now, char *out, size_t len)
{
	json_t		*entry = NULL, *authz = NULL;
	const char	*aid;
	char		 key[400];
	int		 r;

	if (acme_valid_authz_key(key, sizeof(key), account, type, value) ==
	    -1)
		return STORE_NOTFOUND;
	if ((r = acme_obj_get(t, STORE_VALID_AUTHZS, key, &entry)) != 0)
		return r;
	aid = json_string_value(json_object_get(entry, "id"));
	if (aid == NULL || json_integer_value(json_object_get(entry,
	    "expires")) <= now)
		r = STORE_NOTFOUND;
	else
		r = acme_obj_get(t, STORE_AUTHZS, aid, &authz);
	if (r != 0 && r != STORE_NOTFOUND)
		goto out;
	if (r == 0 && strcmp(json_string_value(json_object_get(authz,
	    "status")), "valid") == 0 &&
	    json_integer_value(json_object_get(authz, "expires")) > now) {
		snprintf(out, len, "%s", aid);
		goto out;
	}
	/* Gone, expired or no longer valid: forget it. */
	if ((r = store_blob_del(t, STORE_VALID_AUTHZS, key)) == 0)
		r = STORE_NOTFOUND;
out:
	json_decref(authz);
	json_decref(entry);
	return r;
}

void
acme_store_err(struct acme *a, int r, struct pica_err *err, const char *what)
{
	if (r == STORE_PANIC)
		a->store_panic = 1;
	if (r == STORE_NOTFOUND)
		pica_err_set(err, PICA_E_NOTFOUND, "no such %s", what);
	else
		pica_err_set(err, PICA_E_INTERNAL, "store failure (%s)", what);
}
