/*
 * Orders: newOrder, the order URL and finalize (RFC 8555 7.4), with
 * identifiers of type dns and ip (RFC 8738) and ACME profiles.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "acme.h"
#include "ca.h"
#include "conf.h"
#include "csr.h"
#include "issue.h"
#include "jws.h"
#include "log.h"
#include "policy.h"
#include "serial.h"
#include "store.h"
#include "util.h"

/* Parse an RFC 3339 time ("2026-11-23T10:00:00Z"); -1 when it is not. */
static int
acme_parse_time(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z") != 0 && strcmp(end, "z") != 0 &&
	    strcmp(end, "+00:00") != 0)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* Lower-case a DNS identifier in place: names compare that way. */
static void
acme_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/*
 * Check one identifier and put its normalized form into *norm (a new
 * object): dns names lower-cased, IP addresses in canonical text.
 */
static int
acme_check_identifier(struct acme *a, json_t *id, json_t **norm,
    struct pica_err *err)
{
	const char	*type, *value;
	char		*v = NULL, text[INET6_ADDRSTRLEN];
	unsigned char	 addr[16];
	int		 rc = -1;

	*norm = NULL;
	type = json_string_value(json_object_get(id, "type"));
	value = json_string_value(json_object_get(id, "value"));
	if (!json_is_object(id) || type == NULL || value == NULL ||
	    json_object_size(id) != 2) {
		pica_err_set(err, PICA_E_MALFORMED, "an identifier is "
		    "{\"type\": ..., \"value\": ...}");
		goto out;
	}
	if (strcmp(type, "dns") == 0) {
		v = xstrdup(value);
		acme_lower(v);
		if (policy_check_dns(a->conf->policy, v, err) == -1) {
			if (err->code == PICA_E_USAGE)
				err->code = PICA_E_REJECTED;
			goto out;
		}
	} else if (strcmp(type, "ip") == 0) {
		if (inet_pton(AF_INET, value, addr) == 1)
			inet_ntop(AF_INET, addr, text, sizeof(text));
		else if (inet_pton(AF_INET6, value, addr) == 1)
			inet_ntop(AF_INET6, addr, text, sizeof(text));
		else {
			pica_err_set(err, PICA_E_MALFORMED, "\"%.64s\" is not "
			    "an IP address", value);
			goto out;
		}
		v = xstrdup(text);
		if (policy_check_ip(a->conf->policy, v, err) == -1)
			goto out;
	} else {
		pica_err_set(err, PICA_E_UNSUPPORTED_ID, "identifier type "
		    "\"%.32s\" (this CA issues for dns and ip)", type);
		goto out;
	}
	*norm = json_pack("{s:s, s:s}", "type", type, "value", v);
	rc = 0;
out:
	free(v);
	return rc;
}

/* Which challenges an identifier gets. */
static int
acme_chall_fits(const char *ctype, const char *itype, int wildcard)
{
	if (wildcard)
		return strcmp(ctype, "dns-01") == 0;
	if (strcmp(itype, "ip") == 0)
		return strcmp(ctype, "dns-01") != 0;
	return 1;
}

struct acme_new_order {
	struct acme	*a;
	const char	*account;
	json_t		*identifiers;	/* normalized */
	json_t		*extra;		/* notBefore, notAfter, profile, ... */
	char		 id[32];
	json_t		*order;		/* out */
};

