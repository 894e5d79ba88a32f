#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "profile.h"
#include "util.h"

/*
 * Profiles follow step-ca's x509util JSON (go.step.sm/crypto/x509util):
 * the same field names, the same name normalisation for key usages, the
 * same criticality (keyUsage and basicConstraints critical, the SAN
 * critical only with an empty subject) and raw "extensions" replacing
 * whatever the other fields made for the same OID, as Go's
 * ExtraExtensions do.  notBefore, notAfter, serialNumber, issuer and
 * signatureAlgorithm are accepted and ignored: pica decides those.
 */

#define PROFILE_MAX_SANS	100
#define PROFILE_MAX_LIST	32
#define PROFILE_MAX_STR		1024

/* ---- template data ------------------------------------------------- */

/* Set o[k] = v, taking v; -1 when v is NULL or the set fails. */
static int
put(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(o, k, v);
}

static int
has_scheme(const char *s)
{
	size_t	 i;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; isalnum((unsigned char)s[i]) || s[i] == '+' ||
	    s[i] == '-' || s[i] == '.'; i++)
		;
	return s[i] == ':';
}

/* The bytes of an IP address: 4 for IPv4 (and v4-mapped v6), 16 else. */
static int
parse_ip(const char *s, unsigned char *buf, size_t *len)
{
	static const unsigned char	 mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (inet_pton(AF_INET, s, buf) == 1) {
		*len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*len = 16;
		if (memcmp(buf, mapped, sizeof(mapped)) == 0) {
			memmove(buf, buf + 12, 4);
			*len = 4;
		}
		return 0;
	}
	return -1;
}

static const char *
ip_string(const unsigned char *buf, size_t len, char *out, size_t outlen)
{
	if (len == 4)
		return inet_ntop(AF_INET, buf, out, (socklen_t)outlen);
	if (len == 16)
		return inet_ntop(AF_INET6, buf, out, (socklen_t)outlen);
	return NULL;
}

/* step-ca's guess for a SAN without a type (x509util.SplitSANs). */
static const char *
san_guess(const char *v)
{
	unsigned char	 ip[16];
	size_t		 len;

	if (parse_ip(v, ip, &len) == 0)
		return "ip";
	if (has_scheme(v))
		return "uri";
	if (strchr(v, '@') != NULL)
		return "email";
	return "dns";
}

/* "DNS:a.test" to ("dns", "a.test"); IPs in their canonical form. */
static json_t *
san_json(const char *san)
{
	static const struct {
		const char	*prefix, *type;
	} map[] = {
		{ "DNS:", "dns" },
		{ "IP:", "ip" },
		{ "email:", "email" },
		{ "URI:", "uri" },
	};
	const char	*type = NULL, *value = san;
	unsigned char	 ip[16];
	char		 buf[INET6_ADDRSTRLEN];
	size_t		 i, len;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncasecmp(san, map[i].prefix,
		    strlen(map[i].prefix)) == 0) {
			type = map[i].type;
			value = san + strlen(map[i].prefix);
			break;
		}
	if (type == NULL)
		type = san_guess(value);
	if (strcmp(type, "ip") == 0 && parse_ip(value, ip, &len) == 0 &&
	    ip_string(ip, len, buf, sizeof(buf)) != NULL)
		value = buf;
	return json_pack("{s:s, s:s}", "type", type, "value", value);
}

/* Subject fields in the order of Go's x509util.Name (for toJson). */
static const struct {
	const char	*key;
	int		 nid;
	int		 multi;
} name_json_fields[] = {
	{ "country",		NID_countryName,		1 },
	{ "organization",	NID_organizationName,		1 },
	{ "organizationalUnit",	NID_organizationalUnitName,	1 },
	{ "locality",		NID_localityName,		1 },
	{ "province",		NID_stateOrProvinceName,	1 },
	{ "streetAddress",	NID_streetAddress,		1 },
	{ "postalCode",		NID_postalCode,			1 },
	{ "serialNumber",	NID_serialNumber,		0 },
	{ "commonName",		NID_commonName,			0 },
};

static json_t *
entry_string(X509_NAME_ENTRY *e)
{
	unsigned char	*utf8 = NULL;
	int		 len;
	json_t		*s;

	if ((len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e))) <
	    0)
		return NULL;
	s = json_stringn((const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return s;
}

/* An X509_NAME as Go's x509util.Name marshals it (empty fields left out). */
static json_t *
name_json(const X509_NAME *name)
{
	json_t		*o, *arr, *extra = NULL, *x;
	X509_NAME_ENTRY	*e;
	size_t		 f;
	int		 i, n, nid, known;
	char		 oid[128];

	if ((o = json_object()) == NULL)
		return NULL;
	n = X509_NAME_entry_count(name);
	for (f = 0; f < sizeof(name_json_fields) /
	    sizeof(name_json_fields[0]); f++) {
		arr = NULL;
		for (i = 0; i < n; i++) {
			e = X509_NAME_get_entry(name, i);
			if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) !=
			    name_json_fields[f].nid)
				continue;
			if (!name_json_fields[f].multi) {
				/* Go keeps the last one. */
				if (put(o, name_json_fields[f].key,
				    entry_string(e)) == -1)
					goto fail;
				continue;
			}
			if (arr == NULL && (arr = json_array()) == NULL)
				goto fail;
			if ((x = entry_string(e)) == NULL ||
			    json_array_append_new(arr, x) == -1) {
				json_decref(arr);
				goto fail;
			}
		}
		if (arr != NULL && put(o, name_json_fields[f].key, arr) == -1)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		e = X509_NAME_get_entry(name, i);
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		for (known = 0, f = 0; f < sizeof(name_json_fields) /
		    sizeof(name_json_fields[0]); f++)
			known |= name_json_fields[f].nid == nid;
		if (known)
			continue;
		if (OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e),
		    1) <= 0)
			continue;
		if (extra == NULL && ((extra = json_array()) == NULL ||
		    put(o, "extraNames", extra) == -1))
			goto fail;
		if ((x = entry_string(e)) == NULL ||
		    json_array_append_new(extra, json_pack("{s:s, s:o}",
		    "type", oid, "value", x)) == -1)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Append s to o[key] (an array made on first use). */
