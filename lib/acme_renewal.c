/*
 * renewalInfo (RFC 9773): when a client should renew a certificate.
 * GET /acme/renewal-info/{certID}, certID = base64url(AKI keyIdentifier)
 * "." base64url(serial).  The window is the second half of the last third
 * of the validity; for a revoked certificate it is now.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "ca.h"
#include "jws.h"
#include "store.h"
#include "util.h"

/* How long clients wait before asking again (RFC 9773 4.3.3). */
#define ACME_RENEWAL_RETRY	21600

int
acme_certid_parse(struct acme *a, const char *certid, unsigned char *serial,
    size_t max, size_t *len, struct pica_err *err)
{
	const ASN1_OCTET_STRING	*ski;
	unsigned char		*aki = NULL, *sn = NULL;
	size_t			 akilen, snlen, off = 0;
	char			*dot, *left = NULL;
	int			 rc = -1;

	if ((dot = strchr(certid, '.')) == NULL || strlen(certid) > 256) {
		pica_err_set(err, PICA_E_MALFORMED, "a certID is "
		    "base64url(AKI).base64url(serial)");
		goto out;
	}
	left = strndup(certid, (size_t)(dot - certid));
	if (left == NULL || b64url_decode(left, &aki, &akilen) == -1 ||
	    b64url_decode(dot + 1, &sn, &snlen) == -1 || snlen == 0) {
		pica_err_set(err, PICA_E_MALFORMED, "certID is not base64url");
		goto out;
	}
	ski = X509_get0_subject_key_id(a->ca->cert);
	if (ski == NULL || (size_t)ASN1_STRING_length(ski) != akilen ||
	    memcmp(ASN1_STRING_get0_data(ski), aki, akilen) != 0) {
		pica_err_set(err, PICA_E_NOTFOUND, "certID names another "
		    "issuer");
		goto out;
	}
	/* The DER integer's content may start with a sign byte. */
	while (off + 1 < snlen && sn[off] == 0)
		off++;
	if (snlen - off > max) {
		pica_err_set(err, PICA_E_NOTFOUND, "no such certificate");
		goto out;
	}
	memcpy(serial, sn + off, snlen - off);
	*len = snlen - off;
	rc = 0;
out:
	free(left);
	free(aki);
	free(sn);
	return rc;
}

int
acme_renewal_info(struct acme *a, struct http_req *req,
    struct http_resp *resp)
{
	struct pica_err	 err;
	struct cert_rec	 rec;
	unsigned char	 sn[STORE_SERIAL_MAX];
	size_t		 snlen;
	const char	*certid;
	char		 start[32], end[32];
	int64_t		 life, s, e, now = (int64_t)time(NULL);
	json_t		*doc;
	int		 r;

	memset(&rec, 0, sizeof(rec));
	pica_err_clear(&err);
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		pica_err_set(&err, PICA_E_METHOD, "renewalInfo takes GET");
		goto fail;
	}
	if (strncmp(req->path, "/acme/renewal-info/", 19) != 0 ||
	    *(certid = req->path + 19) == '\0') {
		pica_err_set(&err, PICA_E_NOTFOUND, "no such resource");
		goto fail;
	}
	if (acme_certid_parse(a, certid, sn, sizeof(sn), &snlen, &err) == -1)
		goto fail;
	if ((r = store_cert_lookup(a->store, sn, snlen, &rec)) != 0) {
		acme_store_err(a, r, &err, "certificate");
		goto fail;
	}
	life = rec.not_after - rec.not_before;
	if (rec.status == CERT_REVOKED) {
		/* Renew now: a window that has begun already. */
		s = now - 60;
		e = now;
	} else {
		s = rec.not_after - life / 3;
		e = rec.not_after - life / 6;
	}
	acme_time(s, start, sizeof(start));
	acme_time(e, end, sizeof(end));
	doc = json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", start,
	    "end", end);
	http_json(resp, 200, "application/json", doc);
	json_decref(doc);
	http_header(resp, "Retry-After", "%d", ACME_RENEWAL_RETRY);
	acme_common_headers(a, resp);
	cert_rec_free(&rec);
	return 0;
fail:
	cert_rec_free(&rec);
	acme_problem(a, resp, &err);
	if (err.code == PICA_E_METHOD) {
		free(resp->headers);
		resp->headers = NULL;
		resp->hlen = 0;
		http_header(resp, "Allow", "GET, HEAD");
	}
	return 0;
}
