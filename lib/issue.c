#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "conf.h"
#include "csr.h"
#include "duration.h"
#include "issue.h"
#include "log.h"
#include "policy.h"
#include "profile.h"
#include "serial.h"
#include "signer.h"
#include "store.h"
#include "template.h"
#include "util.h"

/* Serial collisions are astronomically rare; a few tries are plenty. */
#define ISSUE_SERIAL_TRIES	4

int
issue_typed_name(const char *name, char *buf, size_t len)
{
	unsigned char	 addr[16];
	const char	*type = "DNS:";
	int		 n;

	if (strncmp(name, "DNS:", 4) == 0 || strncmp(name, "IP:", 3) == 0 ||
	    strncmp(name, "email:", 6) == 0 || strncmp(name, "URI:", 4) == 0)
		type = "";
	else if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1)
		type = "IP:";
	else if (strstr(name, "://") != NULL)
		type = "URI:";
	else if (strchr(name, '@') != NULL)
		type = "email:";
	n = snprintf(buf, len, "%s%s", type, name);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int
issue_check_name(const struct ca *ca, const char *name, struct pica_err *err)
{
	const struct policy	*pol = ca->conf->policy;
	unsigned char		 addr[16];
	const char		*v;

	if (strncmp(name, "DNS:", 4) == 0)
		return policy_check_dns(pol, name + 4, err);
	if (strncmp(name, "IP:", 3) == 0) {
		v = name + 3;
		if (inet_pton(AF_INET, v, addr) != 1 &&
		    inet_pton(AF_INET6, v, addr) != 1)
			return pica_err_set(err, PICA_E_REJECTED,
			    "\"%s\" is not an IP address", v);
		return policy_check_ip(pol, v, err);
	}
	if (strncmp(name, "email:", 6) == 0) {
		v = name + 6;
		if (strchr(v, '@') == NULL || v[0] == '@' ||
		    strchr(v, '@')[1] == '\0' || strpbrk(v, " <>\"") != NULL)
			return pica_err_set(err, PICA_E_REJECTED,
			    "\"%s\" is not an email address", v);
		return 0;
	}
	if (strncmp(name, "URI:", 4) == 0) {
		if (strstr(name + 4, "://") == NULL)
			return pica_err_set(err, PICA_E_REJECTED,
			    "\"%s\" is not a URI", name + 4);
		return 0;
	}
	return pica_err_set(err, PICA_E_UNSUPPORTED_ID,
	    "\"%s\": unsupported name type", name);
}

/* The certificate's SANs as typed strings (none: an empty list). */
static int
issue_cert_names(X509 *cert, char ***names, size_t *n, struct pica_err *err)
{
	GENERAL_NAMES	*gens;
	int		 crit, rc;

	*names = NULL;
	*n = 0;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		if (crit != -1)
			return pica_err_set(err, PICA_E_CONFIG,
			    "the profile made a malformed subjectAltName");
		return 0;
	}
	rc = csr_general_names(gens, names, n, err);
	GENERAL_NAMES_free(gens);
	return rc;
}

/*
 * The CA's own extensions: key identifiers always, CRL distribution point
 * and AIA from the configuration where the profile did not set them.
 */
static int
issue_ca_extensions(struct ca *ca, X509 *cert, json_t *doc,
    struct pica_err *err)
{
	const struct conf	*cf = ca->conf;
	X509V3_CTX		 ctx;
	char			 buf[2200];

	X509V3_set_ctx(&ctx, ca->cert, cert, NULL, NULL, 0);
	X509_delete_ext(cert, X509_get_ext_by_NID(cert,
	    NID_subject_key_identifier, -1));
	X509_delete_ext(cert, X509_get_ext_by_NID(cert,
	    NID_authority_key_identifier, -1));
	if (ca_add_ext(cert, &ctx, NID_subject_key_identifier, "hash",
	    err) == -1 ||
	    ca_add_ext(cert, &ctx, NID_authority_key_identifier,
	    "keyid:always", err) == -1)
		return -1;
	if (cf->crl_enabled && cf->crl_idp_url != NULL &&
	    !profile_sets(doc, "crlDistributionPoints")) {
		snprintf(buf, sizeof(buf), "URI:%s", cf->crl_idp_url);
		if (ca_add_ext(cert, &ctx, NID_crl_distribution_points, buf,
		    err) == -1)
			return -1;
	}
	if (!profile_sets(doc, "ocspServer") &&
	    !profile_sets(doc, "issuingCertificateURL") &&
	    (cf->ocsp_url != NULL || cf->ca_issuers_url != NULL)) {
		snprintf(buf, sizeof(buf), "%s%s%s%s%s",
		    cf->ocsp_url ? "OCSP;URI:" : "",
		    cf->ocsp_url ? cf->ocsp_url : "",
		    cf->ocsp_url && cf->ca_issuers_url ? "," : "",
		    cf->ca_issuers_url ? "caIssuers;URI:" : "",
		    cf->ca_issuers_url ? cf->ca_issuers_url : "");
		if (ca_add_ext(cert, &ctx, NID_info_access, buf, err) == -1)
			return -1;
	}
	return 0;
}