static int
put_list(json_t *o, const char *key, const char *s)
{
	json_t	*arr;

	if ((arr = json_object_get(o, key)) == NULL) {
		if ((arr = json_array()) == NULL || put(o, key, arr) == -1)
			return -1;
	}
	return json_array_append_new(arr, json_string(s));
}

static const char *
cr_list_key(const char *type)
{
	if (strcmp(type, "dns") == 0)
		return "dnsNames";
	if (strcmp(type, "ip") == 0)
		return "ipAddresses";
	if (strcmp(type, "email") == 0)
		return "emailAddresses";
	return "uris";
}

/* The CSR's subjectAltName into cr's dnsNames, ipAddresses, ... */
static int
cr_csr_sans(json_t *cr, X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION)	*exts;
	GENERAL_NAMES			*gns = NULL;
	const GENERAL_NAME		*gn;
	const ASN1_STRING		*s;
	char				 buf[INET6_ADDRSTRLEN], *str;
	int				 i, rc = -1;

	if ((exts = X509_REQ_get_extensions(csr)) == NULL)
		return 0;
	gns = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gns != NULL && i < sk_GENERAL_NAME_num(gns); i++) {
		gn = sk_GENERAL_NAME_value(gns, i);
		switch (gn->type) {
		case GEN_DNS:
		case GEN_EMAIL:
		case GEN_URI:
			s = gn->d.ia5;
			str = xcalloc(1, (size_t)ASN1_STRING_length(s) + 1);
			memcpy(str, ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s));
			if (put_list(cr, gn->type == GEN_DNS ? "dnsNames" :
			    gn->type == GEN_EMAIL ? "emailAddresses" : "uris",
			    str) == -1) {
				free(str);
				goto out;
			}
			free(str);
			break;
		case GEN_IPADD:
			s = gn->d.ip;
			if (ip_string(ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s), buf,
			    sizeof(buf)) != NULL &&
			    put_list(cr, "ipAddresses", buf) == -1)
				goto out;
			break;
		default:
			break;
		}
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gns);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* Go's dynamic type of the public key, for typeIs. */
static void
key_types(EVP_PKEY *pk, const char **gotype, const char **alg)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		*gotype = "*rsa.PublicKey";
		*alg = "RSA";
		break;
	case EVP_PKEY_EC:
		*gotype = "*ecdsa.PublicKey";
		*alg = "ECDSA";
		break;
	case EVP_PKEY_ED25519:
		*gotype = "ed25519.PublicKey";
		*alg = "Ed25519";
		break;
	default:
		*gotype = "unknown";
		*alg = "UnknownPublicKeyAlgorithm";
		break;
	}
}

json_t *
profile_data(const char *common_name, char *const *sans, size_t n_sans,
    X509_REQ *csr, EVP_PKEY *pubkey)
{
	json_t		*data = NULL, *subject, *list, *insecure, *cr, *e;
	const char	*gotype, *alg;
	size_t		 i;

	if ((data = json_object()) == NULL ||
	    put(data, "Subject", subject = json_object()) == -1 ||
	    put(data, "SANs", list = json_array()) == -1 ||
	    put(data, "Token", json_object()) == -1 ||
	    put(data, "Insecure", insecure = json_object()) == -1 ||
	    put(insecure, "User", json_object()) == -1)
		goto fail;
	if (common_name != NULL && common_name[0] != '\0' &&
	    put(subject, "commonName", json_string(common_name)) == -1)
		goto fail;
	for (i = 0; i < n_sans; i++)
		if (json_array_append_new(list, san_json(sans[i])) == -1)
			goto fail;

	/* .Insecure.CR: the request as the client made it. */
	if (csr != NULL) {
		if (put(insecure, "CR", cr = json_object()) == -1 ||
		    put(cr, "subject", name_json(X509_REQ_get_subject_name(
		    csr))) == -1 || cr_csr_sans(cr, csr) == -1)
			goto fail;
		if (pubkey == NULL)
			pubkey = X509_REQ_get0_pubkey(csr);
	} else {
		if (put(insecure, "CR", cr = json_object()) == -1 ||
		    put(cr, "subject", json_deep_copy(subject)) == -1)
			goto fail;
		json_array_foreach(list, i, e)
			if (put_list(cr, cr_list_key(json_string_value(
			    json_object_get(e, "type"))), json_string_value(
			    json_object_get(e, "value"))) == -1)
				goto fail;
	}
	if (pubkey != NULL) {
		key_types(pubkey, &gotype, &alg);
		if (put(cr, "publicKey", json_pack("{s:s}", "goType",
		    gotype)) == -1 ||
		    put(cr, "publicKeyAlgorithm", json_string(alg)) == -1)
			goto fail;
	}
	return data;
fail:
	json_decref(data);
	return NULL;
}

/* ---- applying a profile -------------------------------------------- */

static int
bad(struct pica_err *err, const char *field, const char *what)
{
	return pica_err_set(err, PICA_E_CONFIG, "profile: %s: %s", field,
	    what);
}

/* A usable string: no NUL inside, at most PROFILE_MAX_STR bytes. */
static int
check_str(json_t *v, const char *field, struct pica_err *err)
{
	if (!json_is_string(v))
		return bad(err, field, "must be a string");
	if (json_string_length(v) > PROFILE_MAX_STR)
		return bad(err, field, "string longer than 1024 bytes");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, field, "string contains NUL");
	return 0;
}

/*
 * step-ca's MultiString: a string or an array of strings.  Returns the
 * count (0 for null), or -1.
 */
static int
multi_count(json_t *v, const char *field, size_t max, struct pica_err *err)
{
	json_t	*e;
	size_t	 i;
	char	 what[64];

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return check_str(v, field, err) == -1 ? -1 : 1;
	if (!json_is_array(v))
		return bad(err, field, "must be a string or an array of "
		    "strings");
	if (json_array_size(v) > max) {
		snprintf(what, sizeof(what), "more than %zu entries", max);
		return bad(err, field, what);
	}
	json_array_foreach(v, i, e)
		if (check_str(e, field, err) == -1)
			return -1;
	return (int)json_array_size(v);
}

static const char *
multi_get(json_t *v, size_t i)
{
	return json_string_value(json_is_string(v) ? v : json_array_get(v, i));
}