static int
acme_new_order_fn(struct store_txn *t, void *arg)
{
	struct acme_new_order	*n = arg;
	const struct conf	*cf = n->a->conf;
	json_t			*ident, *authzs, *authz, *chall;
	json_t			*challs;
	char			 aid[32], cid[32], token[32], tok2[32];
	char			 full[64];
	const char		*value;
	int64_t			 now = (int64_t)time(NULL);
	size_t			 i, j;
	int			 r, wildcard;

	json_decref(n->order);
	n->order = NULL;
	if ((r = acme_rate_take(t, "order", n->account, cf->rl_orders_n,
	    cf->rl_orders_window, &n->a->retry_after)) != 0)
		return r;
	authzs = json_array();
	json_array_foreach(n->identifiers, i, ident) {
		r = acme_valid_authz(t, n->account,
		    json_string_value(json_object_get(ident, "type")),
		    json_string_value(json_object_get(ident, "value")), now,
		    aid, sizeof(aid));
		if (r == 0) {
			json_array_append_new(authzs, json_string(aid));
			continue;
		}
		if (r != STORE_NOTFOUND)
			goto fail;
		value = json_string_value(json_object_get(ident, "value"));
		wildcard = strncmp(value, "*.", 2) == 0;
		acme_new_id(aid);
		challs = json_array();
		for (j = 0; j < cf->n_challenges; j++) {
			if (!acme_chall_fits(cf->challenges[j],
			    json_string_value(json_object_get(ident, "type")),
			    wildcard))
				continue;
			acme_new_id(cid);
			/* A token of 256 bits: two ids. */
			acme_new_id(token);
			acme_new_id(tok2);
			snprintf(full, sizeof(full), "%s%s", token, tok2);
			chall = json_pack("{s:s, s:s, s:s, s:s, s:s}",
			    "authz", aid, "account", n->account,
			    "type", cf->challenges[j], "token", full,
			    "status", "pending");
			r = acme_obj_put(t, STORE_CHALLENGES, cid, chall, 1);
			json_decref(chall);
			if (r != 0)
				goto fail;
			json_array_append_new(challs, json_string(cid));
		}
		authz = json_pack("{s:s, s:{s:O, s:s}, s:s, s:I, s:b, s:o}",
		    "account", n->account,
		    "identifier", "type", json_object_get(ident, "type"),
		    "value", wildcard ? value + 2 : value,
		    "status", "pending",
		    "expires", (json_int_t)(now + ACME_ORDER_TTL),
		    "wildcard", wildcard, "challenges", challs);
		r = acme_obj_put(t, STORE_AUTHZS, aid, authz, 1);
		json_decref(authz);
		if (r != 0)
			goto fail;
		json_array_append_new(authzs, json_string(aid));
	}
	acme_new_id(n->id);
	n->order = json_pack("{s:s, s:s, s:I, s:O, s:o, s:I}",
	    "account", n->account, "status", "pending",
	    "expires", (json_int_t)(now + ACME_ORDER_TTL),
	    "identifiers", n->identifiers, "authorizations", authzs,
	    "created", (json_int_t)now);
	authzs = NULL;
	json_object_update(n->order, n->extra);
	if ((r = acme_order_refresh(t, n->order, now)) != 0)
		goto fail;
	r = acme_obj_put(t, STORE_ORDERS, n->id, n->order, 1);
fail:
	json_decref(authzs);
	return r;
}

int
acme_order_refresh(struct store_txn *t, json_t *order, int64_t now)
{
	const char	*status;
	json_t		*ids, *authz = NULL, *id;
	size_t		 i, valid = 0;
	int		 r;
	struct pica_err	 err;

	status = json_string_value(json_object_get(order, "status"));
	if (strcmp(status, "pending") != 0 && strcmp(status, "ready") != 0)
		return 0;
	if (json_integer_value(json_object_get(order, "expires")) <= now) {
		json_object_set_new(order, "status", json_string("invalid"));
		pica_err_set(&err, PICA_E_MALFORMED, "order expired");
		json_object_set_new(order, "error", acme_problem_doc(&err));
		return 0;
	}
	ids = json_object_get(order, "authorizations");
	json_array_foreach(ids, i, id) {
		if ((r = acme_obj_get(t, STORE_AUTHZS, json_string_value(id),
		    &authz)) != 0)
			return r;
		status = json_string_value(json_object_get(authz, "status"));
		if (strcmp(status, "valid") == 0 &&
		    json_integer_value(json_object_get(authz, "expires")) > now)
			valid++;
		else if (strcmp(status, "pending") != 0 ||
		    json_integer_value(json_object_get(authz, "expires")) <=
		    now) {
			/* One failed authorization fails the order. */
			json_object_set_new(order, "status",
			    json_string("invalid"));
			pica_err_set(&err, PICA_E_UNAUTHORIZED, "authorization "
			    "for %s is %s",
			    json_string_value(json_object_get(
			    json_object_get(authz, "identifier"), "value")),
			    strcmp(status, "pending") == 0 ? "expired" :
			    status);
			json_object_set_new(order, "error",
			    acme_problem_doc(&err));
			json_decref(authz);
			return 0;
		}
		json_decref(authz);
		authz = NULL;
	}
	if (valid == json_array_size(ids))
		json_object_set_new(order, "status", json_string("ready"));
	return 0;
}

