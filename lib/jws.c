#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "jws.h"
#include "util.h"

/* RFC 8555 headers are small: alg, nonce, url and one JWK. */
#define JWS_MAX_HEADER		4096
/* Its base64url form, unpadded. */
#define JWS_MAX_HEADER_B64	((JWS_MAX_HEADER + 2) / 3 * 4)

#define RSA_MIN_BITS		2048
#define RSA_MAX_BITS		8192

/* The algorithms pica verifies, and the key each one needs. */
struct jws_alg {
	const char	*name;
	const char	*keytype;	/* EVP_PKEY_is_a name */
	int		 curve;		/* NID for EC, else NID_undef */
	const char	*md;		/* NULL for EdDSA and HS256 */
	size_t		 siglen;	/* fixed length, 0 when the key says */
};

static const struct jws_alg jws_algs[] = {
	{ "ES256", "EC", NID_X9_62_prime256v1, "SHA256", 64 },
	{ "ES384", "EC", NID_secp384r1, "SHA384", 96 },
	{ "RS256", "RSA", NID_undef, "SHA256", 0 },
	{ "EdDSA", "ED25519", NID_undef, NULL, 64 },
	{ NULL, NULL, NID_undef, NULL, 0 }
};

static const struct jws_alg jws_hs256 = {
	"HS256", NULL, NID_undef, "SHA256", 32
};

#define JWS_ALG_LIST	"ES256, ES384, RS256, EdDSA"

/* JWK curves: name, OpenSSL group, coordinate size. */
static const struct jwk_curve {
	const char	*crv;
	const char	*group;
	int		 nid;
	size_t		 size;
} jwk_curves[] = {
	{ "P-256", "prime256v1", NID_X9_62_prime256v1, 32 },
	{ "P-384", "secp384r1", NID_secp384r1, 48 },
	{ NULL, NULL, NID_undef, 0 }
};