/* Dotted OID text to an object; NULL unless it is well formed. */
static ASN1_OBJECT *
oid_obj(const char *s)
{
	size_t	 i;
	int	 dots = 0;

	if (s[0] < '0' || s[0] > '2' || s[1] != '.')
		return NULL;
	for (i = 1; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (!isdigit((unsigned char)s[i + 1]))
				return NULL;
			dots++;
		} else if (!isdigit((unsigned char)s[i]))
			return NULL;
	}
	return dots > 0 ? OBJ_txt2obj(s, 1) : NULL;
}

/* Replace (or, with val NULL, remove) the extension nid. */
static int
set_ext(X509 *cert, int nid, void *val, int crit, struct pica_err *err)
{
	int	 i;

	while ((i = X509_get_ext_by_NID(cert, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(cert, i));
	if (val == NULL)
		return 0;
	if (X509_add1_ext_i2d(cert, nid, val, crit, X509V3_ADD_APPEND) != 1)
		return pica_err_ssl(err, PICA_E_INTERNAL, "profile: adding %s",
		    OBJ_nid2ln(nid));
	return 0;
}

/* Printable characters of X.680's PrintableString. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(" '()+,-./:=?",
		    *s) == NULL)
			return 0;
	return 1;
}

static int
name_add(X509_NAME *name, ASN1_OBJECT *obj, int nid, const char *value,
    const char *field, struct pica_err *err)
{
	int	 type = V_ASN1_UTF8STRING, ok;

	if (value[0] == '\0')
		return 0;
	/* RFC 5280 wants these two as PrintableString. */
	if ((nid == NID_countryName || nid == NID_serialNumber) &&
	    printable(value))
		type = V_ASN1_PRINTABLESTRING;
	if (nid == NID_pkcs9_emailAddress)
		type = V_ASN1_IA5STRING;
	/* A plain type (no MBSTRING flag) skips OpenSSL's length table. */
	if (obj != NULL)
		ok = X509_NAME_add_entry_by_OBJ(name, obj, type,
		    (const unsigned char *)value, -1, -1, 0);
	else
		ok = X509_NAME_add_entry_by_NID(name, nid, type,
		    (const unsigned char *)value, -1, -1, 0);
	if (!ok)
		return pica_err_ssl(err, PICA_E_CONFIG, "profile: %s: bad "
		    "value", field);
	return 0;
}

/* Go's pkix.Name.ToRDNSequence order. */
static const struct {
	const char	*key;
	int		 nid;
	int		 multi;
} subject_fields[] = {
	{ "country",		NID_countryName,		1 },
	{ "province",		NID_stateOrProvinceName,	1 },
	{ "locality",		NID_localityName,		1 },
	{ "streetAddress",	NID_streetAddress,		1 },
	{ "postalCode",		NID_postalCode,			1 },
	{ "organization",	NID_organizationName,		1 },
	{ "organizationalUnit",	NID_organizationalUnitName,	1 },
	{ "commonName",		NID_commonName,			0 },
	{ "serialNumber",	NID_serialNumber,		0 },
};

static int
apply_extra_names(X509_NAME *name, json_t *v, struct pica_err *err)
{
	json_t		*e, *t, *val;
	const char	*k;
	json_t		*x;
	ASN1_OBJECT	*obj = NULL;
	size_t		 i;
	char		 field[64];
	int		 rc = -1;

	if (!json_is_array(v))
		return bad(err, "subject.extraNames", "must be an array");
	if (json_array_size(v) > PROFILE_MAX_LIST)
		return bad(err, "subject.extraNames", "more than 32 entries");
	json_array_foreach(v, i, e) {
		snprintf(field, sizeof(field), "subject.extraNames[%zu]", i);
		if (!json_is_object(e))
			return bad(err, field, "must be an object");
		json_object_foreach(e, k, x)
			if (strcmp(k, "type") != 0 && strcmp(k, "value") != 0)
				return bad(err, field, "unknown field");
		t = json_object_get(e, "type");
		val = json_object_get(e, "value");
		if (!json_is_string(t) ||
		    (obj = oid_obj(json_string_value(t))) == NULL)
			return bad(err, field, "type must be an OID");
		if (check_str(val, field, err) == -1 ||
		    name_add(name, obj, OBJ_obj2nid(obj),
		    json_string_value(val), field, err) == -1)
			goto out;
		ASN1_OBJECT_free(obj);
		obj = NULL;
	}
	rc = 0;
out:
	ASN1_OBJECT_free(obj);
	return rc;
}

static int
apply_subject(X509 *cert, json_t *v, struct pica_err *err)
{
	X509_NAME	*name;
	json_t		*f;
	const char	*k;
	size_t		 i, j;
	int		 n, rc = -1, known;
	char		 field[64];

	if ((name = X509_NAME_new()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: subject");
		goto out;
	}
	if (json_is_string(v)) {
		/* step-ca takes a bare string as the common name. */
		if (check_str(v, "subject", err) == -1 ||
		    name_add(name, NULL, NID_commonName, json_string_value(v),
		    "subject", err) == -1)
			goto out;
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, f) {
			known = strcmp(k, "extraNames") == 0;
			for (i = 0; i < sizeof(subject_fields) /
			    sizeof(subject_fields[0]); i++)
				known |= strcmp(k, subject_fields[i].key) == 0;
			if (!known) {
				snprintf(field, sizeof(field), "subject.%.40s",
				    k);
				bad(err, field, "unknown field");
				goto out;
			}
		}
		for (i = 0; i < sizeof(subject_fields) /
		    sizeof(subject_fields[0]); i++) {
			f = json_object_get(v, subject_fields[i].key);
			snprintf(field, sizeof(field), "subject.%s",
			    subject_fields[i].key);
			if (f == NULL || json_is_null(f))
				continue;
			if (!subject_fields[i].multi) {
				if (check_str(f, field, err) == -1 ||
				    name_add(name, NULL, subject_fields[i].nid,
				    json_string_value(f), field, err) == -1)
					goto out;
				continue;
			}
			if ((n = multi_count(f, field, PROFILE_MAX_LIST,
			    err)) == -1)
				goto out;
			for (j = 0; j < (size_t)n; j++)
				if (name_add(name, NULL, subject_fields[i].nid,
				    multi_get(f, j), field, err) == -1)
					goto out;
		}
		if ((f = json_object_get(v, "extraNames")) != NULL &&
		    !json_is_null(f) && apply_extra_names(name, f, err) == -1)
			goto out;
	} else {
		bad(err, "subject", "must be an object or a string");
		goto out;
	}
	if (!X509_set_subject_name(cert, name)) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: subject");
		goto out;
	}
	rc = 0;
out:
	X509_NAME_free(name);
	return rc;
}