json_t *
acme_order_view(struct acme *a, const char *id, json_t *order)
{
	json_t		*v, *authzs, *aid;
	const char	*k;
	char		*url, t[32];
	size_t		 i;
	static const char *const copied[] = { "status", "identifiers",
	    "profile", "error", "replaces", NULL };

	v = json_object();
	for (i = 0; copied[i] != NULL; i++)
		if ((aid = json_object_get(order, copied[i])) != NULL)
			json_object_set(v, copied[i], aid);
	acme_time(json_integer_value(json_object_get(order, "expires")), t,
	    sizeof(t));
	json_object_set_new(v, "expires", json_string(t));
	k = "notBefore";
	if (json_is_integer(json_object_get(order, k))) {
		acme_time(json_integer_value(json_object_get(order, k)), t,
		    sizeof(t));
		json_object_set_new(v, k, json_string(t));
	}
	k = "notAfter";
	if (json_is_integer(json_object_get(order, k))) {
		acme_time(json_integer_value(json_object_get(order, k)), t,
		    sizeof(t));
		json_object_set_new(v, k, json_string(t));
	}
	authzs = json_array();
	json_array_foreach(json_object_get(order, "authorizations"), i, aid) {
		url = acme_url(a, "authz", json_string_value(aid), NULL);
		json_array_append_new(authzs, json_string(url));
		free(url);
	}
	json_object_set_new(v, "authorizations", authzs);
	url = acme_url(a, "order", id, "/finalize");
	json_object_set_new(v, "finalize", json_string(url));
	free(url);
	if ((k = json_string_value(json_object_get(order, "certificate")))) {
		url = acme_url(a, "cert", k, NULL);
		json_object_set_new(v, "certificate", json_string(url));
		free(url);
	}
	return v;
}

/* newOrder's payload: identifiers, notBefore, notAfter, profile. */
static int
acme_new_order_payload(struct acme *a, json_t *payload,
    struct acme_new_order *n, struct pica_err *err)
{
	const struct conf	*cf = a->conf;
	json_t			*ids, *id, *norm, *v;
	const char		*k, *profile;
	int64_t			 nb = 0, na = 0;
	size_t			 i, j;
	static const char *const known[] = { "identifiers", "notBefore",
	    "notAfter", "profile", "replaces", NULL };

	json_object_foreach(payload, k, v) {
		for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
			;
		if (known[i] == NULL)
			return pica_err_set(err, PICA_E_MALFORMED, "newOrder: "
			    "unknown field \"%.64s\"", k);
	}
	ids = json_object_get(payload, "identifiers");
	if (!json_is_array(ids) || json_array_size(ids) == 0)
		return pica_err_set(err, PICA_E_MALFORMED, "newOrder needs a "
		    "non-empty \"identifiers\" array");
	if (json_array_size(ids) > ACME_MAX_IDENTIFIERS)
		return pica_err_set(err, PICA_E_REJECTED, "at most %d "
		    "identifiers in an order", ACME_MAX_IDENTIFIERS);
	n->identifiers = json_array();
	json_array_foreach(ids, i, id) {
		if (acme_check_identifier(a, id, &norm, err) == -1)
			return -1;
		/* The same name twice is one name. */
		for (j = 0; j < json_array_size(n->identifiers); j++)
			if (json_equal(json_array_get(n->identifiers, j), norm))
				break;
		if (j < json_array_size(n->identifiers))
			json_decref(norm);
		else
			json_array_append_new(n->identifiers, norm);
	}
	n->extra = json_object();
	if ((v = json_object_get(payload, "notBefore")) != NULL &&
	    (!json_is_string(v) ||
	    acme_parse_time(json_string_value(v), &nb) == -1))
		return pica_err_set(err, PICA_E_MALFORMED, "\"notBefore\" is "
		    "not an RFC 3339 time");
	if ((v = json_object_get(payload, "notAfter")) != NULL &&
	    (!json_is_string(v) ||
	    acme_parse_time(json_string_value(v), &na) == -1))
		return pica_err_set(err, PICA_E_MALFORMED, "\"notAfter\" is "
		    "not an RFC 3339 time");
	if (nb != 0)
		json_object_set_new(n->extra, "notBefore", json_integer(nb));
	if (na != 0) {
		int64_t start = nb ? nb : (int64_t)time(NULL);
		if (na <= start)
			return pica_err_set(err, PICA_E_MALFORMED, "\"notAfter\" "
			    "is not after the certificate's start");
		if (na - start > cf->claims_max_dur)
			return pica_err_set(err, PICA_E_MALFORMED, "requested "
			    "validity exceeds this CA's maximum");
		json_object_set_new(n->extra, "notAfter", json_integer(na));
	}
	if ((v = json_object_get(payload, "profile")) != NULL) {
		if (!json_is_string(v))
			return pica_err_set(err, PICA_E_MALFORMED,
			    "\"profile\" must be a string");
		profile = json_string_value(v);
		if (conf_profile_path(cf, profile) == NULL)
			return pica_err_set(err, PICA_E_PROFILE, "unknown "
			    "profile \"%.64s\" (the directory lists them in "
			    "meta.profiles)", profile);
		json_object_set(n->extra, "profile", v);
	}
	if ((v = json_object_get(payload, "replaces")) != NULL) {
		if (!json_is_string(v))
			return pica_err_set(err, PICA_E_MALFORMED,
			    "\"replaces\" must be a string");
		json_object_set(n->extra, "replaces", v);
	}
	return 0;
}

