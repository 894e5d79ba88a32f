/*
 * t-profile: template data, the shipped profiles and profile_apply.
 */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../lib/profile.c"
#include "../lib/template.c"

#include "test.h"

static EVP_PKEY	*ec_key, *rsa_key;
static char	*tpl_dir;

/* Where the shipped templates are: $PICA_TEMPLATE_DIR, $T_SRCDIR/.. */
static char *
find_templates(void)
{
	const char	*e;
	char		*p;
	size_t		 len;

	if ((e = getenv("PICA_TEMPLATE_DIR")) != NULL && *e != '\0')
		return xstrdup(e);
	if ((e = getenv("T_SRCDIR")) != NULL && *e != '\0') {
		len = strlen(e) + sizeof("/../templates");
		p = xcalloc(1, len);
		snprintf(p, len, "%s/../templates", e);
		return p;
	}
	return xstrdup("templates");
}

/* A fresh certificate for key, not yet signed. */
static X509 *
new_cert(EVP_PKEY *key)
{
	X509	*c;

	if ((c = X509_new()) == NULL || !X509_set_version(c, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(c), 1) ||
	    X509_gmtime_adj(X509_getm_notBefore(c), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c), 3600) == NULL ||
	    !X509_set_pubkey(c, key)) {
		printf("Bail out! X509_new\n");
		exit(1);
	}
	return c;
}

/* Self-sign and re-read, so checks see the encoded certificate. */
static X509 *
finish(X509 *c)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	X509			*out = NULL;
	int			 len;

	if (X509_set_issuer_name(c, X509_get_subject_name(c)) &&
	    X509_sign(c, ec_key, EVP_sha256()) > 0 &&
	    (len = i2d_X509(c, &der)) > 0) {
		p = der;
		out = d2i_X509(NULL, &p, len);
	}
	OPENSSL_free(der);
	X509_free(c);
	return out;
}

/* Parse a document, apply it to a new certificate, sign. */
static X509 *
apply_json(const char *json, EVP_PKEY *key, struct pica_err *err)
{
	json_t		*doc;
	json_error_t	 jerr;
	X509		*c;

	pica_err_clear(err);
	if ((doc = json_loads(json, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "test JSON: %s", jerr.text);
		return NULL;
	}
	c = new_cert(key);
	if (profile_apply(c, doc, err) == -1) {
		X509_free(c);
		c = NULL;
	} else
		c = finish(c);
	json_decref(doc);
	return c;
}

static char *const test_sans[] = {
	"DNS:web.test", "IP:10.0.0.1", "email:ops@web.test", "IP:0:0::1",
};

/* Render a template (a file under tpl_dir or text) and apply it. */
static X509 *
issue(const char *file, const char *text, EVP_PKEY *key, json_t **docp,
    struct pica_err *err)
{
	struct template	*t = NULL;
	json_t		*data = NULL, *doc = NULL;
	char		*path = NULL, *out = NULL;
	X509		*c = NULL;

	pica_err_clear(err);
	if (file != NULL) {
		path = util_path_join(tpl_dir, file);
		if (template_load(path, &t, err) == -1)
			goto out;
	} else if (template_parse("text", text, &t, err) == -1)
		goto out;
	data = profile_data("web.test", test_sans, 4, NULL, key);
	if (template_render(t, data, &out, err) == -1)
		goto out;
	if ((doc = json_loads(out, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		pica_err_set(err, PICA_E_CONFIG, "not JSON: %s", out);
		goto out;
	}
	c = new_cert(key);
	if (profile_apply(c, doc, err) == -1) {
		X509_free(c);
		c = NULL;
		goto out;
	}
	c = finish(c);
	if (docp != NULL) {
		*docp = doc;
		doc = NULL;
	}
out:
	template_free(t);
	json_decref(data);
	json_decref(doc);
	free(path);
	free(out);
	return c;
}

static int
ext_critical(X509 *c, int nid)
{
	int	 i;

	if (c == NULL)
		return -2;
	if ((i = X509_get_ext_by_NID(c, nid, -1)) < 0)
		return -1;
	return X509_EXTENSION_get_critical(X509_get_ext(c, i));
}

/* The certificate's SANs as "DNS:x IP:1.2.3.4 email:y URI:z". */
static char *
san_string(X509 *c)
{
	static char	 buf[1024];
	GENERAL_NAMES	*gns;
	GENERAL_NAME	*gn;
	char		 ip[INET6_ADDRSTRLEN];
	const char	*v;
	int		 i, len;

	buf[0] = '\0';
	if (c == NULL)
		return buf;
	gns = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gns != NULL && i < sk_GENERAL_NAME_num(gns); i++) {
		gn = sk_GENERAL_NAME_value(gns, i);
		v = "?";
		switch (gn->type) {
		case GEN_DNS:
		case GEN_EMAIL:
		case GEN_URI:
			v = (const char *)ASN1_STRING_get0_data(gn->d.ia5);
			break;
		case GEN_IPADD:
			len = ASN1_STRING_length(gn->d.ip);
			v = ip_string(ASN1_STRING_get0_data(gn->d.ip),
			    (size_t)len, ip, sizeof(ip));
			break;
		}
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%s%s:%s", i ? " " : "", gn->type == GEN_DNS ? "DNS" :
		    gn->type == GEN_IPADD ? "IP" : gn->type == GEN_EMAIL ?
		    "email" : "URI", v ? v : "?");
	}
	GENERAL_NAMES_free(gns);
	return buf;
}

/* The EKU OIDs, space separated. */
static char *
eku_string(X509 *c)
{
	static char		 buf[512];
	EXTENDED_KEY_USAGE	*eku;
	char			 oid[80];
	int			 i;

	buf[0] = '\0';
	if (c == NULL)
		return buf;
	eku = X509_get_ext_d2i(c, NID_ext_key_usage, NULL, NULL);
	for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i), 1);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    i ? " " : "", oid);
	}
	EXTENDED_KEY_USAGE_free(eku);
	return buf;
}