/* Printable ASCII with no space: what an IA5 name in a SAN may hold. */
static int
ia5_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static int
gn_push(GENERAL_NAMES *gns, int type, const char *value, const char *field,
    struct pica_err *err)
{
	GENERAL_NAME	*gn = NULL;
	ASN1_STRING	*s = NULL;
	unsigned char	 ip[16];
	size_t		 len;
	char		 what[PROFILE_MAX_STR + 64];

	if (type == GEN_IPADD) {
		if (parse_ip(value, ip, &len) == -1) {
			snprintf(what, sizeof(what), "bad IP address \"%s\"",
			    value);
			return bad(err, field, what);
		}
		s = ASN1_OCTET_STRING_new();
	} else {
		if (!ia5_name(value) || (type == GEN_URI &&
		    !has_scheme(value))) {
			snprintf(what, sizeof(what), "bad %s \"%s\"",
			    type == GEN_DNS ? "DNS name" : type == GEN_EMAIL ?
			    "email address" : "URI", value);
			return bad(err, field, what);
		}
		s = ASN1_IA5STRING_new();
	}
	if (s == NULL || (gn = GENERAL_NAME_new()) == NULL ||
	    !ASN1_STRING_set(s, type == GEN_IPADD ? (const void *)ip :
	    (const void *)value, type == GEN_IPADD ? (int)len : -1))
		goto fail;
	GENERAL_NAME_set0_value(gn, type, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(gns, gn))
		goto fail;
	return 0;
fail:
	ASN1_STRING_free(s);
	GENERAL_NAME_free(gn);
	return pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s", field);
}

static const struct {
	const char	*field;
	const char	*type;
	int		 gen;
} san_fields[] = {
	{ "dnsNames",		"dns",		GEN_DNS },
	{ "emailAddresses",	"email",	GEN_EMAIL },
	{ "ipAddresses",	"ip",		GEN_IPADD },
	{ "uris",		"uri",		GEN_URI },
};

/* The type a "sans" entry stands for ("auto" decided by its shape). */
static int
san_entry(json_t *e, size_t idx, const char **type, const char **value,
    struct pica_err *err)
{
	json_t		*t, *v, *x;
	const char	*k;
	char		 field[32], what[80];

	snprintf(field, sizeof(field), "sans[%zu]", idx);
	if (!json_is_object(e))
		return bad(err, field, "must be an object");
	json_object_foreach(e, k, x)
		if (strcmp(k, "type") != 0 && strcmp(k, "value") != 0) {
			snprintf(what, sizeof(what), "unknown field \"%.40s\"",
			    k);
			return bad(err, field, what);
		}
	t = json_object_get(e, "type");
	v = json_object_get(e, "value");
	if (t != NULL && !json_is_null(t) && !json_is_string(t))
		return bad(err, field, "type must be a string");
	if (check_str(v, field, err) == -1)
		return -1;
	*value = json_string_value(v);
	*type = json_is_string(t) ? json_string_value(t) : "";
	if (strcasecmp(*type, "dns") == 0)
		*type = "dns";
	else if (strcasecmp(*type, "ip") == 0)
		*type = "ip";
	else if (strcasecmp(*type, "email") == 0)
		*type = "email";
	else if (strcasecmp(*type, "uri") == 0)
		*type = "uri";
	else if (**type == '\0' || strcasecmp(*type, "auto") == 0)
		*type = san_guess(*value);
	else {
		snprintf(what, sizeof(what), "unsupported type \"%.40s\"",
		    *type);
		return bad(err, field, what);
	}
	return 0;
}

/*
 * All of sans, dnsNames, emailAddresses, ipAddresses and uris make one
 * subjectAltName, grouped by type as Go's x509 writes it.
 */