/*
 * An order may replace (RFC 9773 section 5) only a certificate this CA
 * issued to the same account.
 */
static int
acme_check_replaces(struct acme *a, const char *certid, const char *account,
    struct pica_err *err)
{
	struct cert_rec	 rec;
	unsigned char	 sn[STORE_SERIAL_MAX];
	size_t		 snlen;
	int		 r, rc = -1;

	if (certid == NULL)
		return 0;
	memset(&rec, 0, sizeof(rec));
	if (acme_certid_parse(a, certid, sn, sizeof(sn), &snlen, err) == -1) {
		err->code = PICA_E_MALFORMED;
		goto out;
	}
	if ((r = store_cert_lookup(a->store, sn, snlen, &rec)) != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		pica_err_set(err, r == STORE_NOTFOUND ? PICA_E_MALFORMED :
		    PICA_E_INTERNAL, "%s", r == STORE_NOTFOUND ? "\"replaces\" "
		    "names no certificate of this CA" : "store failure");
		goto out;
	}
	if (rec.account == NULL || strcmp(rec.account, account) != 0) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "\"replaces\" names a "
		    "certificate not issued to this account");
		goto out;
	}
	rc = 0;
out:
	cert_rec_free(&rec);
	return rc;
}

static int
acme_new_order(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct acme_new_order	 n;
	struct pica_err		 err;
	json_t			*v;
	char			*url;
	int			 r;

	memset(&n, 0, sizeof(n));
	pica_err_clear(&err);
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	if (p.payload == NULL) {
		pica_err_set(&err, PICA_E_MALFORMED, "newOrder needs a payload");
		goto fail;
	}
	if (acme_new_order_payload(a, p.payload, &n, &err) == -1 ||
	    acme_check_replaces(a, json_string_value(json_object_get(n.extra,
	    "replaces")), p.account_id, &err) == -1)
		goto fail;
	n.a = a;
	n.account = p.account_id;
	if ((r = store_run(a->store, acme_new_order_fn, &n)) != 0) {
		if (r == STORE_PANIC)
			a->store_panic = 1;
		if (r == ACME_RATE_LIMITED)
			pica_err_set(&err, PICA_E_RATELIMITED, "too many new "
			    "orders for this account: at most %lld in %s",
			    (long long)a->conf->rl_orders_n,
			    acme_window_text(a->conf->rl_orders_window));
		else
			pica_err_set(&err, PICA_E_INTERNAL, "store failure "
			    "(new order)");
		goto fail;
	}
	v = acme_order_view(a, n.id, n.order);
	http_json(resp, 201, "application/json", v);
	json_decref(v);
	url = acme_url(a, "order", n.id, NULL);
	http_header(resp, "Location", "%s", url);
	free(url);
	acme_common_headers(a, resp);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	json_decref(n.identifiers);
	json_decref(n.extra);
	json_decref(n.order);
	acme_post_close(&p);
	return 0;
}