static char *
subject_string(X509 *c)
{
	static char	 buf[512];

	buf[0] = '\0';
	if (c != NULL)
		X509_NAME_oneline(X509_get_subject_name(c), buf,
		    sizeof(buf));
	return buf;
}

#define SERVER_AUTH	"1.3.6.1.5.5.7.3.1"
#define CLIENT_AUTH	"1.3.6.1.5.5.7.3.2"

static void
test_data(void)
{
	json_t		*d, *cr;
	X509_REQ	*req;
	X509_NAME	*name;
	STACK_OF(X509_EXTENSION) *exts;
	X509_EXTENSION	*ext;
	char		*s;

	d = profile_data("web.test", test_sans, 4, NULL, ec_key);
	s = json_dumps(json_object_get(d, "SANs"), JSON_COMPACT);
	is_str(s, "[{\"type\":\"dns\",\"value\":\"web.test\"},"
	    "{\"type\":\"ip\",\"value\":\"10.0.0.1\"},"
	    "{\"type\":\"email\",\"value\":\"ops@web.test\"},"
	    "{\"type\":\"ip\",\"value\":\"::1\"}]", "data: .SANs");
	free(s);
	s = json_dumps(json_object_get(d, "Subject"), JSON_COMPACT);
	is_str(s, "{\"commonName\":\"web.test\"}", "data: .Subject");
	free(s);
	cr = json_object_get(json_object_get(d, "Insecure"), "CR");
	is_str(json_string_value(json_object_get(json_object_get(cr,
	    "publicKey"), "goType")), "*ecdsa.PublicKey",
	    "data: EC key type");
	s = json_dumps(json_object_get(cr, "ipAddresses"), JSON_COMPACT);
	is_str(s, "[\"10.0.0.1\",\"::1\"]", "data: CR lists without a CSR");
	free(s);
	ok(json_is_object(json_object_get(d, "Token")) &&
	    json_is_object(json_object_get(json_object_get(d, "Insecure"),
	    "User")), "data: .Token and .Insecure.User");
	json_decref(d);

	d = profile_data(NULL, NULL, 0, NULL, rsa_key);
	s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"Insecure\":{\"CR\":{\"publicKey\":{\"goType\":"
	    "\"*rsa.PublicKey\"},\"publicKeyAlgorithm\":\"RSA\","
	    "\"subject\":{}},"
	    "\"User\":{}},\"SANs\":[],\"Subject\":{},\"Token\":{}}",
	    "data: empty request, RSA key");
	free(s);
	json_decref(d);

	/* From a CSR. */
	req = X509_REQ_new();
	name = X509_REQ_get_subject_name(req);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Org", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"csr.test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "UID", MBSTRING_UTF8,
	    (const unsigned char *)"u1", -1, -1, 0);
	exts = sk_X509_EXTENSION_new_null();
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:csr.test,IP:192.0.2.1,email:a@csr.test,URI:spiffe://x/y");
	sk_X509_EXTENSION_push(exts, ext);
	X509_REQ_add_extensions(req, exts);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_set_pubkey(req, ec_key);
	d = profile_data("csr.test", NULL, 0, req, NULL);
	cr = json_object_get(json_object_get(d, "Insecure"), "CR");
	s = json_dumps(cr, JSON_COMPACT);
	is_str(s, "{\"subject\":{\"organization\":[\"Org\"],\"commonName\":"
	    "\"csr.test\",\"extraNames\":[{\"type\":"
	    "\"0.9.2342.19200300.100.1.1\","
	    "\"value\":\"u1\"}]},\"dnsNames\":[\"csr.test\"],\"ipAddresses\":"
	    "[\"192.0.2.1\"],\"emailAddresses\":[\"a@csr.test\"],\"uris\":"
	    "[\"spiffe://x/y\"],\"publicKey\":{\"goType\":"
	    "\"*ecdsa.PublicKey\"},\"publicKeyAlgorithm\":\"ECDSA\"}",
	    "data: .Insecure.CR from a CSR");
	free(s);
	json_decref(d);
	X509_REQ_free(req);
}