/* Members that only a private JWK has (RFC 7518 section 6). */
static const char *const jwk_private[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k", NULL
};

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
b64url_encode(const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*s, *o;
	size_t			 i;
	uint32_t		 v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	if ((s = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	o = s;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64url_chars[v >> 18 & 63];
		*o++ = b64url_chars[v >> 12 & 63];
		*o++ = b64url_chars[v >> 6 & 63];
		*o++ = b64url_chars[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = b64url_chars[v >> 18 & 63];
		*o++ = b64url_chars[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64url_chars[v >> 18 & 63];
		*o++ = b64url_chars[v >> 12 & 63];
		*o++ = b64url_chars[v >> 6 & 63];
	}
	*o = '\0';
	return s;
}

static int
b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64url_decode(const char *s, unsigned char **out, size_t *len)
{
	unsigned char	*buf;
	size_t		 slen, n = 0, i;
	uint32_t	 acc = 0;
	int		 bits = 0, v;

	*out = NULL;
	*len = 0;
	slen = strlen(s);
	/* One leftover character carries 6 bits: not a whole byte. */
	if (slen % 4 == 1)
		return -1;
	if ((buf = malloc(slen / 4 * 3 + 3)) == NULL)
		return -1;
	for (i = 0; i < slen; i++) {
		if ((v = b64url_val((unsigned char)s[i])) < 0) {
			free(buf);
			return -1;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Callers parse text: keep it a C string. */
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* A client's string, cut short and made printable, for messages. */
static const char *
jws_safe(const char *s, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 4 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0' && len >= 4) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Whether v nests at most left levels of objects and arrays. */
static int
jws_depth_ok(json_t *v, int left)
{
	const char	*k;
	json_t		*e;
	size_t		 i;

	if (!json_is_object(v) && !json_is_array(v))
		return 1;
	if (left <= 0)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (!jws_depth_ok(e, left - 1))
				return 0;
	} else {
		json_array_foreach(v, i, e)
			if (!jws_depth_ok(e, left - 1))
				return 0;
	}
	return 1;
}

static const struct jws_alg *
jws_alg_find(const char *name)
{
	const struct jws_alg	*a;

	for (a = jws_algs; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* The NID of an EC key's curve, or NID_undef. */
static int
jws_key_curve(EVP_PKEY *key)
{
	char	 name[64];
	int	 nid;

	if (EVP_PKEY_get_group_name(key, name, sizeof(name), NULL) != 1) {
		ERR_clear_error();
		return NID_undef;
	}
	if ((nid = OBJ_sn2nid(name)) == NID_undef)
		nid = EC_curve_nist2nid(name);
	return nid;
}

/* The algorithm that fits key, or NULL when pica takes none. */
static const struct jws_alg *
jws_key_alg(EVP_PKEY *key)
{
	const struct jws_alg	*a;

	for (a = jws_algs; a->name != NULL; a++) {
		if (!EVP_PKEY_is_a(key, a->keytype))
			continue;
		if (a->curve == NID_undef || a->curve == jws_key_curve(key))
			return a;
	}
	return NULL;
}

/* "P-256 EC", "RSA", ... for messages. */
static const char *
jws_key_desc(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "EC")) {
		switch (jws_key_curve(key)) {
		case NID_X9_62_prime256v1:
			return "P-256 EC";
		case NID_secp384r1:
			return "P-384 EC";
		default:
			return "EC";
		}
	}
	if (EVP_PKEY_is_a(key, "RSA"))
		return "RSA";
	if (EVP_PKEY_is_a(key, "ED25519"))
		return "Ed25519";
	return "unsupported";
}

void
jws_free(struct jws *jws)
{
	if (jws == NULL)
		return;
	json_decref(jws->header);
	free(jws->payload);
	free(jws->signing_input);
	free(jws->sig);
	memset(jws, 0, sizeof(*jws));
}

/* Header member name as a string, when present. */
static int
jws_hdr_str(json_t *hdr, const char *name, const char *who, const char **out,
    struct pica_err *err)
{
	json_t	*v;

	*out = NULL;
	if ((v = json_object_get(hdr, name)) == NULL)
		return 0;
	if (!json_is_string(v))
		return pica_err_set(err, PICA_E_MALFORMED,
		    "%s: \"%s\" must be a string", who, name);
	*out = json_string_value(v);
	return 0;
}

/* Decode and check the protected header; out->header owns the result. */
static int
jws_parse_header(const char *prot, int allow_mac, struct jws *out,
    struct pica_err *err)
{
	int			 rc = -1;
	unsigned char		*raw = NULL;
	size_t			 rawlen;
	json_t			*hdr = NULL, *v;
	json_error_t		 jerr;
	const struct jws_alg	*a;
	const char		*who, *alg;
	char			 safe[128];

	who = allow_mac ? "External account binding JWS protected header" :
	    "JWS protected header";
	if (prot[0] == '\0') {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: \"protected\" is "
		    "empty");
		goto out;
	}
	if (strlen(prot) > JWS_MAX_HEADER_B64) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: larger than %d bytes",
		    who, JWS_MAX_HEADER);
		goto out;
	}
	if (b64url_decode(prot, &raw, &rawlen) == -1) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: \"protected\" is not "
		    "base64url (RFC 7515 section 2: '-' and '_', no padding, "
		    "no white space)");
		goto out;
	}
	if (rawlen > JWS_MAX_HEADER) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: larger than %d bytes",
		    who, JWS_MAX_HEADER);
		goto out;
	}
	if ((hdr = json_loadb((char *)raw, rawlen, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: not valid JSON: %s",
		    who, jws_safe(jerr.text, safe, sizeof(safe)));
		goto out;
	}
	if (!json_is_object(hdr)) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: not a JSON object",
		    who);
		goto out;
	}
	if (!jws_depth_ok(hdr, JWS_MAX_DEPTH)) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: nested deeper than "
		    "%d levels", who, JWS_MAX_DEPTH);
		goto out;
	}

	if (jws_hdr_str(hdr, "alg", who, &alg, err) == -1)
		goto out;
	if (alg == NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: \"alg\" is missing",
		    who);
		goto out;
	}
	/* RFC 8555 7.3.4: the EAB inner JWS is MACed, nothing else. */
	if (allow_mac) {
		if (strcmp(alg, jws_hs256.name) != 0) {
			pica_err_set(err, PICA_E_BADSIGALG, "%s: \"alg\" %s is "
			    "not supported (HS256)", who,
			    jws_safe(alg, safe, sizeof(safe)));
			goto out;
		}
		a = &jws_hs256;
	} else if ((a = jws_alg_find(alg)) == NULL) {
		pica_err_set(err, PICA_E_BADSIGALG, "%s: \"alg\" %s is not "
		    "supported (" JWS_ALG_LIST ")", who,
		    jws_safe(alg, safe, sizeof(safe)));
		goto out;
	}
	out->alg = a->name;

	/* ACME defines no extension, so any critical one is unknown. */
	if (json_object_get(hdr, "crit") != NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: \"crit\" is not "
		    "supported: pica understands no JWS extension", who);
		goto out;
	}
	if (jws_hdr_str(hdr, "nonce", who, &out->nonce, err) == -1 ||
	    jws_hdr_str(hdr, "url", who, &out->url, err) == -1 ||
	    jws_hdr_str(hdr, "kid", who, &out->kid, err) == -1)
		goto out;
	if (out->kid != NULL && out->kid[0] == '\0') {
		pica_err_set(err, PICA_E_MALFORMED, "%s: \"kid\" is empty",
		    who);
		goto out;
	}
	if ((v = json_object_get(hdr, "jwk")) != NULL) {
		if (!json_is_object(v)) {
			pica_err_set(err, PICA_E_MALFORMED, "%s: \"jwk\" must "
			    "be an object", who);
			goto out;
		}
		out->jwk = v;
	}

	if (allow_mac) {
		if (out->jwk != NULL) {
			pica_err_set(err, PICA_E_MALFORMED, "%s: \"jwk\" is not "
			    "allowed (RFC 8555 section 7.3.4)", who);
			goto out;
		}
		if (out->kid == NULL) {
			pica_err_set(err, PICA_E_MALFORMED, "%s: \"kid\" (the "
			    "external account key identifier) is missing", who);
			goto out;
		}
		if (out->nonce != NULL) {
			pica_err_set(err, PICA_E_MALFORMED, "%s: \"nonce\" is "
			    "not allowed (RFC 8555 section 7.3.4)", who);
			goto out;
		}
		/* The caller compares it with the outer url. */
		if (out->url == NULL) {
			pica_err_set(err, PICA_E_MALFORMED, "%s: \"url\" is "
			    "missing", who);
			goto out;
		}
	} else if (out->jwk != NULL && out->kid != NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: \"jwk\" and \"kid\" "
		    "are both present (RFC 8555 section 6.2: exactly one)", who);
		goto out;
	} else if (out->jwk == NULL && out->kid == NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "%s: neither \"jwk\" nor "
		    "\"kid\" is present (RFC 8555 section 6.2: exactly one)",
		    who);
		goto out;
	}
	out->header = hdr;
	hdr = NULL;
	rc = 0;