struct acme_order_load {
	const char	*id;
	const char	*account;
	json_t		*order;		/* out */
	const char	*set_status;	/* when not NULL: store this status */
	const char	*cert;		/* with "valid": the certificate */
	json_t		*error;		/* with "invalid": the problem */
};

/* Read (and refresh, and optionally move on) an order of account. */
static int
acme_order_load_fn(struct store_txn *t, void *arg)
{
	struct acme_order_load	*l = arg;
	json_t			*before;
	int			 r, unchanged;

	json_decref(l->order);
	l->order = NULL;
	if ((r = acme_obj_get(t, STORE_ORDERS, l->id, &l->order)) != 0)
		return r;
	if (strcmp(json_string_value(json_object_get(l->order, "account")),
	    l->account) != 0)
		return STORE_NOTFOUND;
	before = json_deep_copy(l->order);
	r = acme_order_refresh(t, l->order, (int64_t)time(NULL));
	unchanged = json_equal(before, l->order);
	json_decref(before);
	if (r != 0)
		return r;
	/* A poll that changes nothing writes nothing. */
	if (l->set_status == NULL && unchanged)
		return 0;
	if (l->set_status != NULL) {
		json_object_set_new(l->order, "status",
		    json_string(l->set_status));
		if (l->cert != NULL)
			json_object_set_new(l->order, "certificate",
			    json_string(l->cert));
		if (l->error != NULL)
			json_object_set(l->order, "error", l->error);
	}
	return acme_obj_put(t, STORE_ORDERS, l->id, l->order, 0);
}

/* Does the CSR ask for exactly the order's identifiers? */
static int
acme_csr_matches(X509_REQ *csr, json_t *idents, struct pica_err *err)
{
	char		*cn = NULL, **names = NULL, want[300];
	size_t		 n = 0, i, j, k;
	int		 rc = -1, found;
	json_t		*id;

	if (csr_names(csr, &cn, &names, &n, err) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		found = 0;
		json_array_foreach(idents, j, id) {
			snprintf(want, sizeof(want), "%s:%s",
			    strcmp(json_string_value(json_object_get(id,
			    "type")), "ip") == 0 ? "IP" : "DNS",
			    json_string_value(json_object_get(id, "value")));
			if (strcasecmp(names[i], want) == 0)
				found = 1;
		}
		if (!found) {
			pica_err_set(err, PICA_E_BADCSR, "CSR names %s, which "
			    "the order does not", names[i]);
			goto out;
		}
	}
	json_array_foreach(idents, j, id) {
		found = 0;
		for (k = 0; k < n; k++)
			if (strcasecmp(names[k] + (names[k][0] == 'I' ? 3 : 4),
			    json_string_value(json_object_get(id, "value")))
			    == 0)
				found = 1;
		if (!found) {
			pica_err_set(err, PICA_E_BADCSR, "CSR lacks %s, which the "
			    "order names",
			    json_string_value(json_object_get(id, "value")));
			goto out;
		}
	}
	if (cn != NULL) {
		found = 0;
		json_array_foreach(idents, j, id)
			if (strcasecmp(cn, json_string_value(json_object_get(id,
			    "value"))) == 0)
				found = 1;
		if (!found) {
			pica_err_set(err, PICA_E_BADCSR, "CSR common name "
			    "\"%.64s\" is not one of the order's names", cn);
			goto out;
		}
	}
	rc = 0;
out:
	free(cn);
	csr_names_free(names, n);
	return rc;
}