static void
test_shipped(void)
{
	struct pica_err	 err;
	X509		*c;
	const char	*files[] = { "server.tpl", "client.tpl", "ocsp.tpl",
	    "email.tpl", "codesign.tpl", "timestamp.tpl" };
	json_t		*doc = NULL;
	ASN1_OCTET_STRING *v;
	size_t		 i;
	int		 at;

	c = issue("server.tpl", NULL, ec_key, NULL, &err);
	if (!ok(c != NULL, "server.tpl applies (EC)"))
		diag("%s", err.msg);
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE,
	    "server: EC key: digitalSignature");
	is_int(ext_critical(c, NID_key_usage), 1, "server: keyUsage critical");
	is_str(eku_string(c), SERVER_AUTH " " CLIENT_AUTH,
	    "server: serverAuth, clientAuth");
	is_str(san_string(c), "DNS:web.test email:ops@web.test IP:10.0.0.1 "
	    "IP:::1", "server: SANs, grouped as Go does");
	is_int(ext_critical(c, NID_subject_alt_name), 0,
	    "server: SAN not critical with a subject");
	is_str(subject_string(c), "/CN=web.test", "server: subject");
	is_int(ext_critical(c, NID_basic_constraints), -1,
	    "server: no basicConstraints, like step-ca");
	X509_free(c);
	c = issue("server.tpl", NULL, rsa_key, NULL, &err);
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE |
	    KU_KEY_ENCIPHERMENT, "server: RSA key: + keyEncipherment");
	X509_free(c);

	c = issue("client.tpl", NULL, ec_key, NULL, &err);
	is_str(c ? eku_string(c) : err.msg, CLIENT_AUTH, "client: clientAuth");
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE,
	    "client: digitalSignature");
	X509_free(c);

	c = issue("ocsp.tpl", NULL, ec_key, NULL, &err);
	is_str(c ? eku_string(c) : err.msg, "1.3.6.1.5.5.7.3.9",
	    "ocsp: OCSPSigning");
	at = c ? X509_get_ext_by_NID(c, NID_id_pkix_OCSP_noCheck, -1) : -1;
	v = at >= 0 ? X509_EXTENSION_get_data(X509_get_ext(c, at)) : NULL;
	ok(v != NULL && ASN1_STRING_length(v) == 2 &&
	    memcmp(ASN1_STRING_get0_data(v), "\x05\x00", 2) == 0 &&
	    ext_critical(c, NID_id_pkix_OCSP_noCheck) == 0,
	    "ocsp: id-pkix-ocsp-nocheck, NULL, not critical");
	X509_free(c);

	c = issue("email.tpl", NULL, ec_key, NULL, &err);
	is_str(c ? eku_string(c) : err.msg, "1.3.6.1.5.5.7.3.4",
	    "email: emailProtection");
	is_str(c ? san_string(c) : "", "email:ops@web.test",
	    "email: only the email SANs");
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE |
	    KU_KEY_AGREEMENT, "email: EC key: + keyAgreement");
	X509_free(c);
	c = issue("email.tpl", NULL, rsa_key, NULL, &err);
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE |
	    KU_KEY_ENCIPHERMENT, "email: RSA key: + keyEncipherment");
	X509_free(c);

	c = issue("codesign.tpl", NULL, ec_key, NULL, &err);
	is_str(c ? eku_string(c) : err.msg, "1.3.6.1.5.5.7.3.3",
	    "codesign: codeSigning");
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE,
	    "codesign: digitalSignature");
	X509_free(c);

	c = issue("timestamp.tpl", NULL, ec_key, NULL, &err);
	is_str(c ? eku_string(c) : err.msg, "1.3.6.1.5.5.7.3.8",
	    "timestamp: timeStamping alone");
	is_int(ext_critical(c, NID_ext_key_usage), 1,
	    "timestamp: extended key usage critical (RFC 3161)");
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE,
	    "timestamp: digitalSignature");
	ok(c != NULL && X509_check_purpose(c, X509_PURPOSE_TIMESTAMP_SIGN,
	    0) == 1, "timestamp: OpenSSL accepts it for time stamping");
	X509_free(c);

	/* Every shipped profile starts with a comment and gives JSON. */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char	*path = util_path_join(tpl_dir, files[i]), *text = NULL;

		ok(util_read_file(path, 1 << 20, &text, NULL, &err) == 0 &&
		    strncmp(text, "{{/*", 4) == 0, "%s starts with a comment",
		    files[i]);
		free(text);
		free(path);
	}

	/* The seed template, verbatim. */
	c = issue(NULL, "{\"subject\": {\"commonName\": {{ toJson ((index "
	    ".SANs 0).Value) }}}, \"sans\": {{ toJson .SANs }}, \"keyUsage\": "
	    "[\"digitalSignature\", \"keyEncipherment\"], \"extKeyUsage\": "
	    "[\"serverAuth\", \"clientAuth\"], \"crlDistributionPoints\": "
	    "[\"http://ca.domain.de/1.0/crl\"], \"ocspServer\": "
	    "[\"http://ca.domain.de/ocsp\"]}", ec_key, &doc, &err);
	if (!ok(c != NULL, "seed template applies"))
		diag("%s", err.msg);
	is_str(c ? subject_string(c) : "", "/CN=web.test",
	    "seed: CN from the first SAN");
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE |
	    KU_KEY_ENCIPHERMENT, "seed: key usage");
	{
		CRL_DIST_POINTS		*cdp = NULL;
		AUTHORITY_INFO_ACCESS	*aia = NULL;
		ACCESS_DESCRIPTION	*ad;
		GENERAL_NAME		*gn;
		DIST_POINT		*dp;

		if (c != NULL) {
			cdp = X509_get_ext_d2i(c, NID_crl_distribution_points,
			    NULL, NULL);
			aia = X509_get_ext_d2i(c, NID_info_access, NULL, NULL);
		}
		dp = cdp && sk_DIST_POINT_num(cdp) == 1 ?
		    sk_DIST_POINT_value(cdp, 0) : NULL;
		gn = dp && dp->distpoint && dp->distpoint->type == 0 ?
		    sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0) :
		    NULL;
		ok(gn != NULL && gn->type == GEN_URI && strcmp((const char *)
		    ASN1_STRING_get0_data(gn->d.ia5),
		    "http://ca.domain.de/1.0/crl") == 0,
		    "seed: CRL distribution point");
		ad = aia && sk_ACCESS_DESCRIPTION_num(aia) == 1 ?
		    sk_ACCESS_DESCRIPTION_value(aia, 0) : NULL;
		ok(ad != NULL && OBJ_obj2nid(ad->method) == NID_ad_OCSP &&
		    ad->location->type == GEN_URI && strcmp((const char *)
		    ASN1_STRING_get0_data(ad->location->d.ia5),
		    "http://ca.domain.de/ocsp") == 0, "seed: OCSP in AIA");
		CRL_DIST_POINTS_free(cdp);
		AUTHORITY_INFO_ACCESS_free(aia);
	}
	ok(profile_sets(doc, "crlDistributionPoints") &&
	    profile_sets(doc, "ocspServer") &&
	    !profile_sets(doc, "issuingCertificateURL") &&
	    !profile_sets(NULL, "ocspServer"), "profile_sets on the seed");
	json_decref(doc);
	X509_free(c);
}