/* notBefore and notAfter from the request and the claims. */
static int
issue_validity(struct ca *ca, const struct issue_req *req, time_t now,
    int64_t *nb, int64_t *na, struct pica_err *err)
{
	const struct conf	*cf = ca->conf;
	int64_t			 start, life;
	char			 a[32], b[32];
	struct tm		 tm;
	time_t			 ca_end;

	start = req->not_before ? req->not_before : (int64_t)now;
	if (req->not_after)
		life = req->not_after - start;
	else
		life = req->lifetime ? req->lifetime : cf->claims_default_dur;
	if (life < cf->claims_min_dur) {
		duration_format(life, a, sizeof(a));
		duration_format(cf->claims_min_dur, b, sizeof(b));
		return pica_err_set(err, PICA_E_USAGE, "requested validity %s "
		    "is shorter than minTLSCertDuration (%s)", a, b);
	}
	if (life > cf->claims_max_dur) {
		duration_format(life, a, sizeof(a));
		duration_format(cf->claims_max_dur, b, sizeof(b));
		return pica_err_set(err, PICA_E_USAGE, "requested validity %s "
		    "exceeds maxTLSCertDuration (%s)", a, b);
	}
	*na = start + life;
	/* Backdating covers clock skew; it does not count as validity. */
	*nb = req->not_before ? start : start - cf->backdate;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(ca->cert), &tm) != 1)
		return pica_err_ssl(err, PICA_E_INTERNAL, "CA notAfter");
	ca_end = timegm(&tm);
	if (*na > (int64_t)ca_end)
	{
		strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", &tm);
		return pica_err_set(err, PICA_E_USAGE, "the certificate would "
		    "outlive the intermediate CA (which expires %s)", a);
	}
	return 0;
}

/* The profile document: the template rendered and parsed as JSON. */
static int
issue_render(struct ca *ca, const struct issue_req *req, const char *cn,
    char *const *sans, size_t n_sans, EVP_PKEY *pub, json_t **doc,
    const char **profile, struct pica_err *err)
{
	const struct conf	*cf = ca->conf;
	struct template		*tpl = NULL;
	const char		*path;
	json_t			*data = NULL;
	json_error_t		 jerr;
	char			*text = NULL;
	int			 rc = -1;

	*doc = NULL;
	*profile = req->profile ? req->profile : cf->default_profile;
	if (req->template_path != NULL) {
		path = req->template_path;
		*profile = NULL;
	} else if ((path = conf_profile_path(cf, *profile)) == NULL) {
		pica_err_set(err, PICA_E_PROFILE, "unknown profile \"%s\"",
		    *profile);
		goto out;
	}
	if (template_load(path, &tpl, err) == -1)
		goto out;
	if ((data = profile_data(cn, sans, n_sans, req->csr, pub)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "template data");
		goto out;
	}
	if (template_render(tpl, data, &text, err) == -1)
		goto out;
	*doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (*doc == NULL || !json_is_object(*doc)) {
		pica_err_set(err, PICA_E_CONFIG, "%s: rendered profile is not "
		    "a JSON object: %s (line %d)", path,
		    *doc ? "not an object" : jerr.text, jerr.line);
		json_decref(*doc);
		*doc = NULL;
		goto out;
	}
	rc = 0;
out:
	template_free(tpl);
	json_decref(data);
	free(text);
	return rc;
}

static char *
issue_subject_line(X509 *cert)
{
	BIO	*bio;
	char	*data, *s = NULL;
	long	 len;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
	    XN_FLAG_RFC2253) >= 0) {
		/* An empty subject leaves the BIO without any buffer. */
		len = BIO_get_mem_data(bio, &data);
		s = len > 0 ? strndup(data, (size_t)len) : strdup("");
	}
	BIO_free(bio);
	return s;
}