static int
apply_sans(X509 *cert, json_t *doc, struct pica_err *err)
{
	GENERAL_NAMES	*gns = NULL;
	json_t		*sans, *v, *e;
	const char	*type = NULL, *value = NULL;
	size_t		 f, i, total = 0;
	int		 n, rc = -1;
	char		 field[48];

	sans = json_object_get(doc, "sans");
	if (sans != NULL && json_is_null(sans))
		sans = NULL;
	if (sans != NULL && !json_is_array(sans)) {
		bad(err, "sans", "must be an array");
		goto out;
	}
	if ((gns = GENERAL_NAMES_new()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: sans");
		goto out;
	}
	for (f = 0; f < sizeof(san_fields) / sizeof(san_fields[0]); f++) {
		v = json_object_get(doc, san_fields[f].field);
		if ((n = multi_count(v, san_fields[f].field, PROFILE_MAX_SANS,
		    err)) == -1)
			goto out;
		for (i = 0; i < (size_t)n; i++) {
			snprintf(field, sizeof(field), "%s[%zu]",
			    san_fields[f].field, i);
			if (++total > PROFILE_MAX_SANS) {
				bad(err, san_fields[f].field, "more than 100 "
				    "names");
				goto out;
			}
			if (gn_push(gns, san_fields[f].gen, multi_get(v, i),
			    field, err) == -1)
				goto out;
		}
		if (sans == NULL)
			continue;
		json_array_foreach(sans, i, e) {
			if (san_entry(e, i, &type, &value, err) == -1)
				goto out;
			if (strcmp(type, san_fields[f].type) != 0)
				continue;
			snprintf(field, sizeof(field), "sans[%zu]", i);
			if (++total > PROFILE_MAX_SANS) {
				bad(err, "sans", "more than 100 names");
				goto out;
			}
			if (gn_push(gns, san_fields[f].gen, value, field,
			    err) == -1)
				goto out;
		}
	}
	/* Critical or not is decided once the subject is known. */
	if (set_ext(cert, NID_subject_alt_name,
	    sk_GENERAL_NAME_num(gns) > 0 ? gns : NULL, 0, err) == -1)
		goto out;
	rc = 0;
out:
	GENERAL_NAMES_free(gns);
	return rc;
}

/* Lower case, '-' and '_' dropped: step-ca's name matching, widened. */
static void
norm_name(const char *s, char *out, size_t len)
{
	size_t	 i = 0;

	for (; *s != '\0' && i + 1 < len; s++)
		if (*s != '-' && *s != '_' && *s != ' ')
			out[i++] = (char)tolower((unsigned char)*s);
	out[i] = '\0';
}

static const struct {
	const char	*name;
	int		 bit;
} key_usages[] = {
	{ "digitalsignature",	0 },
	{ "contentcommitment",	1 },
	{ "nonrepudiation",	1 },
	{ "keyencipherment",	2 },
	{ "dataencipherment",	3 },
	{ "keyagreement",	4 },
	{ "certsign",		5 },
	{ "keycertsign",	5 },
	{ "crlsign",		6 },
	{ "encipheronly",	7 },
	{ "decipheronly",	8 },
};

static int
apply_key_usage(X509 *cert, json_t *v, struct pica_err *err)
{
	ASN1_BIT_STRING	*bs;
	size_t		 i, k;
	int		 n, rc = -1, set = 0;
	char		 name[64], what[PROFILE_MAX_STR + 32];

	if ((bs = ASN1_BIT_STRING_new()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: keyUsage");
		goto out;
	}
	if ((n = multi_count(v, "keyUsage", PROFILE_MAX_LIST, err)) == -1)
		goto out;
	for (i = 0; i < (size_t)n; i++) {
		norm_name(multi_get(v, i), name, sizeof(name));
		for (k = 0; k < sizeof(key_usages) / sizeof(key_usages[0]); k++)
			if (strcmp(name, key_usages[k].name) == 0)
				break;
		if (k == sizeof(key_usages) / sizeof(key_usages[0])) {
			snprintf(what, sizeof(what), "unknown key usage "
			    "\"%s\"", multi_get(v, i));
			bad(err, "keyUsage", what);
			goto out;
		}
		if (!ASN1_BIT_STRING_set_bit(bs, key_usages[k].bit, 1)) {
			pica_err_ssl(err, PICA_E_INTERNAL, "profile: keyUsage");
			goto out;
		}
		set = 1;
	}
	if (set_ext(cert, NID_key_usage, set ? bs : NULL, 1, err) == -1)
		goto out;
	rc = 0;
out:
	ASN1_BIT_STRING_free(bs);
	return rc;
}

static const struct {
	const char	*name;
	const char	*oid;
} ext_key_usages[] = {
	{ "any",				"2.5.29.37.0" },
	{ "serverauth",				"1.3.6.1.5.5.7.3.1" },
	{ "clientauth",				"1.3.6.1.5.5.7.3.2" },
	{ "codesigning",			"1.3.6.1.5.5.7.3.3" },
	{ "emailprotection",			"1.3.6.1.5.5.7.3.4" },
	{ "ipsecendsystem",			"1.3.6.1.5.5.7.3.5" },
	{ "ipsectunnel",			"1.3.6.1.5.5.7.3.6" },
	{ "ipsecuser",				"1.3.6.1.5.5.7.3.7" },
	{ "timestamping",			"1.3.6.1.5.5.7.3.8" },
	{ "ocspsigning",			"1.3.6.1.5.5.7.3.9" },
	{ "microsoftservergatedcrypto",		"1.3.6.1.4.1.311.10.3.3" },
	{ "netscapeservergatedcrypto",		"2.16.840.1.113730.4.1" },
	{ "microsoftcommercialcodesigning",	"1.3.6.1.4.1.311.2.1.22" },
	{ "microsoftkernelcodesigning",		"1.3.6.1.4.1.311.61.1.1" },
};

static int
eku_push(EXTENDED_KEY_USAGE *eku, const char *oid, const char *field,
    struct pica_err *err)
{
	ASN1_OBJECT	*obj;
	char		 what[PROFILE_MAX_STR + 32];

	if ((obj = oid_obj(oid)) == NULL) {
		snprintf(what, sizeof(what), "bad OID \"%s\"", oid);
		return bad(err, field, what);
	}
	if (!sk_ASN1_OBJECT_push(eku, obj)) {
		ASN1_OBJECT_free(obj);
		return pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s", field);
	}
	return 0;
}

/* extKeyUsage and unknownExtKeyUsage make one extension. */
static int
apply_ext_key_usage(X509 *cert, json_t *doc, struct pica_err *err)
{
	EXTENDED_KEY_USAGE	*eku;
	json_t			*v;
	size_t			 i, k;
	int			 n, rc = -1;
	char			 name[64], what[PROFILE_MAX_STR + 32];

	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: extKeyUsage");
		goto out;
	}
	v = json_object_get(doc, "extKeyUsage");
	if ((n = multi_count(v, "extKeyUsage", PROFILE_MAX_LIST, err)) == -1)
		goto out;
	for (i = 0; i < (size_t)n; i++) {
		norm_name(multi_get(v, i), name, sizeof(name));
		for (k = 0; k < sizeof(ext_key_usages) /
		    sizeof(ext_key_usages[0]); k++)
			if (strcmp(name, ext_key_usages[k].name) == 0)
				break;
		if (k == sizeof(ext_key_usages) / sizeof(ext_key_usages[0])) {
			snprintf(what, sizeof(what), "unknown extended key "
			    "usage \"%s\"", multi_get(v, i));
			bad(err, "extKeyUsage", what);
			goto out;
		}
		if (eku_push(eku, ext_key_usages[k].oid, "extKeyUsage",
		    err) == -1)
			goto out;
	}
	v = json_object_get(doc, "unknownExtKeyUsage");
	if ((n = multi_count(v, "unknownExtKeyUsage", PROFILE_MAX_LIST,
	    err)) == -1)
		goto out;
	for (i = 0; i < (size_t)n; i++)
		if (eku_push(eku, multi_get(v, i), "unknownExtKeyUsage",
		    err) == -1)
			goto out;
	if (set_ext(cert, NID_ext_key_usage, sk_ASN1_OBJECT_num(eku) > 0 ?
	    eku : NULL, 0, err) == -1)
		goto out;
	rc = 0;
out:
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

/* {"isCA": bool, "maxPathLen": int}; Go's defaults when left out. */
static int
apply_basic_constraints(X509 *cert, json_t *v, struct pica_err *err)
{
	BASIC_CONSTRAINTS	*bc = NULL;
	json_t			*ca, *len, *x;
	const char		*k;
	json_int_t		 plen = 0;
	int			 rc = -1;

	if (!json_is_object(v)) {
		bad(err, "basicConstraints", "must be an object");
		goto out;
	}
	json_object_foreach(v, k, x)
		if (strcmp(k, "isCA") != 0 && strcmp(k, "maxPathLen") != 0) {
			bad(err, "basicConstraints", "unknown field (want "
			    "isCA, maxPathLen)");
			goto out;
		}
	ca = json_object_get(v, "isCA");
	len = json_object_get(v, "maxPathLen");
	if (ca != NULL && !json_is_boolean(ca) && !json_is_null(ca)) {
		bad(err, "basicConstraints.isCA", "must be true or false");
		goto out;
	}
	if (len != NULL && !json_is_null(len)) {
		if (!json_is_integer(len)) {
			bad(err, "basicConstraints.maxPathLen", "must be an "
			    "integer");
			goto out;
		}
		plen = json_integer_value(len);
	}
	if ((bc = BASIC_CONSTRAINTS_new()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: "
		    "basicConstraints");
		goto out;
	}
	/* A negative maxPathLen means no limit; a leaf never has one. */
	if (json_is_true(ca)) {
		bc->ca = 0xff;
		if (plen >= 0 && ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    !ASN1_INTEGER_set_int64(bc->pathlen, plen))) {
			pica_err_ssl(err, PICA_E_INTERNAL, "profile: "
			    "basicConstraints");
			goto out;
		}
	}
	if (set_ext(cert, NID_basic_constraints, bc, 1, err) == -1)
		goto out;
	rc = 0;
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

static GENERAL_NAME *
uri_name(const char *uri, const char *field, struct pica_err *err)
{
	GENERAL_NAMES	*tmp;
	GENERAL_NAME	*gn = NULL;

	if ((tmp = GENERAL_NAMES_new()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s", field);
		return NULL;
	}
	if (gn_push(tmp, GEN_URI, uri, field, err) == 0)
		gn = sk_GENERAL_NAME_pop(tmp);
	GENERAL_NAMES_free(tmp);
	return gn;
}

/* One distribution point per URL, as Go writes them. */
static int
apply_crl_dp(X509 *cert, json_t *v, struct pica_err *err)
{
	CRL_DIST_POINTS	*cdp;
	DIST_POINT	*dp;
	GENERAL_NAME	*gn;
	size_t		 i;
	int		 n, rc = -1;

	if ((cdp = sk_DIST_POINT_new_null()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: "
		    "crlDistributionPoints");
		goto out;
	}
	if ((n = multi_count(v, "crlDistributionPoints", PROFILE_MAX_LIST,
	    err)) == -1)
		goto out;
	for (i = 0; i < (size_t)n; i++) {
		if ((gn = uri_name(multi_get(v, i), "crlDistributionPoints",
		    err)) == NULL)
			goto out;
		if ((dp = DIST_POINT_new()) == NULL ||
		    !sk_DIST_POINT_push(cdp, dp)) {
			DIST_POINT_free(dp);
			GENERAL_NAME_free(gn);
			pica_err_ssl(err, PICA_E_INTERNAL, "profile: "
			    "crlDistributionPoints");
			goto out;
		}
		if ((dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
		    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) ==
		    NULL || !sk_GENERAL_NAME_push(dp->distpoint->name.fullname,
		    gn)) {
			GENERAL_NAME_free(gn);
			pica_err_ssl(err, PICA_E_INTERNAL, "profile: "
			    "crlDistributionPoints");
			goto out;
		}
		dp->distpoint->type = 0;
	}
	if (set_ext(cert, NID_crl_distribution_points, n > 0 ? cdp : NULL, 0,
	    err) == -1)
		goto out;
	rc = 0;
out:
	sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
	return rc;
}

static int
aia_push(AUTHORITY_INFO_ACCESS *aia, int method, const char *uri,
    const char *field, struct pica_err *err)
{
	ACCESS_DESCRIPTION	*ad;
	GENERAL_NAME		*gn;

	if ((gn = uri_name(uri, field, err)) == NULL)
		return -1;
	if ((ad = ACCESS_DESCRIPTION_new()) == NULL ||
	    !sk_ACCESS_DESCRIPTION_push(aia, ad)) {
		ACCESS_DESCRIPTION_free(ad);
		GENERAL_NAME_free(gn);
		return pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s", field);
	}
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(method);
	GENERAL_NAME_free(ad->location);
	ad->location = gn;
	return 0;
}

/* Move old's entries of one method (old is our decoded copy) to aia. */
static int
aia_keep(AUTHORITY_INFO_ACCESS *aia, AUTHORITY_INFO_ACCESS *old, int method,
    struct pica_err *err)
{
	ACCESS_DESCRIPTION	*ad;
	int			 i;

	for (i = 0; old != NULL && i < sk_ACCESS_DESCRIPTION_num(old); ) {
		ad = sk_ACCESS_DESCRIPTION_value(old, i);
		if (OBJ_obj2nid(ad->method) != method) {
			i++;
			continue;
		}
		if (!sk_ACCESS_DESCRIPTION_push(aia, ad))
			return pica_err_ssl(err, PICA_E_INTERNAL, "profile: "
			    "authorityInfoAccess");
		(void)sk_ACCESS_DESCRIPTION_delete(old, i);
	}
	return 0;
}

/*
 * ocspServer and issuingCertificateURL share the AIA extension; the one
 * the document leaves out keeps what the certificate had.
 */
static int
apply_aia(X509 *cert, json_t *doc, struct pica_err *err)
{
	AUTHORITY_INFO_ACCESS	*aia = NULL, *old = NULL;
	json_t			*ocsp, *issuer;
	size_t			 i;
	int			 n, rc = -1;

	ocsp = json_object_get(doc, "ocspServer");
	issuer = json_object_get(doc, "issuingCertificateURL");
	if ((n = multi_count(ocsp, "ocspServer", PROFILE_MAX_LIST,
	    err)) == -1 || multi_count(issuer, "issuingCertificateURL",
	    PROFILE_MAX_LIST, err) == -1)
		goto out;
	if ((aia = sk_ACCESS_DESCRIPTION_new_null()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: ocspServer");
		goto out;
	}
	old = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
	for (i = 0; i < (size_t)n; i++)
		if (aia_push(aia, NID_ad_OCSP, multi_get(ocsp, i), "ocspServer",
		    err) == -1)
			goto out;
	if ((ocsp == NULL || json_is_null(ocsp)) &&
	    aia_keep(aia, old, NID_ad_OCSP, err) == -1)
		goto out;
	n = multi_count(issuer, "issuingCertificateURL", PROFILE_MAX_LIST,
	    err);
	for (i = 0; i < (size_t)n; i++)
		if (aia_push(aia, NID_ad_ca_issuers, multi_get(issuer, i),
		    "issuingCertificateURL", err) == -1)
			goto out;
	if ((issuer == NULL || json_is_null(issuer)) &&
	    aia_keep(aia, old, NID_ad_ca_issuers, err) == -1)
		goto out;
	if (set_ext(cert, NID_info_access, sk_ACCESS_DESCRIPTION_num(aia) > 0 ?
	    aia : NULL, 0, err) == -1)
		goto out;
	rc = 0;
out:
	AUTHORITY_INFO_ACCESS_free(aia);
	AUTHORITY_INFO_ACCESS_free(old);
	return rc;
}

/* policyIdentifiers and policies: OID strings or {"id": OID}. */
static int
policies_add(CERTIFICATEPOLICIES *cp, json_t *v, const char *name,
    struct pica_err *err)
{
	POLICYINFO	*pi;
	ASN1_OBJECT	*obj;
	json_t		*e, *id, *x;
	const char	*k;
	size_t		 i;
	char		 field[48];

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v) && !json_is_string(v))
		return bad(err, name, "must be an array of OIDs");
	if (json_is_array(v) && json_array_size(v) > PROFILE_MAX_LIST)
		return bad(err, name, "more than 32 entries");
	for (i = 0; i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
		e = json_is_array(v) ? json_array_get(v, i) : v;
		snprintf(field, sizeof(field), "%s[%zu]", name, i);
		id = e;
		if (json_is_object(e)) {
			json_object_foreach(e, k, x)
				if (strcmp(k, "id") != 0)
					return bad(err, field, "unknown field "
					    "(only \"id\" is supported)");
			id = json_object_get(e, "id");
		}
		if (!json_is_string(id) ||
		    (obj = oid_obj(json_string_value(id))) == NULL)
			return bad(err, field, "must be an OID");
		if ((pi = POLICYINFO_new()) == NULL) {
			ASN1_OBJECT_free(obj);
			return pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s",
			    field);
		}
		ASN1_OBJECT_free(pi->policyid);
		pi->policyid = obj;
		if (!sk_POLICYINFO_push(cp, pi)) {
			POLICYINFO_free(pi);
			return pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s",
			    field);
		}
	}
	return 0;
}