static void
test_fields(void)
{
	struct pica_err		 err;
	X509			*c;
	BASIC_CONSTRAINTS	*bc;
	CERTIFICATEPOLICIES	*cp;
	AUTHORITY_INFO_ACCESS	*aia;
	json_t			*doc;
	char			 oid[80];
	int			 crit = -1;

	c = apply_json("{\"basicConstraints\": {\"isCA\": true, "
	    "\"maxPathLen\": 0}, \"keyUsage\": [\"certSign\", \"crlSign\"]}",
	    ec_key, &err);
	bc = c ? X509_get_ext_d2i(c, NID_basic_constraints, &crit, NULL) :
	    NULL;
	ok(bc != NULL && bc->ca && bc->pathlen != NULL &&
	    ASN1_INTEGER_get(bc->pathlen) == 0 && crit == 1,
	    "basicConstraints: CA, pathlen 0, critical");
	BASIC_CONSTRAINTS_free(bc);
	is_int(c ? X509_get_key_usage(c) : 0, KU_KEY_CERT_SIGN | KU_CRL_SIGN,
	    "keyUsage: certSign, crlSign");
	X509_free(c);
	c = apply_json("{\"basicConstraints\": {\"isCA\": true, "
	    "\"maxPathLen\": -1}}", ec_key, &err);
	bc = c ? X509_get_ext_d2i(c, NID_basic_constraints, NULL, NULL) : NULL;
	ok(bc != NULL && bc->ca && bc->pathlen == NULL,
	    "basicConstraints: maxPathLen -1 means no limit");
	BASIC_CONSTRAINTS_free(bc);
	X509_free(c);
	c = apply_json("{\"basicConstraints\": {\"isCA\": false, "
	    "\"maxPathLen\": 3}}", ec_key, &err);
	bc = c ? X509_get_ext_d2i(c, NID_basic_constraints, &crit, NULL) :
	    NULL;
	ok(bc != NULL && !bc->ca && bc->pathlen == NULL && crit == 1,
	    "basicConstraints: not a CA, no pathlen, critical");
	BASIC_CONSTRAINTS_free(bc);
	X509_free(c);

	c = apply_json("{\"subject\": {}, \"sans\": [{\"type\": \"dns\", "
	    "\"value\": \"x.test\"}]}", ec_key, &err);
	is_int(ext_critical(c, NID_subject_alt_name), 1,
	    "SAN critical when the subject is empty");
	X509_free(c);

	c = apply_json("{\"sans\": [{\"type\": \"auto\", \"value\": "
	    "\"x.test\"}, {\"value\": \"2001:db8::1\"}, {\"type\": \"AUTO\", "
	    "\"value\": \"a@x.test\"}, {\"type\": \"\", \"value\": "
	    "\"https://x.test/p\"}, {\"type\": \"URI\", \"value\": "
	    "\"urn:x:y\"}], \"dnsNames\": \"d.test\", \"ipAddresses\": "
	    "[\"192.0.2.9\", \"::ffff:192.0.2.10\"], \"uris\": "
	    "[\"spiffe://t/w\"], \"emailAddresses\": [\"e@x.test\"]}",
	    ec_key, &err);
	is_str(c ? san_string(c) : err.msg, "DNS:d.test DNS:x.test "
	    "email:e@x.test email:a@x.test IP:192.0.2.9 IP:192.0.2.10 "
	    "IP:2001:db8::1 URI:spiffe://t/w URI:https://x.test/p URI:urn:x:y",
	    "SAN types, auto guessed, field lists first");
	X509_free(c);

	c = apply_json("{\"subject\": {\"country\": \"DE\", \"organization\": "
	    "[\"O1\", \"O2\"], \"organizationalUnit\": \"Unit\", "
	    "\"locality\": \"Berlin\", \"province\": \"BE\", "
	    "\"streetAddress\": \"Street 1\", \"postalCode\": \"10115\", "
	    "\"commonName\": \"Grüße\", \"serialNumber\": \"42\", "
	    "\"extraNames\": [{\"type\": \"1.2.840.113549.1.9.1\", "
	    "\"value\": \"a@x.test\"}]}}", ec_key, &err);
	is_str(c ? subject_string(c) : err.msg, "/C=DE/ST=BE/L=Berlin/"
	    "street=Street 1/postalCode=10115/O=O1/O=O2/OU=Unit/"
	    "CN=Gr\\xC3\\xBC\\xC3\\x9Fe/serialNumber=42/emailAddress=a@x.test",
	    "subject: all fields in Go's order");
	ok(c != NULL && ASN1_STRING_type(X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(X509_get_subject_name(c), 0))) ==
	    V_ASN1_PRINTABLESTRING, "subject: country is a PrintableString");
	X509_free(c);
	c = apply_json("{\"subject\": \"just.cn\"}", ec_key, &err);
	is_str(c ? subject_string(c) : err.msg, "/CN=just.cn",
	    "subject: a string is the common name");
	X509_free(c);

	c = apply_json("{\"keyUsage\": [\"Digital-Signature\", "
	    "\"key_encipherment\", \"CRLSign\", \"contentcommitment\"]}",
	    ec_key, &err);
	is_int(c ? X509_get_key_usage(c) : 0, KU_DIGITAL_SIGNATURE |
	    KU_KEY_ENCIPHERMENT | KU_CRL_SIGN | KU_NON_REPUDIATION,
	    "keyUsage: case, '-' and '_' do not matter");
	X509_free(c);
	c = apply_json("{\"keyUsage\": \"decipherOnly\"}", ec_key, &err);
	is_int(c ? X509_get_key_usage(c) : 0, KU_DECIPHER_ONLY,
	    "keyUsage: a single string, bit 8");
	X509_free(c);

	c = apply_json("{\"extKeyUsage\": [\"ocspSigning\", \"ipsecUser\", "
	    "\"microsoftKernelCodeSigning\"], \"unknownExtKeyUsage\": "
	    "[\"1.2.3.4\"]}", ec_key, &err);
	is_str(c ? eku_string(c) : err.msg, "1.3.6.1.5.5.7.3.9 "
	    "1.3.6.1.5.5.7.3.7 1.3.6.1.4.1.311.61.1.1 1.2.3.4",
	    "extKeyUsage and unknownExtKeyUsage");
	is_int(ext_critical(c, NID_ext_key_usage), 0, "extKeyUsage: not "
	    "critical");
	X509_free(c);

	c = apply_json("{\"policies\": [\"2.23.140.1.2.1\", {\"id\": "
	    "\"1.3.6.1.4.1.99999.1\"}], \"policyIdentifiers\": "
	    "[\"1.2.3\"]}", ec_key, &err);
	cp = c ? X509_get_ext_d2i(c, NID_certificate_policies, NULL, NULL) :
	    NULL;
	oid[0] = '\0';
	if (cp != NULL && sk_POLICYINFO_num(cp) == 3)
		OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(cp,
		    2)->policyid, 1);
	is_str(oid, "1.3.6.1.4.1.99999.1", "policies: strings and {id}");
	CERTIFICATEPOLICIES_free(cp);
	X509_free(c);

	c = apply_json("{\"extensions\": [{\"id\": \"1.2.3.4.5\", "
	    "\"critical\": true, \"value\": \"DAJoaQ==\"}], \"issuer\": "
	    "{\"commonName\": \"x\"}, \"notBefore\": \"2020-01-01T00:00:00Z\", "
	    "\"notAfter\": \"2030-01-01T00:00:00Z\", \"serialNumber\": 5, "
	    "\"signatureAlgorithm\": \"SHA256-RSA\"}", ec_key, &err);
	{
		ASN1_OBJECT		*obj = OBJ_txt2obj("1.2.3.4.5", 1);
		int			 at = c ? X509_get_ext_by_OBJ(c, obj,
					    -1) : -1;
		ASN1_OCTET_STRING	*v = at >= 0 ? X509_EXTENSION_get_data(
					    X509_get_ext(c, at)) : NULL;

		ok(v != NULL && ASN1_STRING_length(v) == 4 &&
		    memcmp(ASN1_STRING_get0_data(v), "\x0c\x02hi", 4) == 0 &&
		    X509_EXTENSION_get_critical(X509_get_ext(c, at)),
		    "extensions: raw, critical; ignored fields accepted");
		ASN1_OBJECT_free(obj);
	}
	X509_free(c);

	/* Fields the document leaves out keep what the certificate had. */
	doc = json_loads("{\"ocspServer\": \"http://o.test/\"}", 0, NULL);
	c = new_cert(ec_key);
	{
		X509_EXTENSION	*e = X509V3_EXT_conf_nid(NULL, NULL,
				    NID_info_access,
				    "caIssuers;URI:http://i.test/ca.der");

		X509_add_ext(c, e, -1);
		X509_EXTENSION_free(e);
	}
	ok(profile_apply(c, doc, &err) == 0, "AIA: apply ocspServer only");
	aia = X509_get_ext_d2i(c, NID_info_access, NULL, NULL);
	ok(aia != NULL && sk_ACCESS_DESCRIPTION_num(aia) == 2 &&
	    OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 0)->method) ==
	    NID_ad_OCSP && OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia,
	    1)->method) == NID_ad_ca_issuers,
	    "AIA: the caIssuers already there is kept");
	AUTHORITY_INFO_ACCESS_free(aia);
	json_decref(doc);
	X509_free(c);

	doc = json_loads("{\"dnsNames\": null, \"policyIdentifiers\": "
	    "[\"1.2.3\"]}", 0, NULL);
	ok(!profile_sets(doc, "dnsNames") && profile_sets(doc, "policies") &&
	    profile_sets(doc, "policyIdentifiers") &&
	    !profile_sets(doc, "sans"), "profile_sets: null is not set; "
	    "policies and policyIdentifiers go together");
	json_decref(doc);
}