int
issue_cert(struct ca *ca, struct store *st, const struct issue_req *req,
    X509 **out, struct pica_err *err)
{
	int			 rc = -1, r, tries;
	EVP_PKEY		*pub;
	char			*csr_cn = NULL, **csr_sans = NULL, **names = NULL;
	size_t			 n_csr_sans = 0, n_names = 0, i;
	const char		*cn;
	char *const		*sans;
	size_t			 n_sans;
	char			*cn_san = NULL, buf[1100];
	json_t			*doc = NULL;
	const char		*profile;
	X509			*cert = NULL;
	ASN1_INTEGER		*sn = NULL;
	struct cert_rec		 rec;
	unsigned char		*der = NULL;
	int			 der_len;
	int64_t			 nb = 0, na = 0;
	time_t			 now = time(NULL);

	*out = NULL;
	memset(&rec, 0, sizeof(rec));
	if (ca->key == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "the CA key is not loaded");
		goto out;
	}
	pub = req->pubkey ? req->pubkey :
	    req->csr ? X509_REQ_get0_pubkey(req->csr) : NULL;
	if (csr_check_pubkey(pub, err) == -1)
		goto out;
	if (req->csr != NULL && csr_names(req->csr, &csr_cn, &csr_sans,
	    &n_csr_sans, err) == -1)
		goto out;
	cn = req->common_name ? req->common_name : csr_cn;
	sans = req->sans ? req->sans : csr_sans;
	n_sans = req->sans ? req->n_sans : n_csr_sans;
	/* A request with a name only in its CN gets it as a SAN too. */
	if (n_sans == 0 && cn != NULL && cn[0] != '\0' && !req->ca_own) {
		if (issue_typed_name(cn, buf, sizeof(buf)) == -1) {
			pica_err_set(err, PICA_E_BADCSR, "common name too long");
			goto out;
		}
		cn_san = xstrdup(buf);
		sans = &cn_san;
		n_sans = 1;
	}
	if (n_sans == 0 && !req->ca_own) {
		pica_err_set(err, PICA_E_BADCSR, "no names to certify");
		goto out;
	}
	for (i = 0; i < n_sans; i++)
		if (issue_check_name(ca, sans[i], err) == -1)
			goto out;
	if (issue_validity(ca, req, now, &nb, &na, err) == -1 ||
	    issue_render(ca, req, cn, sans, n_sans, pub, &doc, &profile,
	    err) == -1)
		goto out;

	if ((cert = X509_new()) == NULL ||
	    !X509_set_version(cert, X509_VERSION_3) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(ca->cert)) ||
	    !X509_set_pubkey(cert, pub) ||
	    ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)na) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "building certificate");
		goto out;
	}
	if (profile_apply(cert, doc, err) == -1 ||
	    issue_ca_extensions(ca, cert, doc, err) == -1)
		goto out;
	/* The profile decides the final names: check those, not the input. */
	if (issue_cert_names(cert, &names, &n_names, err) == -1)
		goto out;
	for (i = 0; i < n_names; i++)
		if (issue_check_name(ca, names[i], err) == -1)
			goto out;

	rec.status = CERT_GOOD;
	rec.not_before = nb;
	rec.not_after = na;
	rec.issued_at = now;
	rec.subject = issue_subject_line(cert);
	rec.names = names;
	rec.n_names = n_names;
	rec.profile = (char *)(profile ? profile : "template");
	rec.account = (char *)req->account;
	rec.order = (char *)req->order;
	for (tries = 0; tries < ISSUE_SERIAL_TRIES; tries++) {
		if (serial_new(rec.serial) == -1) {
			pica_err_ssl(err, PICA_E_INTERNAL, "random serial");
			goto out;
		}
		rec.serial_len = SERIAL_LEN;
		ASN1_INTEGER_free(sn);
		OPENSSL_free(der);
		der = NULL;
		if ((sn = serial_to_asn1(rec.serial, rec.serial_len)) == NULL ||
		    !X509_set_serialNumber(cert, sn) ||
		    X509_sign(cert, ca->key, signer_md(ca->key)) <= 0 ||
		    (der_len = i2d_X509(cert, &der)) <= 0) {
			pica_err_ssl(err, PICA_E_INTERNAL, "signing");
			goto out;
		}
		rec.der = der;
		rec.der_len = (size_t)der_len;
		/* Committed before it leaves the CA: OCSP and CRL know it. */
		r = store_cert_insert(st, &rec);
		if (r == 0)
			break;
		if (r != STORE_EXISTS) {
			pica_err_set(err, PICA_E_INTERNAL, "%s",
			    r == STORE_PANIC ? "the store needs recovery: "
			    "restart the program" : "storing the certificate");
			goto out;
		}
	}
	if (tries == ISSUE_SERIAL_TRIES) {
		pica_err_set(err, PICA_E_INTERNAL, "no free serial number");
		goto out;
	}
	*out = cert;
	cert = NULL;
	rc = 0;
out:
	free(rec.subject);
	OPENSSL_free(der);
	ASN1_INTEGER_free(sn);
	X509_free(cert);
	json_decref(doc);
	free(cn_san);
	free(csr_cn);
	csr_names_free(csr_sans, n_csr_sans);
	csr_names_free(names, n_names);
	return rc;
}
