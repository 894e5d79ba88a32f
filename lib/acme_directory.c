/*
 * The directory (RFC 8555 7.1.1) and newNonce (7.2).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme.h"
#include "conf.h"
#include "store.h"
#include "util.h"

/* What the shipped profiles are for, as meta.profiles describes them. */
static const struct {
	const char	*name;
	const char	*text;
} acme_profile_texts[] = {
	{ "server", "TLS server (and client) certificate: serverAuth, "
	    "clientAuth" },
	{ "client", "TLS client certificate: clientAuth" },
	{ "ocsp", "OCSP responder certificate: OCSPSigning, ocsp-nocheck" },
	{ "email", "S/MIME certificate: emailProtection" },
	{ "codesign", "code signing certificate: codeSigning" },
	{ "timestamp", "RFC 3161 time-stamping certificate: timeStamping" },
};

static const char *
acme_profile_text(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(acme_profile_texts) /
	    sizeof(acme_profile_texts[0]); i++)
		if (strcmp(acme_profile_texts[i].name, name) == 0)
			return acme_profile_texts[i].text;
	return "a profile of this CA";
}

int
acme_directory(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct pica_err	 err;
	json_t		*doc, *meta, *profiles, *caa;
	const struct conf *cf = a->conf;
	char		 buf[1200];
	size_t		 i;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		pica_err_set(&err, PICA_E_METHOD, "the directory takes GET");
		acme_problem(a, resp, &err);
		http_header(resp, "Allow", "GET, HEAD");
		return 0;
	}
	profiles = json_object();
	for (i = 0; i < cf->n_profiles; i++)
		json_object_set_new(profiles, cf->profiles[i].name,
		    json_string(acme_profile_text(cf->profiles[i].name)));
	caa = json_array();
	for (i = 0; i < cf->n_dns_names; i++)
		json_array_append_new(caa, json_string(cf->dns_names[i]));
	snprintf(buf, sizeof(buf), "%s/", cf->external_url);
	meta = json_pack("{s:s, s:s, s:o, s:b, s:o}",
	    "termsOfService", buf, "website", buf,
	    "caaIdentities", caa,
	    "externalAccountRequired", cf->eab_required,
	    "profiles", profiles);
	doc = json_pack("{s:s++, s:s++, s:s++, s:s++, s:s++, s:s++, s:o}",
	    "newNonce", a->base, "/new-nonce", "",
	    "newAccount", a->base, "/new-account", "",
	    "newOrder", a->base, "/new-order", "",
	    "revokeCert", a->base, "/revoke-cert", "",
	    "keyChange", a->base, "/key-change", "",
	    "renewalInfo", a->base, "/renewal-info", "",
	    "meta", meta);
	http_json(resp, 200, "application/json", doc);
	json_decref(doc);
	acme_common_headers(a, resp);
	return 0;
}

int
acme_nonce(struct acme *a, struct http_req *req, struct http_resp *resp)
{
	struct pica_err	 err;
	size_t		 n;

	if (strcmp(req->method, "HEAD") == 0)
		resp->status = 200;
	else if (strcmp(req->method, "GET") == 0)
		resp->status = 204;
	else {
		pica_err_set(&err, PICA_E_METHOD, "newNonce takes HEAD or GET");
		acme_problem(a, resp, &err);
		return 0;
	}
	acme_common_headers(a, resp);
	/* Now and then, sweep the nonces nobody used. */
	if (rand() % 256 == 0)
		(void)store_nonce_expire(a->store, (int64_t)time(NULL), &n);
	return 0;
}
