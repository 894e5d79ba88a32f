/*
 * acme_revoke.c: certificate revocation (RFC 8555 section 7.6),
 * POST /acme/revoke-cert.
 *
 * Three parties may revoke: the account the certificate was issued to,
 * an account that holds valid authorizations for every name in it, and
 * whoever holds the certificate's private key (the request is then
 * signed with that key as a "jwk").  The revocation is one store
 * transaction; OCSP reads the store, and the published CRL is removed so
 * that the next fetch makes it again (this program holds no key).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "acme.h"
#include "ca.h"
#include "conf.h"
#include "crl.h"
#include "jws.h"
#include "log.h"
#include "reason.h"
#include "serial.h"
#include "store.h"
#include "util.h"

/* What acme_revoke_fn says when the account may not revoke. */
#define ACME_REVOKE_DENIED	104

struct acme_revoke_args {
	const char		*account;	/* kid requests */
	const struct cert_rec	*rec;
	int			 reason;
	int64_t			 now;
	char			 missing[300];	/* a name not authorized */
};

/*
 * Whether the account holds a valid authorization for each name of the
 * certificate ("DNS:x" as identifier dns x, "IP:y" as ip y).  A name of
 * another kind, or no name at all, is one no ACME account can hold.
 */
static int
acme_revoke_authorized(struct store_txn *t, struct acme_revoke_args *r)
{
	const struct cert_rec	*c = r->rec;
	const char		*type, *value;
	char			 aid[32];
	size_t			 i;
	int			 ret;

	if (c->n_names == 0) {
		snprintf(r->missing, sizeof(r->missing), "(no names)");
		return ACME_REVOKE_DENIED;
	}
	for (i = 0; i < c->n_names; i++) {
		if (strncmp(c->names[i], "DNS:", 4) == 0) {
			type = "dns";
			value = c->names[i] + 4;
		} else if (strncmp(c->names[i], "IP:", 3) == 0) {
			type = "ip";
			value = c->names[i] + 3;
		} else
			type = value = NULL;
		if (type == NULL || (ret = acme_valid_authz(t, r->account,
		    type, value, r->now, aid, sizeof(aid))) == STORE_NOTFOUND) {
			snprintf(r->missing, sizeof(r->missing), "%s",
			    c->names[i]);
			return ACME_REVOKE_DENIED;
		}
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int
acme_revoke_fn(struct store_txn *t, void *arg)
{
	struct acme_revoke_args	*r = arg;
	const struct cert_rec	*c = r->rec;
	int			 ret;

	r->missing[0] = '\0';
	if (r->account != NULL && (c->account == NULL ||
	    strcmp(c->account, r->account) != 0) &&
	    (ret = acme_revoke_authorized(t, r)) != 0)
		return ret;
	return store_cert_revoke(t, c->serial, c->serial_len, r->reason,
	    r->now);
}

/*
 * The certificate of the payload, as this CA issued it: its store
 * record, whose DER must be the one sent byte for byte.
 */
static int
acme_revoke_cert(struct acme *a, json_t *payload, struct cert_rec *rec,
    X509 **cert, struct pica_err *err)
{
	const char		*b64;
	unsigned char		*der = NULL, sn[STORE_SERIAL_MAX];
	const unsigned char	*p;
	size_t			 len = 0, snlen;
	int			 rc = -1, r;

	*cert = NULL;
	b64 = json_string_value(json_object_get(payload, "certificate"));
	if (b64 == NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "\"certificate\" (the "
		    "base64url DER of the certificate) is missing");
		goto out;
	}
	if (b64url_decode(b64, &der, &len) == -1 || len == 0 ||
	    len > LONG_MAX) {
		pica_err_set(err, PICA_E_MALFORMED, "\"certificate\" is not "
		    "base64url");
		goto out;
	}
	p = der;
	if ((*cert = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		pica_err_set(err, PICA_E_MALFORMED, "\"certificate\" is not "
		    "one DER X.509 certificate");
		goto out;
	}
	if (serial_from_asn1(X509_get0_serialNumber(*cert), sn, sizeof(sn),
	    &snlen) == -1 ||
	    (r = store_cert_lookup(a->store, sn, snlen, rec)) == STORE_NOTFOUND ||
	    (r == 0 && (rec->der_len != len ||
	    memcmp(rec->der, der, len) != 0))) {
		pica_err_set(err, PICA_E_NOTFOUND, "this CA did not issue "
		    "that certificate");
		goto out;
	}
	if (r != 0) {
		acme_store_err(a, r, err, "certificate");
		goto out;
	}
	rc = 0;
out:
	free(der);
	return rc;
}

/* The reason of the payload: absent means unspecified (0). */
static int
acme_revoke_reason(json_t *payload, int *reason, struct pica_err *err)
{
	json_t	*v = json_object_get(payload, "reason");

	*reason = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return pica_err_set(err, PICA_E_MALFORMED, "\"reason\" must be "
		    "an integer (an RFC 5280 CRLReason code)");
	if (!reason_usable((int)json_integer_value(v)) ||
	    json_integer_value(v) != (int)json_integer_value(v))
		return pica_err_set(err, PICA_E_BAD_REASON, "reason %lld is "
		    "not one this CA uses: 0-6 and 8-10 are RFC 5280's, and it "
		    "does not put certificates on hold (6) nor remove them (8)",
		    (long long)json_integer_value(v));
	*reason = (int)json_integer_value(v);
	return 0;
}

int
acme_revoke(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct acme_post	 p;
	struct acme_revoke_args	 args;
	struct pica_err		 err;
	struct cert_rec		 rec;
	X509			*cert = NULL;
	EVP_PKEY		*jwk = NULL;
	char			*hex = NULL;
	int			 r;

	memset(&rec, 0, sizeof(rec));
	memset(&args, 0, sizeof(args));
	pica_err_clear(&err);
	if (acme_post_open(a, req, resp, ACME_KID | ACME_JWK, &p) == -1)
		return 0;
	if (p.payload == NULL) {
		pica_err_set(&err, PICA_E_MALFORMED, "revocation needs a "
		    "payload with \"certificate\"");
		goto fail;
	}
	if (acme_revoke_reason(p.payload, &args.reason, &err) == -1 ||
	    acme_revoke_cert(a, p.payload, &rec, &cert, &err) == -1)
		goto fail;
	hex = util_hex(rec.serial, rec.serial_len);
	/* A jwk request must be signed by the certificate's own key. */
	if (p.jwk != NULL) {
		if (jwk_to_pkey(p.jwk, &jwk, &err) == -1)
			goto fail;
		if (EVP_PKEY_eq(jwk, X509_get0_pubkey(cert)) != 1) {
			pica_err_set(&err, PICA_E_UNAUTHORIZED, "the JWS is "
			    "signed with a \"jwk\" that is not the "
			    "certificate's key");
			goto fail;
		}
	}
	args.account = p.account_id;
	args.rec = &rec;
	args.now = (int64_t)time(NULL);
	r = store_run(a->store, acme_revoke_fn, &args);
	if (r == ACME_REVOKE_DENIED) {
		pica_err_set(&err, PICA_E_UNAUTHORIZED, "this account neither "
		    "owns the certificate nor holds a valid authorization for "
		    "%s", args.missing);
		goto fail;
	}
	if (r == STORE_ALREADY) {
		pica_err_set(&err, PICA_E_ALREADY_REVOKED, "certificate %s is "
		    "already revoked", hex);
		goto fail;
	}
	if (r != 0) {
		acme_store_err(a, r, &err, "certificate");
		goto fail;
	}
	log_info("request %s: revoked %s (%s) by %s%s", a->request_id, hex,
	    reason_name(args.reason), p.account_id ? "account " :
	    "the certificate's key", p.account_id ? p.account_id : "");
	/* The next fetch of /crl reaches the crl program, which signs. */
	if (a->conf->crl_enabled && a->conf->crl_generate_on_revoke &&
	    crl_invalidate(a->conf, &err) == -1)
		log_error("revoked %s, but the old CRL stays until the next "
		    "`pica crl`: %s", hex, err.msg);
	http_body(resp, 200, NULL, "", 0);
	acme_common_headers(a, resp);
	goto out;
fail:
	acme_problem(a, resp, &err);
out:
	free(hex);
	EVP_PKEY_free(jwk);
	X509_free(cert);
	cert_rec_free(&rec);
	acme_post_close(&p);
	return 0;
}