out:
	if (rc == -1) {
		out->alg = out->nonce = out->url = out->kid = NULL;
		out->jwk = NULL;
	}
	json_decref(hdr);
	free(raw);
	return rc;
}

int
jws_parse(const void *body, size_t len, int allow_mac, struct jws *out,
    struct pica_err *err)
{
	int			 rc = -1;
	json_t			*root = NULL, *v;
	json_error_t		 jerr;
	const char		*k, *prot = NULL, *payload = NULL, *sig = NULL;
	const char		**slot;
	const struct jws_alg	*a;
	size_t			 plen, paylen;
	char			 safe[128];

	memset(out, 0, sizeof(*out));
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: not valid JSON: %s",
		    jws_safe(jerr.text, safe, sizeof(safe)));
		goto out;
	}
	if (!json_is_object(root)) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: not a JSON object "
		    "(the flattened JSON serialization is expected)");
		goto out;
	}
	if (!jws_depth_ok(root, JWS_MAX_DEPTH)) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: nested deeper than %d "
		    "levels", JWS_MAX_DEPTH);
		goto out;
	}
	json_object_foreach(root, k, v) {
		if (strcmp(k, "protected") == 0)
			slot = &prot;
		else if (strcmp(k, "payload") == 0)
			slot = &payload;
		else if (strcmp(k, "signature") == 0)
			slot = &sig;
		else if (strcmp(k, "header") == 0) {
			/* An empty one says nothing; RFC 8555 6.2 forbids more. */
			if (json_is_object(v) && json_object_size(v) == 0)
				continue;
			pica_err_set(err, PICA_E_MALFORMED, "JWS: the unprotected "
			    "\"header\" is not allowed (RFC 8555 section 6.2); "
			    "put every parameter in \"protected\"");
			goto out;
		} else if (strcmp(k, "signatures") == 0) {
			pica_err_set(err, PICA_E_MALFORMED, "JWS: the general "
			    "JSON serialization (\"signatures\") is not "
			    "supported; use the flattened one");
			goto out;
		} else {
			pica_err_set(err, PICA_E_MALFORMED, "JWS: unknown member "
			    "\"%s\"", jws_safe(k, safe, sizeof(safe)));
			goto out;
		}
		if (!json_is_string(v)) {
			pica_err_set(err, PICA_E_MALFORMED, "JWS: \"%s\" must be "
			    "a string", k);
			goto out;
		}
		*slot = json_string_value(v);
	}
	if (prot == NULL || payload == NULL || sig == NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: \"%s\" is missing",
		    prot == NULL ? "protected" : payload == NULL ? "payload" :
		    "signature");
		goto out;
	}

	if (jws_parse_header(prot, allow_mac, out, err) == -1)
		goto out;

	if (b64url_decode(payload, &out->payload, &out->payload_len) == -1) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: \"payload\" is not "
		    "base64url (RFC 7515 section 2: '-' and '_', no padding, "
		    "no white space)");
		goto out;
	}
	if (b64url_decode(sig, &out->sig, &out->sig_len) == -1) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: \"signature\" is not "
		    "base64url (RFC 7515 section 2: '-' and '_', no padding, "
		    "no white space)");
		goto out;
	}
	if (out->sig_len == 0) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: \"signature\" is "
		    "empty");
		goto out;
	}
	a = allow_mac ? &jws_hs256 : jws_alg_find(out->alg);
	if (a->siglen != 0 && out->sig_len != a->siglen) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: the %s signature has "
		    "%zu bytes, not %zu%s", a->name, out->sig_len, a->siglen,
		    a->curve != NID_undef ? " (R || S, RFC 7518 section 3.4, "
		    "not DER)" : "");
		goto out;
	}

	/* Verified as sent: re-encoding would change the bytes. */
	plen = strlen(prot);
	paylen = strlen(payload);
	out->signing_input_len = plen + 1 + paylen;
	out->signing_input = xcalloc(1, out->signing_input_len + 1);
	memcpy(out->signing_input, prot, plen);
	out->signing_input[plen] = '.';
	memcpy(out->signing_input + plen + 1, payload, paylen);
	rc = 0;