static const struct {
	const char	*doc, *want;
} bad_docs[] = {
	{ "{\"foo\": 1}", "unknown field \"foo\"" },
	{ "[]", "document: must be a JSON object" },
	{ "{\"keyUsage\": [\"bogus\"]}", "keyUsage: unknown key usage "
	    "\"bogus\"" },
	{ "{\"keyUsage\": 5}", "keyUsage: must be a string or an array" },
	{ "{\"extKeyUsage\": [\"serverauth\", \"nope\"]}",
	    "extKeyUsage: unknown extended key usage \"nope\"" },
	{ "{\"unknownExtKeyUsage\": [\"1.2.x\"]}",
	    "unknownExtKeyUsage: bad OID" },
	{ "{\"sans\": \"a.test\"}", "sans: must be an array" },
	{ "{\"sans\": [\"a.test\"]}", "sans[0]: must be an object" },
	{ "{\"sans\": [{\"type\": \"ip\", \"value\": \"nope\"}]}",
	    "sans[0]: bad IP address \"nope\"" },
	{ "{\"sans\": [{\"type\": \"dn\", \"value\": \"x\"}]}",
	    "sans[0]: unsupported type \"dn\"" },
	{ "{\"sans\": [{\"type\": \"dns\", \"value\": \"x\", "
	    "\"asn1Value\": 1}]}",
	    "sans[0]: unknown field \"asn1Value\"" },
	{ "{\"ipAddresses\": [\"10.0.0.1\", \"300.1.1.1\"]}",
	    "ipAddresses[1]: bad IP address \"300.1.1.1\"" },
	{ "{\"ipAddresses\": [\"1.2.3.4 \"]}", "ipAddresses[0]: bad IP" },
	{ "{\"dnsNames\": [\"a b.test\"]}", "dnsNames[0]: bad DNS name" },
	{ "{\"dnsNames\": [\"\"]}", "dnsNames[0]: bad DNS name" },
	{ "{\"uris\": [\"no-scheme\"]}", "uris[0]: bad URI" },
	{ "{\"emailAddresses\": [3]}", "emailAddresses: must be a string" },
	{ "{\"subject\": {\"cn\": \"x\"}}", "subject.cn: unknown field" },
	{ "{\"subject\": {\"commonName\": [\"x\"]}}",
	    "subject.commonName: must be a string" },
	{ "{\"subject\": 1}", "subject: must be an object or a string" },
	{ "{\"subject\": {\"commonName\": \"a\\u0000b\"}}",
	    "subject.commonName: string contains NUL" },
	{ "{\"subject\": {\"extraNames\": [{\"type\": \"x\", "
	    "\"value\": \"y\"}]}}",
	    "subject.extraNames[0]: type must be an OID" },
	{ "{\"basicConstraints\": {\"isCA\": \"yes\"}}",
	    "basicConstraints.isCA: must be true or false" },
	{ "{\"basicConstraints\": {\"isCA\": true, \"maxPathLen\": 1.5}}",
	    "basicConstraints.maxPathLen: must be an integer" },
	{ "{\"basicConstraints\": {\"ca\": true}}",
	    "basicConstraints: unknown field" },
	{ "{\"basicConstraints\": true}", "basicConstraints: must be an "
	    "object" },
	{ "{\"crlDistributionPoints\": [\"ftp\"]}",
	    "crlDistributionPoints: bad URI" },
	{ "{\"ocspServer\": {}}", "ocspServer: must be a string or an array" },
	{ "{\"issuingCertificateURL\": [\"\"]}",
	    "issuingCertificateURL: bad URI" },
	{ "{\"policies\": [\"x\"]}", "policies[0]: must be an OID" },
	{ "{\"policyIdentifiers\": [{\"id\": \"1.2\", \"cps\": \"u\"}]}",
	    "policyIdentifiers[0]: unknown field" },
	{ "{\"extensions\": [{\"id\": \"1.2.3\", \"value\": \"!!\"}]}",
	    "extensions[0]: value must be base64 of DER" },
	{ "{\"extensions\": [{\"id\": \"1.2.3\", \"value\": \"BQ==\"}]}",
	    "extensions[0]: value must be base64 of DER" },
	{ "{\"extensions\": [{\"id\": \"1.2.3\", \"value\": \"BQA=\"}, "
	    "{\"id\": \"1.2.3\", \"value\": \"BQA=\"}]}",
	    "extensions[1]: extension given twice" },
	{ "{\"extensions\": [{\"id\": \"3.1\", \"value\": \"BQA=\"}]}",
	    "extensions[0]: id must be an OID" },
	{ "{\"extensions\": {}}", "extensions: must be an array" },
	{ "{\"nameConstraints\": {}}", "unknown field \"nameConstraints\"" },
};