int
acme_finalize(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct acme_order_load	 l;
	struct pica_err		 err;
	struct issue_req	 ir;
	X509_REQ		*csr = NULL;
	X509			*cert = NULL;
	unsigned char		*der = NULL, sn[STORE_SERIAL_MAX];
	size_t			 derlen, snlen, i;
	char			 id[64], *hex = NULL, *sans[ACME_MAX_IDENTIFIERS];
	const char		*csr64, *status;
	json_t			*ident, *v;
	int			 r;
	size_t			 n_sans = 0;

	memset(&l, 0, sizeof(l));
	memset(&ir, 0, sizeof(ir));
	pica_err_clear(&err);
	if (acme_path_id(req, "order", id, sizeof(id), "/finalize") == NULL) {
		pica_err_set(&err, PICA_E_NOTFOUND, "no such order");
		acme_problem(a, resp, &err);
		return 0;
	}
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	l.id = id;
	l.account = p.account_id;
	if ((r = store_run(a->store, acme_order_load_fn, &l)) != 0)
		goto store_fail;
	status = json_string_value(json_object_get(l.order, "status"));
	if (strcmp(status, "ready") != 0) {
		pica_err_set(&err, PICA_E_ORDER_NOT_READY, "order is %s, not "
		    "ready", status);
		goto fail;
	}
	if (p.payload == NULL ||
	    (csr64 = json_string_value(json_object_get(p.payload, "csr"))) ==
	    NULL || b64url_decode(csr64, &der, &derlen) == -1) {
		pica_err_set(&err, PICA_E_MALFORMED, "finalize needs \"csr\", "
		    "a base64url DER CSR");
		goto fail;
	}
	if (csr_parse(der, derlen, &csr, &err) == -1 ||
	    acme_csr_matches(csr, json_object_get(l.order, "identifiers"),
	    &err) == -1)
		goto fail;
	json_array_foreach(json_object_get(l.order, "identifiers"), i, ident) {
		char buf[300];
		snprintf(buf, sizeof(buf), "%s:%s",
		    strcmp(json_string_value(json_object_get(ident, "type")),
		    "ip") == 0 ? "IP" : "DNS",
		    json_string_value(json_object_get(ident, "value")));
		sans[n_sans++] = xstrdup(buf);
	}
	ir.csr = csr;
	ir.sans = sans;
	ir.n_sans = n_sans;
	ir.profile = json_string_value(json_object_get(l.order, "profile"));
	ir.not_before = json_integer_value(json_object_get(l.order,
	    "notBefore"));
	ir.not_after = json_integer_value(json_object_get(l.order,
	    "notAfter"));
	ir.account = p.account_id;
	ir.order = id;
	if (issue_cert(a->ca, a->store, &ir, &cert, &err) == -1) {
		if (err.code == PICA_E_USAGE)
			err.code = PICA_E_MALFORMED;
		goto fail;
	}
	/* The certificate is in the store; the order says where. */
	if (serial_from_asn1(X509_get0_serialNumber(cert), sn, sizeof(sn),
	    &snlen) == -1 || (hex = util_hex(sn, snlen)) == NULL) {
		pica_err_set(&err, PICA_E_INTERNAL, "serial");
		goto fail;
	}
	l.set_status = "valid";
	l.cert = hex;
	if ((r = store_run(a->store, acme_order_load_fn, &l)) != 0)
		goto store_fail;
	log_info("order %s: certificate %s issued", id, hex);
	v = acme_order_view(a, id, l.order);
	http_json(resp, 200, "application/json", v);
	json_decref(v);
	{
		char *url = acme_url(a, "order", id, NULL);
		http_header(resp, "Location", "%s", url);
		free(url);
	}
	acme_common_headers(a, resp);
	goto out;
store_fail:
	acme_store_err(a, r, &err, "order");
fail:
	acme_problem(a, resp, &err);
out:
	for (i = 0; i < n_sans; i++)
		free(sans[i]);
	free(hex);
	free(der);
	X509_REQ_free(csr);
	X509_free(cert);
	json_decref(l.order);
	acme_post_close(&p);
	return 0;
}

int
acme_order(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct acme_order_load	 l;
	struct pica_err		 err;
	json_t			*v;
	char			 id[64];
	int			 r;

	if (strcmp(req->path, "/acme/new-order") == 0)
		return acme_new_order(a, req, resp);
	memset(&l, 0, sizeof(l));
	pica_err_clear(&err);
	if (acme_path_id(req, "order", id, sizeof(id), NULL) == NULL) {
		pica_err_set(&err, PICA_E_NOTFOUND, "no such order");
		acme_problem(a, resp, &err);
		return 0;
	}
	if (acme_post_open(a, req, resp, ACME_KID, &p) == -1)
		return 0;
	l.id = id;
	l.account = p.account_id;
	if ((r = store_run(a->store, acme_order_load_fn, &l)) != 0) {
		acme_store_err(a, r, &err, "order");
		acme_problem(a, resp, &err);
		goto out;
	}
	v = acme_order_view(a, id, l.order);
	http_json(resp, 200, "application/json", v);
	json_decref(v);
	acme_common_headers(a, resp);
out:
	json_decref(l.order);
	acme_post_close(&p);
	return 0;
}