out:
	if (rc == -1)
		jws_free(out);
	json_decref(root);
	return rc;
}

/* JWS R || S into the DER that OpenSSL verifies. */
static int
jws_ecdsa_der(const unsigned char *sig, size_t siglen, unsigned char **der,
    size_t *derlen, struct pica_err *err)
{
	int		 rc = -1, n;
	ECDSA_SIG	*es = NULL;
	BIGNUM		*r = NULL, *s = NULL;

	*der = NULL;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(sig, (int)(siglen / 2), NULL)) == NULL ||
	    (s = BN_bin2bn(sig + siglen / 2, (int)(siglen / 2), NULL)) == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		pica_err_ssl(err, PICA_E_INTERNAL, "JWS: ECDSA signature");
		goto out;
	}
	r = s = NULL;
	if ((n = i2d_ECDSA_SIG(es, der)) <= 0) {
		pica_err_ssl(err, PICA_E_INTERNAL, "JWS: ECDSA signature");
		goto out;
	}
	*derlen = (size_t)n;
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

int
jws_verify(const struct jws *jws, EVP_PKEY *key, struct pica_err *err)
{
	int			 rc = -1;
	const struct jws_alg	*a, *fit;
	EVP_MD_CTX		*ctx = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*sig;
	size_t			 siglen;

	if (jws->alg == NULL || (a = jws_alg_find(jws->alg)) == NULL) {
		pica_err_set(err, PICA_E_BADSIGALG, "JWS: \"alg\" %s is not "
		    "supported here (" JWS_ALG_LIST ")",
		    jws->alg != NULL ? jws->alg : "(none)");
		goto out;
	}
	if ((fit = jws_key_alg(key)) != a) {
		if (fit != NULL)
			pica_err_set(err, PICA_E_BADSIGALG, "JWS: \"alg\" %s "
			    "does not fit the %s key (use %s)", a->name,
			    jws_key_desc(key), fit->name);
		else
			pica_err_set(err, PICA_E_BADSIGALG, "JWS: \"alg\" %s "
			    "does not fit the %s key", a->name,
			    jws_key_desc(key));
		goto out;
	}
	if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) < RSA_MIN_BITS) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWS: the RSA key has %d "
		    "bits (%d at least)", EVP_PKEY_get_bits(key), RSA_MIN_BITS);
		goto out;
	}
	sig = jws->sig;
	siglen = jws->sig_len;
	if (a->siglen != 0 && siglen != a->siglen) {
		pica_err_set(err, PICA_E_MALFORMED, "JWS: the %s signature has "
		    "%zu bytes, not %zu", a->name, siglen, a->siglen);
		goto out;
	}
	if (a->curve != NID_undef) {
		if (jws_ecdsa_der(sig, siglen, &der, &siglen, err) == -1)
			goto out;
		sig = der;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, a->md, NULL, NULL, key,
	    NULL) != 1) {
		pica_err_ssl(err, PICA_E_INTERNAL, "JWS: cannot verify %s",
		    a->name);
		goto out;
	}
	if (EVP_DigestVerify(ctx, sig, siglen,
	    (const unsigned char *)jws->signing_input,
	    jws->signing_input_len) != 1) {
		ERR_clear_error();
		pica_err_set(err, PICA_E_MALFORMED, "JWS: the %s signature does "
		    "not verify with the %s key", a->name, jws_key_desc(key));
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}