static int
apply_policies(X509 *cert, json_t *doc, struct pica_err *err)
{
	CERTIFICATEPOLICIES	*cp;
	int			 rc = -1;

	if ((cp = sk_POLICYINFO_new_null()) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "profile: policies");
		goto out;
	}
	if (policies_add(cp, json_object_get(doc, "policyIdentifiers"),
	    "policyIdentifiers", err) == -1 ||
	    policies_add(cp, json_object_get(doc, "policies"), "policies",
	    err) == -1)
		goto out;
	if (set_ext(cert, NID_certificate_policies, sk_POLICYINFO_num(cp) > 0 ?
	    cp : NULL, 0, err) == -1)
		goto out;
	rc = 0;
out:
	sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
	return rc;
}

/* Strict standard base64 with padding, as Go's []byte in JSON. */
static int
b64_decode(const char *s, unsigned char **out, int *outlen)
{
	size_t	 len = strlen(s), pad = 0;
	int	 n;

	*out = NULL;
	if (len % 4 != 0 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789+/") + (len > 0 && s[len - 1] == '=') +
	    (len > 1 && s[len - 2] == '=') != len)
		return -1;
	pad = (len > 0 && s[len - 1] == '=') + (len > 1 && s[len - 2] == '=');
	*out = xcalloc(1, len / 4 * 3 + 1);
	if ((n = EVP_DecodeBlock(*out, (const unsigned char *)s,
	    (int)len)) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*outlen = n - (int)pad;
	return 0;
}

/* Well-formed DER: one complete TLV and nothing after it. */
static int
der_ok(const unsigned char *p, int len)
{
	const unsigned char	*q = p;
	long			 l;
	int			 tag, class, r;

	if (len == 0)
		return 0;
	r = ASN1_get_object(&q, &l, &tag, &class, len);
	if (r & 0x80)
		return 0;
	/* Indefinite length is BER, not DER. */
	if (r & 0x01)
		return 0;
	return q + l == p + len;
}

static int
apply_extensions(X509 *cert, json_t *v, struct pica_err *err)
{
	X509_EXTENSION		*ext = NULL;
	ASN1_OBJECT		*obj = NULL, *prev;
	ASN1_OCTET_STRING	*os = NULL;
	json_t			*e, *id, *crit, *val, *x;
	const char		*k;
	unsigned char		*der = NULL;
	size_t			 i, j;
	int			 len = 0, rc = -1, at;
	char			 field[48];

	if (!json_is_array(v)) {
		bad(err, "extensions", "must be an array");
		goto out;
	}
	if (json_array_size(v) > PROFILE_MAX_LIST) {
		bad(err, "extensions", "more than 32 entries");
		goto out;
	}
	json_array_foreach(v, i, e) {
		snprintf(field, sizeof(field), "extensions[%zu]", i);
		if (!json_is_object(e)) {
			bad(err, field, "must be an object");
			goto out;
		}
		json_object_foreach(e, k, x)
			if (strcmp(k, "id") != 0 &&
			    strcmp(k, "critical") != 0 &&
			    strcmp(k, "value") != 0) {
				bad(err, field, "unknown field (want id, "
				    "critical, value)");
				goto out;
			}
		id = json_object_get(e, "id");
		crit = json_object_get(e, "critical");
		val = json_object_get(e, "value");
		if (!json_is_string(id) ||
		    (obj = oid_obj(json_string_value(id))) == NULL) {
			bad(err, field, "id must be an OID");
			goto out;
		}
		for (j = 0; j < i; j++) {
			/* Earlier entries are well formed by now. */
			prev = oid_obj(json_string_value(json_object_get(
			    json_array_get(v, j), "id")));
			at = prev != NULL && OBJ_cmp(prev, obj) == 0;
			ASN1_OBJECT_free(prev);
			if (at) {
				bad(err, field, "extension given twice");
				goto out;
			}
		}
		if (crit != NULL && !json_is_boolean(crit) &&
		    !json_is_null(crit)) {
			bad(err, field, "critical must be true or false");
			goto out;
		}
		if (check_str(val, field, err) == -1)
			goto out;
		if (b64_decode(json_string_value(val), &der, &len) == -1 ||
		    !der_ok(der, len)) {
			bad(err, field, "value must be base64 of DER");
			goto out;
		}
		if ((os = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(os, der, len) ||
		    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj,
		    json_is_true(crit), os)) == NULL) {
			pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s",
			    field);
			goto out;
		}
		/* Like Go's ExtraExtensions: it wins over the fields. */
		while ((at = X509_get_ext_by_OBJ(cert, obj, -1)) >= 0)
			X509_EXTENSION_free(X509_delete_ext(cert, at));
		if (!X509_add_ext(cert, ext, -1)) {
			pica_err_ssl(err, PICA_E_INTERNAL, "profile: %s",
			    field);
			goto out;
		}
		X509_EXTENSION_free(ext);
		ext = NULL;
		ASN1_OCTET_STRING_free(os);
		os = NULL;
		ASN1_OBJECT_free(obj);
		obj = NULL;
		free(der);
		der = NULL;
	}
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	free(der);
	return rc;
}