static void
test_bad(void)
{
	struct pica_err	 err;
	X509		*c;
	size_t		 i;
	json_t		*doc, *arr;
	char		 big[1100];

	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		c = apply_json(bad_docs[i].doc, ec_key, &err);
		if (!ok(c == NULL && err.code == PICA_E_CONFIG &&
		    strstr(err.msg, bad_docs[i].want) != NULL,
		    "refused: %s", bad_docs[i].doc))
			diag("got \"%s\", want \"%s\"", err.msg,
			    bad_docs[i].want);
		X509_free(c);
	}

	/* Bounds: 100 SANs, 32 per list, 1024 bytes a string. */
	doc = json_object();
	arr = json_array();
	for (i = 0; i < 100; i++) {
		snprintf(big, sizeof(big), "h%zu.test", i);
		json_array_append_new(arr, json_pack("{s:s,s:s}", "type", "dns",
		    "value", big));
	}
	json_object_set_new(doc, "sans", arr);
	c = new_cert(ec_key);
	ok(profile_apply(c, doc, &err) == 0, "100 SANs are fine");
	json_object_set_new(doc, "dnsNames", json_string("one-more.test"));
	ok(profile_apply(c, doc, &err) == -1 && strstr(err.msg,
	    "more than 100") != NULL, "101 SANs are refused");
	json_decref(doc);
	doc = json_object();
	arr = json_array();
	for (i = 0; i < 33; i++)
		json_array_append_new(arr, json_string("http://x.test/"));
	json_object_set_new(doc, "ocspServer", arr);
	ok(profile_apply(c, doc, &err) == -1 && strstr(err.msg,
	    "ocspServer: more than 32") != NULL, "33 OCSP URLs are refused");
	json_decref(doc);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	doc = json_pack("{s:{s:s}}", "subject", "commonName", big);
	ok(profile_apply(c, doc, &err) == -1 && strstr(err.msg,
	    "subject.commonName: string longer than 1024") != NULL,
	    "strings over 1024 bytes are refused");
	json_decref(doc);
	X509_free(c);
}

int
main(void)
{
	tpl_dir = find_templates();
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (ec_key == NULL || rsa_key == NULL) {
		printf("Bail out! key generation\n");
		return 1;
	}
	plan(7 + 35 + 18 + (int)(sizeof(bad_docs) / sizeof(bad_docs[0])) + 4);
	test_data();
	test_shipped();
	test_fields();
	test_bad();
	EVP_PKEY_free(ec_key);
	EVP_PKEY_free(rsa_key);
	free(tpl_dir);
	return done();
}