int
jws_verify_mac(const struct jws *jws, const unsigned char *key, size_t keylen,
    struct pica_err *err)
{
	int		 rc = -1;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	size_t		 maclen = 0;

	if (jws->alg == NULL || strcmp(jws->alg, jws_hs256.name) != 0) {
		pica_err_set(err, PICA_E_BADSIGALG, "External account binding "
		    "JWS: \"alg\" %s is not supported (HS256)",
		    jws->alg != NULL ? jws->alg : "(none)");
		goto out;
	}
	if (keylen == 0) {
		pica_err_set(err, PICA_E_INTERNAL, "External account binding: "
		    "the MAC key is empty");
		goto out;
	}
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
	    (const unsigned char *)jws->signing_input, jws->signing_input_len,
	    mac, sizeof(mac), &maclen) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "External account binding: "
		    "HMAC-SHA256");
		goto out;
	}
	if (jws->sig_len != maclen ||
	    CRYPTO_memcmp(mac, jws->sig, maclen) != 0) {
		pica_err_set(err, PICA_E_MALFORMED, "External account binding "
		    "JWS: the HS256 MAC does not verify with the key of this "
		    "\"kid\"");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* JWK member name, base64url-decoded. */
static int
jwk_bytes(json_t *jwk, const char *name, unsigned char **out, size_t *len,
    struct pica_err *err)
{
	json_t	*v;

	*out = NULL;
	*len = 0;
	if ((v = json_object_get(jwk, name)) == NULL)
		return pica_err_set(err, PICA_E_MALFORMED, "JWK: \"%s\" is "
		    "missing", name);
	if (!json_is_string(v))
		return pica_err_set(err, PICA_E_MALFORMED, "JWK: \"%s\" must "
		    "be a string", name);
	if (b64url_decode(json_string_value(v), out, len) == -1)
		return pica_err_set(err, PICA_E_MALFORMED, "JWK: \"%s\" is not "
		    "base64url", name);
	return 0;
}

static const struct jwk_curve *
jwk_curve_find(json_t *jwk)
{
	const struct jwk_curve	*c;
	const char		*crv;

	if ((crv = json_string_value(json_object_get(jwk, "crv"))) == NULL)
		return NULL;
	for (c = jwk_curves; c->crv != NULL; c++)
		if (strcmp(c->crv, crv) == 0)
			return c;
	return NULL;
}

static int
jwk_to_ec(json_t *jwk, EVP_PKEY **out, struct pica_err *err)
{
	int			 rc = -1;
	const struct jwk_curve	*c;
	unsigned char		*x = NULL, *y = NULL;
	unsigned char		 pub[1 + 2 * 48];
	size_t			 xlen, ylen;
	OSSL_PARAM_BLD		*bld = NULL;
	OSSL_PARAM		*params = NULL;
	EVP_PKEY_CTX		*pctx = NULL;
	const char		*crv;
	char			 safe[64];

	if ((c = jwk_curve_find(jwk)) == NULL) {
		crv = json_string_value(json_object_get(jwk, "crv"));
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: EC curve %s is not "
		    "supported (P-256, P-384)", crv != NULL ?
		    jws_safe(crv, safe, sizeof(safe)) : "(none)");
		goto out;
	}
	if (jwk_bytes(jwk, "x", &x, &xlen, err) == -1 ||
	    jwk_bytes(jwk, "y", &y, &ylen, err) == -1)
		goto out;
	/* RFC 7518 6.2.1.2: full size, so that thumbprints are unique. */
	if (xlen != c->size || ylen != c->size) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: %s coordinates must "
		    "have %zu bytes (\"x\" has %zu, \"y\" %zu)", c->crv, c->size,
		    xlen, ylen);
		goto out;
	}
	pub[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(pub + 1, x, c->size);
	memcpy(pub + 1 + c->size, y, c->size);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    c->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, 1 + 2 * c->size) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1) {
		pica_err_ssl(err, PICA_E_INTERNAL, "JWK: EC key");
		goto out;
	}
	/* OpenSSL refuses a point off the curve here already. */
	if (EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		pica_err_ssl(err, PICA_E_BADPUBKEY, "JWK: not a point on %s",
		    c->crv);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return rc;
}