static const char *const doc_fields[] = {
	"subject", "sans", "dnsNames", "ipAddresses", "emailAddresses",
	"uris", "keyUsage", "extKeyUsage", "unknownExtKeyUsage",
	"basicConstraints", "crlDistributionPoints", "ocspServer",
	"issuingCertificateURL", "policyIdentifiers", "policies",
	"extensions",
	/* Accepted and ignored: the CA decides these. */
	"issuer", "serialNumber", "notBefore", "notAfter",
	"signatureAlgorithm",
};

static json_t *
field_set(json_t *doc, const char *field)
{
	json_t	*v;

	if (!json_is_object(doc) || (v = json_object_get(doc, field)) ==
	    NULL || json_is_null(v))
		return NULL;
	return v;
}

int
profile_sets(json_t *doc, const char *field)
{
	/* Both names fill the one certificatePolicies extension. */
	if (strcmp(field, "policies") == 0 ||
	    strcmp(field, "policyIdentifiers") == 0)
		return field_set(doc, "policies") != NULL ||
		    field_set(doc, "policyIdentifiers") != NULL;
	return field_set(doc, field) != NULL;
}

int
profile_apply(X509 *cert, json_t *doc, struct pica_err *err)
{
	const char	*k;
	json_t		*v;
	size_t		 i;
	int		 at;
	X509_EXTENSION	*ext;
	char		 what[80];

	if (!json_is_object(doc))
		return bad(err, "document", "must be a JSON object");
	json_object_foreach(doc, k, v) {
		for (i = 0; i < sizeof(doc_fields) / sizeof(doc_fields[0]); i++)
			if (strcmp(k, doc_fields[i]) == 0)
				break;
		if (i == sizeof(doc_fields) / sizeof(doc_fields[0])) {
			snprintf(what, sizeof(what), "unknown field \"%.40s\"",
			    k);
			return pica_err_set(err, PICA_E_CONFIG, "profile: %s",
			    what);
		}
	}
	if ((v = field_set(doc, "subject")) != NULL &&
	    apply_subject(cert, v, err) == -1)
		return -1;
	if ((field_set(doc, "sans") != NULL ||
	    field_set(doc, "dnsNames") != NULL ||
	    field_set(doc, "ipAddresses") != NULL ||
	    field_set(doc, "emailAddresses") != NULL ||
	    field_set(doc, "uris") != NULL) && apply_sans(cert, doc, err) == -1)
		return -1;
	if ((v = field_set(doc, "keyUsage")) != NULL &&
	    apply_key_usage(cert, v, err) == -1)
		return -1;
	if ((field_set(doc, "extKeyUsage") != NULL ||
	    field_set(doc, "unknownExtKeyUsage") != NULL) &&
	    apply_ext_key_usage(cert, doc, err) == -1)
		return -1;
	if ((v = field_set(doc, "basicConstraints")) != NULL &&
	    apply_basic_constraints(cert, v, err) == -1)
		return -1;
	if ((v = field_set(doc, "crlDistributionPoints")) != NULL &&
	    apply_crl_dp(cert, v, err) == -1)
		return -1;
	if ((field_set(doc, "ocspServer") != NULL ||
	    field_set(doc, "issuingCertificateURL") != NULL) &&
	    apply_aia(cert, doc, err) == -1)
		return -1;
	if (profile_sets(doc, "policies") && apply_policies(cert, doc,
	    err) == -1)
		return -1;
	if ((v = field_set(doc, "extensions")) != NULL &&
	    apply_extensions(cert, v, err) == -1)
		return -1;

	/* RFC 5280 4.2.1.6: critical exactly when the subject is empty. */
	if ((at = X509_get_ext_by_NID(cert, NID_subject_alt_name, -1)) >= 0) {
		ext = X509_get_ext(cert, at);
		X509_EXTENSION_set_critical(ext, X509_NAME_entry_count(
		    X509_get_subject_name(cert)) == 0);
	}
	return 0;
}