static int
jwk_to_rsa(json_t *jwk, EVP_PKEY **out, struct pica_err *err)
{
	int		 rc = -1, bits;
	unsigned char	*n = NULL, *e = NULL;
	size_t		 nlen, elen;
	BIGNUM		*bn = NULL, *be = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*pctx = NULL;

	if (jwk_bytes(jwk, "n", &n, &nlen, err) == -1 ||
	    jwk_bytes(jwk, "e", &e, &elen, err) == -1)
		goto out;
	/* RFC 7518 6.3.1: minimal octets, so that thumbprints are unique. */
	if (nlen == 0 || n[0] == 0 || elen == 0 || e[0] == 0) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: RSA \"%s\" is empty "
		    "or has leading zero octets (RFC 7518 section 6.3.1)",
		    nlen == 0 || n[0] == 0 ? "n" : "e");
		goto out;
	}
	if (nlen > RSA_MAX_BITS / 8 || elen > 8) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: RSA key too large "
		    "(%d bits at most, exponent of 64 bits at most)",
		    RSA_MAX_BITS);
		goto out;
	}
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "JWK: RSA key");
		goto out;
	}
	if ((bits = BN_num_bits(bn)) < RSA_MIN_BITS) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: RSA key of %d bits is "
		    "too small (%d at least)", bits, RSA_MIN_BITS);
		goto out;
	}
	if (!BN_is_odd(be) || BN_is_one(be)) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: RSA exponent \"e\" "
		    "must be odd and greater than 1");
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1) {
		pica_err_ssl(err, PICA_E_INTERNAL, "JWK: RSA key");
		goto out;
	}
	if (EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		pica_err_ssl(err, PICA_E_BADPUBKEY, "JWK: not an RSA key");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return rc;
}

static int
jwk_to_okp(json_t *jwk, EVP_PKEY **out, struct pica_err *err)
{
	int		 rc = -1;
	unsigned char	*x = NULL;
	size_t		 xlen;
	const char	*crv;
	char		 safe[64];

	crv = json_string_value(json_object_get(jwk, "crv"));
	if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: OKP curve %s is not "
		    "supported (Ed25519)", crv != NULL ?
		    jws_safe(crv, safe, sizeof(safe)) : "(none)");
		goto out;
	}
	if (jwk_bytes(jwk, "x", &x, &xlen, err) == -1)
		goto out;
	if (xlen != 32) {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: Ed25519 \"x\" has %zu "
		    "bytes, not 32", xlen);
		goto out;
	}
	if ((*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x,
	    xlen)) == NULL) {
		pica_err_ssl(err, PICA_E_BADPUBKEY, "JWK: not an Ed25519 key");
		goto out;
	}
	rc = 0;
out:
	free(x);
	return rc;
}

int
jwk_to_pkey(json_t *jwk, EVP_PKEY **out, struct pica_err *err)
{
	int			 rc = -1;
	const char		*kty;
	const char *const	*p;
	EVP_PKEY		*key = NULL;
	EVP_PKEY_CTX		*cctx = NULL;
	char			 safe[64];

	*out = NULL;
	if (!json_is_object(jwk)) {
		pica_err_set(err, PICA_E_MALFORMED, "JWK: not a JSON object");
		goto out;
	}
	for (p = jwk_private; *p != NULL; p++)
		if (json_object_get(jwk, *p) != NULL) {
			pica_err_set(err, PICA_E_BADPUBKEY, "JWK: \"%s\" is a "
			    "private key member: send the public key only", *p);
			goto out;
		}
	if ((kty = json_string_value(json_object_get(jwk, "kty"))) == NULL) {
		pica_err_set(err, PICA_E_MALFORMED, "JWK: \"kty\" is missing "
		    "or not a string");
		goto out;
	}
	if (strcmp(kty, "EC") == 0) {
		if (jwk_to_ec(jwk, &key, err) == -1)
			goto out;
	} else if (strcmp(kty, "RSA") == 0) {
		if (jwk_to_rsa(jwk, &key, err) == -1)
			goto out;
	} else if (strcmp(kty, "OKP") == 0) {
		if (jwk_to_okp(jwk, &key, err) == -1)
			goto out;
	} else {
		pica_err_set(err, PICA_E_BADPUBKEY, "JWK: \"kty\" %s is not "
		    "supported (EC, RSA, OKP)", jws_safe(kty, safe,
		    sizeof(safe)));
		goto out;
	}
	/*
	 * The quick check: for EC, the point is on the curve.  The full
	 * check adds n*Q = O, a scalar multiplication per request that
	 * says nothing more on the prime-order curves JWS allows.
	 */
	if ((cctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "JWK: key check");
		goto out;
	}
	if (EVP_PKEY_public_check_quick(cctx) != 1) {
		pica_err_ssl(err, PICA_E_BADPUBKEY, "JWK: the %s public key "
		    "fails validation", kty);
		goto out;
	}
	*out = key;
	key = NULL;
	rc = 0;
out:
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_free(key);
	return rc;
}

/* Set obj's member name to the base64url of len bytes. */
static int
jwk_set_b64(json_t *obj, const char *name, const unsigned char *buf,
    size_t len)
{
	char	*s;
	int	 rc;

	if ((s = b64url_encode(buf, len)) == NULL)
		return -1;
	rc = json_object_set_new(obj, name, json_string(s));
	free(s);
	return rc;
}

json_t *
jwk_from_pkey(EVP_PKEY *key)
{
	json_t			*jwk = NULL, *rv = NULL;
	const struct jwk_curve	*c;
	BIGNUM			*x = NULL, *y = NULL;
	unsigned char		 buf[RSA_MAX_BITS / 8];
	size_t			 len, size;
	int			 nid;

	/* Members in RFC 7638 order: dumped compact, they are canonical. */
	if ((jwk = json_object()) == NULL)
		goto out;
	if (EVP_PKEY_is_a(key, "EC")) {
		nid = jws_key_curve(key);
		for (c = jwk_curves; c->crv != NULL; c++)
			if (c->nid == nid)
				break;
		if (c->crv == NULL ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X,
		    &x) != 1 ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y,
		    &y) != 1)
			goto out;
		size = c->size;
		if (json_object_set_new(jwk, "crv", json_string(c->crv)) ||
		    json_object_set_new(jwk, "kty", json_string("EC")) ||
		    BN_bn2binpad(x, buf, (int)size) < 0 ||
		    jwk_set_b64(jwk, "x", buf, size) ||
		    BN_bn2binpad(y, buf, (int)size) < 0 ||
		    jwk_set_b64(jwk, "y", buf, size))
			goto out;
	} else if (EVP_PKEY_is_a(key, "RSA")) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N,
		    &x) != 1 ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E,
		    &y) != 1 ||
		    BN_num_bytes(x) > (int)sizeof(buf) ||
		    BN_num_bytes(y) > (int)sizeof(buf))
			goto out;
		len = (size_t)BN_bn2bin(y, buf);
		if (jwk_set_b64(jwk, "e", buf, len) ||
		    json_object_set_new(jwk, "kty", json_string("RSA")))
			goto out;
		len = (size_t)BN_bn2bin(x, buf);
		if (jwk_set_b64(jwk, "n", buf, len))
			goto out;
	} else if (EVP_PKEY_is_a(key, "ED25519")) {
		len = sizeof(buf);
		if (EVP_PKEY_get_raw_public_key(key, buf, &len) != 1 ||
		    json_object_set_new(jwk, "crv", json_string("Ed25519")) ||
		    json_object_set_new(jwk, "kty", json_string("OKP")) ||
		    jwk_set_b64(jwk, "x", buf, len))
			goto out;
	} else
		goto out;
	rv = jwk;
	jwk = NULL;
out:
	ERR_clear_error();
	BN_free(x);
	BN_free(y);
	json_decref(jwk);
	return rv;
}

/* Member name of jwk re-encoded canonically, or NULL. */
static char *
jwk_canon(json_t *jwk, const char *name)
{
	const char	*s;
	unsigned char	*buf;
	size_t		 len;
	char		*rv;

	if ((s = json_string_value(json_object_get(jwk, name))) == NULL ||
	    b64url_decode(s, &buf, &len) == -1)
		return NULL;
	rv = b64url_encode(buf, len);
	free(buf);
	return rv;
}

int
jwk_thumbprint(json_t *jwk, char out[64])
{
	int		 rc = -1, n;
	const char	*kty, *crv = NULL, *s;
	char		*a = NULL, *b = NULL, *text = NULL;
	unsigned char	 md[32];
	size_t		 len;
	char		*enc = NULL;

	out[0] = '\0';
	if ((kty = json_string_value(json_object_get(jwk, "kty"))) == NULL)
		goto out;
	if (strcmp(kty, "EC") == 0 || strcmp(kty, "OKP") == 0) {
		/* crv goes in verbatim: keep it free of JSON escapes. */
		if ((crv = json_string_value(json_object_get(jwk, "crv"))) ==
		    NULL || crv[0] == '\0')
			goto out;
		for (s = crv; *s != '\0'; s++)
			if (b64url_val((unsigned char)*s) < 0 && *s != '.')
				goto out;
		if ((a = jwk_canon(jwk, "x")) == NULL)
			goto out;
		if (kty[0] == 'E' && (b = jwk_canon(jwk, "y")) == NULL)
			goto out;
	} else if (strcmp(kty, "RSA") == 0) {
		if ((a = jwk_canon(jwk, "e")) == NULL ||
		    (b = jwk_canon(jwk, "n")) == NULL)
			goto out;
	} else
		goto out;
	len = strlen(a) + (b != NULL ? strlen(b) : 0) +
	    (crv != NULL ? strlen(crv) : 0) + 64;
	text = xcalloc(1, len);
	if (strcmp(kty, "EC") == 0)
		n = snprintf(text, len, "{\"crv\":\"%s\",\"kty\":\"EC\","
		    "\"x\":\"%s\",\"y\":\"%s\"}", crv, a, b);
	else if (strcmp(kty, "OKP") == 0)
		n = snprintf(text, len, "{\"crv\":\"%s\",\"kty\":\"OKP\","
		    "\"x\":\"%s\"}", crv, a);
	else
		n = snprintf(text, len, "{\"e\":\"%s\",\"kty\":\"RSA\","
		    "\"n\":\"%s\"}", a, b);
	if (n < 0 || (size_t)n >= len)
		goto out;
	if (EVP_Digest(text, (size_t)n, md, NULL, EVP_sha256(), NULL) != 1) {
		ERR_clear_error();
		goto out;
	}
	if ((enc = b64url_encode(md, sizeof(md))) == NULL)
		goto out;
	snprintf(out, 64, "%s", enc);
	rc = 0;
out:
	free(enc);
	free(text);
	free(a);
	free(b);
	return rc;
}

/* OpenSSL's DER ECDSA signature as JWS R || S, each size bytes. */
static unsigned char *
jws_ecdsa_raw(const unsigned char *der, size_t derlen, size_t size)
{
	ECDSA_SIG		*es;
	const BIGNUM		*r, *s;
	unsigned char		*raw = NULL;

	if ((es = d2i_ECDSA_SIG(NULL, &der, (long)derlen)) == NULL)
		return NULL;
	ECDSA_SIG_get0(es, &r, &s);
	raw = xcalloc(2, size);
	if (BN_bn2binpad(r, raw, (int)size) < 0 ||
	    BN_bn2binpad(s, raw + size, (int)size) < 0) {
		free(raw);
		raw = NULL;
	}
	ECDSA_SIG_free(es);
	return raw;
}

char *
jws_sign(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
    const char *payload)
{
	const struct jws_alg	*a;
	json_t			*hdr = NULL, *jwk, *root = NULL;
	char			*text = NULL, *prot = NULL, *pay = NULL;
	char			*input = NULL, *sigb64 = NULL, *rv = NULL;
	unsigned char		*sig = NULL, *raw = NULL;
	size_t			 siglen, len;
	EVP_MD_CTX		*ctx = NULL;

	if ((a = jws_key_alg(key)) == NULL)
		goto out;
	if ((hdr = json_object()) == NULL ||
	    json_object_set_new(hdr, "alg", json_string(a->name)))
		goto out;
	if (kid != NULL) {
		if (json_object_set_new(hdr, "kid", json_string(kid)))
			goto out;
	} else if ((jwk = jwk_from_pkey(key)) == NULL ||
	    json_object_set_new(hdr, "jwk", jwk))
		goto out;
	if ((nonce != NULL &&
	    json_object_set_new(hdr, "nonce", json_string(nonce))) ||
	    (url != NULL && json_object_set_new(hdr, "url", json_string(url))))
		goto out;
	if ((text = json_dumps(hdr, JSON_COMPACT)) == NULL ||
	    (prot = b64url_encode(text, strlen(text))) == NULL ||
	    (pay = b64url_encode(payload != NULL ? payload : "",
	    payload != NULL ? strlen(payload) : 0)) == NULL)
		goto out;
	len = strlen(prot) + 1 + strlen(pay);
	input = xcalloc(1, len + 1);
	snprintf(input, len + 1, "%s.%s", prot, pay);

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, a->md, NULL, NULL, key,
	    NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)input,
	    len) != 1)
		goto out;
	sig = xcalloc(1, siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input,
	    len) != 1)
		goto out;
	if (a->curve != NID_undef) {
		if ((raw = jws_ecdsa_raw(sig, siglen, a->siglen / 2)) == NULL)
			goto out;
		sigb64 = b64url_encode(raw, a->siglen);
	} else
		sigb64 = b64url_encode(sig, siglen);
	if (sigb64 == NULL ||
	    (root = json_pack("{s:s, s:s, s:s}", "protected", prot,
	    "payload", pay, "signature", sigb64)) == NULL)
		goto out;
	rv = json_dumps(root, JSON_COMPACT);
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	json_decref(hdr);
	json_decref(root);
	free(text);
	free(prot);
	free(pay);
	free(input);
	free(sig);
	free(raw);
	free(sigb64);
	return rv;
}
