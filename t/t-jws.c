/*
 * t-jws: JWS parsing and verification, JWK keys and thumbprints, EAB MACs.
 */
#include "config.h"

#include "test.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "jws.h"

#define NONCE	"bm9uY2Utb25l"
#define URL	"https://ca.test/acme/new-order"
#define EABURL	"https://ca.test/acme/new-account"

static const unsigned char eab_key[] = "an external account MAC key, 32b";

/* RFC 7638 section 3.1. */
static const char rfc7638_jwk[] = "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiL"
    "JXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
    "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4"
    "QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajr"
    "n1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBn"
    "iIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256"
    "\",\"kid\":\"2011-04-29\"}";

static EVP_PKEY *
genkey(const char *what)
{
	if (strcmp(what, "P-256") == 0 || strcmp(what, "P-384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", what);
	if (strcmp(what, "RSA2048") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(what, "RSA1024") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

/* A flattened JWS from a header text, a payload text and raw sig bytes. */
static char *
mkbody(const char *hdr, const char *payload, const unsigned char *sig,
    size_t siglen)
{
	char	*p, *q, *s, *body;
	size_t	 len;

	p = b64url_encode(hdr, strlen(hdr));
	q = b64url_encode(payload, strlen(payload));
	s = b64url_encode(sig, siglen);
	len = strlen(p) + strlen(q) + strlen(s) + 64;
	body = malloc(len);
	snprintf(body, len, "{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\"}", p, q, s);
	free(p);
	free(q);
	free(s);
	return body;
}

/* The JSON object text body with member text added at its end. */
static char *
add_member(const char *body, const char *member)
{
	size_t	 blen = strlen(body), mlen = strlen(member);
	char	*p;

	p = malloc(blen + mlen + 2);
	memcpy(p, body, blen - 1);
	p[blen - 1] = ',';
	memcpy(p + blen, member, mlen);
	memcpy(p + blen + mlen, "}", 2);
	return p;
}

/* An EAB inner JWS with header hdr over payload, MACed with key. */
static char *
mkeab(const char *hdr, const char *payload, const unsigned char *key,
    size_t keylen)
{
	char		*p, *q, *in, *body;
	unsigned char	 mac[32];
	size_t		 len, maclen;

	p = b64url_encode(hdr, strlen(hdr));
	q = b64url_encode(payload, strlen(payload));
	len = strlen(p) + strlen(q) + 2;
	in = malloc(len);
	snprintf(in, len, "%s.%s", p, q);
	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
	    (unsigned char *)in, strlen(in), mac, sizeof(mac), &maclen);
	body = mkbody(hdr, payload, mac, maclen);
	free(p);
	free(q);
	free(in);
	return body;
}

/* The error class jws_parse gives for body (PICA_E_NONE when it parses). */
static int
parse_code(const char *body, int allow_mac, const char *what)
{
	struct jws	 jws;
	struct pica_err	 err;

	pica_err_clear(&err);
	if (jws_parse(body, strlen(body), allow_mac, &jws, &err) == 0) {
		jws_free(&jws);
		return PICA_E_NONE;
	}
	diag("%s: %s", what, err.msg);
	return err.code;
}

/* Parse and verify body with key: the error class, or PICA_E_NONE. */
static int
verify_code(const char *body, EVP_PKEY *key, const char *what)
{
	struct jws	 jws;
	struct pica_err	 err;
	int		 rc;

	pica_err_clear(&err);
	if (jws_parse(body, strlen(body), 0, &jws, &err) == -1) {
		diag("%s: %s", what, err.msg);
		return err.code;
	}
	rc = jws_verify(&jws, key, &err);
	jws_free(&jws);
	if (rc == 0)
		return PICA_E_NONE;
	diag("%s: %s", what, err.msg);
	return err.code;
}

/* Replace the string member name of the JSON text body with val. */
static char *
set_member(const char *body, const char *name, const char *val)
{
	json_t	*root;
	char	*s;

	root = json_loads(body, 0, NULL);
	json_object_set_new(root, name, json_string(val));
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

/* The string member name of the JSON text body, copied. */
static char *
get_member(const char *body, const char *name)
{
	json_t	*root;
	char	*s;

	root = json_loads(body, 0, NULL);
	s = strdup(json_string_value(json_object_get(root, name)));
	json_decref(root);
	return s;
}

/* A JWK text's error class from jwk_to_pkey. */
static int
jwk_code(json_t *jwk, const char *what)
{
	EVP_PKEY	*key = NULL;
	struct pica_err	 err;

	pica_err_clear(&err);
	if (jwk_to_pkey(jwk, &key, &err) == 0) {
		EVP_PKEY_free(key);
		return PICA_E_NONE;
	}
	diag("%s: %s", what, err.msg);
	return err.code;
}

static void
test_b64url(void)
{
	unsigned char	*buf;
	size_t		 len;
	char		*s;
	const char	*bad[] = { "Zg==", "Zm+v", "Zm/v", "Zm 9v", "Z",
	    "Zm9v\n", NULL };
	int		 i, refused = 1;

	s = b64url_encode("", 0);
	is_str(s, "", "b64url of nothing");
	free(s);
	s = b64url_encode("\xfb\xff\xfe", 3);
	is_str(s, "-__-", "b64url uses - and _");
	free(s);
	s = b64url_encode("fooba", 5);
	is_str(s, "Zm9vYmE", "b64url without padding");
	free(s);
	ok(b64url_decode("Zm9vYmE", &buf, &len) == 0 && len == 5 &&
	    memcmp(buf, "fooba", 6) == 0, "b64url decodes, NUL-terminated");
	free(buf);
	for (i = 0; bad[i] != NULL; i++)
		if (b64url_decode(bad[i], &buf, &len) != -1) {
			diag("accepted \"%s\"", bad[i]);
			free(buf);
			refused = 0;
		}
	ok(refused, "b64url refuses padding, + / white space, bad lengths");
}

static void
test_roundtrip(const char *what, const char *alg)
{
	EVP_PKEY	*key = genkey(what), *pub = NULL;
	struct jws	 jws;
	struct pica_err	 err;
	char		*body, *body2;
	const char	*pl = "{\"identifiers\":[]}";

	body = jws_sign(key, NULL, NONCE, URL, pl);
	pica_err_clear(&err);
	if (!ok(body != NULL && jws_parse(body, strlen(body), 0, &jws,
	    &err) == 0, "%s: signed JWS parses", what)) {
		diag("%s", err.msg);
		free(body);
		EVP_PKEY_free(key);
		return;
	}
	ok(strcmp(jws.alg, alg) == 0 && strcmp(jws.nonce, NONCE) == 0 &&
	    strcmp(jws.url, URL) == 0 && jws.kid == NULL && jws.jwk != NULL &&
	    jws.payload_len == strlen(pl) &&
	    strcmp((char *)jws.payload, pl) == 0,
	    "%s: alg %s, nonce, url, jwk, payload", what, jws.alg);
	ok(jwk_to_pkey(jws.jwk, &pub, &err) == 0 &&
	    EVP_PKEY_eq(pub, key) == 1, "%s: jwk gives the signer's key",
	    what);
	ok(pub != NULL && jws_verify(&jws, pub, &err) == 0,
	    "%s: signature verifies", what);
	jws_free(&jws);
	EVP_PKEY_free(pub);

	/* Tampering with any part breaks it. */
	body2 = set_member(body, "payload", "e30");
	is_int(verify_code(body2, key, "tampered payload"), PICA_E_MALFORMED,
	    "%s: tampered payload refused", what);
	free(body2);
	free(body);

	body = jws_sign(key, "https://ca.test/acme/account/1", NONCE, URL,
	    NULL);
	pica_err_clear(&err);
	ok(body != NULL && jws_parse(body, strlen(body), 0, &jws, &err) == 0 &&
	    jws.jwk == NULL && jws.kid != NULL &&
	    strcmp(jws.kid, "https://ca.test/acme/account/1") == 0 &&
	    jws.payload_len == 0 && jws.payload != NULL &&
	    jws.payload[0] == '\0' && jws_verify(&jws, key, &err) == 0,
	    "%s: POST-as-GET with kid verifies", what);
	if (err.code != PICA_E_NONE)
		diag("%s", err.msg);
	jws_free(&jws);
	free(body);
	EVP_PKEY_free(key);
}

static void
test_tamper(void)
{
	EVP_PKEY	*key = genkey("P-256");
	char		*body, *b2, *s;
	const char	*hdr;

	body = jws_sign(key, "kid-1", NONCE, URL, "{}");

	/* Another header, same signature. */
	hdr = "{\"alg\":\"ES256\",\"kid\":\"kid-1\",\"nonce\":\"other\","
	    "\"url\":\"" URL "\"}";
	s = b64url_encode(hdr, strlen(hdr));
	b2 = set_member(body, "protected", s);
	is_int(verify_code(b2, key, "tampered protected"), PICA_E_MALFORMED,
	    "tampered protected header refused");
	free(b2);
	free(s);

	/* One bit of the signature. */
	s = get_member(body, "signature");
	s[10] = s[10] == 'A' ? 'B' : 'A';
	b2 = set_member(body, "signature", s);
	is_int(verify_code(b2, key, "tampered signature"), PICA_E_MALFORMED,
	    "tampered signature refused");
	free(b2);
	free(s);

	/* Padding on an otherwise good member. */
	s = get_member(body, "protected");
	s = realloc(s, strlen(s) + 3);
	strcat(s, "==");
	b2 = set_member(body, "protected", s);
	is_int(parse_code(b2, 0, "padding"), PICA_E_MALFORMED,
	    "'=' padding in protected refused");
	free(b2);
	free(s);

	/* Standard base64 instead of base64url. */
	s = get_member(body, "signature");
	s[3] = '+';
	b2 = set_member(body, "signature", s);
	is_int(parse_code(b2, 0, "plus"), PICA_E_MALFORMED,
	    "'+' in signature refused");
	free(b2);
	free(s);

	is_int(parse_code("{\"protected\":\"e30\"", 0, "truncated"),
	    PICA_E_MALFORMED, "truncated JSON refused");
	is_int(parse_code("[1]", 0, "array"), PICA_E_MALFORMED,
	    "body that is not an object refused");
	free(body);
	EVP_PKEY_free(key);
}

static void
test_algs(void)
{
	EVP_PKEY		*p256 = genkey("P-256"), *p384 = genkey("P-384");
	EVP_PKEY		*rsa = genkey("RSA2048"), *ed = genkey("Ed25519");
	unsigned char		 sig[64] = { 1 };
	struct jws		 jws;
	struct pica_err		 err;
	char			*body;

	body = mkbody("{\"alg\":\"none\",\"kid\":\"k\"}", "{}", sig, 64);
	is_int(parse_code(body, 0, "none"), PICA_E_BADSIGALG,
	    "alg none: badSignatureAlgorithm");
	free(body);
	body = mkbody("{\"alg\":\"HS256\",\"kid\":\"k\"}", "{}", sig, 32);
	is_int(parse_code(body, 0, "HS256"), PICA_E_BADSIGALG,
	    "alg HS256 outside EAB: badSignatureAlgorithm");
	free(body);
	body = mkbody("{\"alg\":\"RS512\",\"kid\":\"k\"}", "{}", sig, 64);
	pica_err_clear(&err);
	ok(jws_parse(body, strlen(body), 0, &jws, &err) == -1 &&
	    err.code == PICA_E_BADSIGALG && strcmp(err.msg, "JWS protected "
	    "header: \"alg\" RS512 is not supported (ES256, ES384, RS256, "
	    "EdDSA)") == 0, "alg RS512: badSignatureAlgorithm, clear message");
	diag("%s", err.msg);
	free(body);
	body = mkbody("{\"kid\":\"k\"}", "{}", sig, 64);
	is_int(parse_code(body, 0, "no alg"), PICA_E_MALFORMED,
	    "missing alg: malformed");
	free(body);
	body = mkbody("{\"alg\":5,\"kid\":\"k\"}", "{}", sig, 64);
	is_int(parse_code(body, 0, "alg number"), PICA_E_MALFORMED,
	    "alg not a string: malformed");
	free(body);

	/* Keys that do not fit alg. */
	body = jws_sign(p256, "k", NONCE, URL, "{}");
	is_int(verify_code(body, p384, "ES256 with P-384"), PICA_E_BADSIGALG,
	    "ES256 header with a P-384 key: badSignatureAlgorithm");
	is_int(verify_code(body, rsa, "ES256 with RSA"), PICA_E_BADSIGALG,
	    "ES256 header with an RSA key: badSignatureAlgorithm");
	free(body);
	body = jws_sign(ed, "k", NONCE, URL, "{}");
	is_int(verify_code(body, p256, "EdDSA with P-256"), PICA_E_BADSIGALG,
	    "EdDSA header with a P-256 key: badSignatureAlgorithm");
	free(body);
	body = jws_sign(rsa, "k", NONCE, URL, "{}");
	is_int(verify_code(body, ed, "RS256 with Ed25519"), PICA_E_BADSIGALG,
	    "RS256 header with an Ed25519 key: badSignatureAlgorithm");
	free(body);

	/* ECDSA is R || S: a DER-sized or short one is malformed. */
	body = mkbody("{\"alg\":\"ES256\",\"kid\":\"k\"}", "{}", sig, 63);
	is_int(parse_code(body, 0, "ES256 63 bytes"), PICA_E_MALFORMED,
	    "ES256 signature of 63 bytes: malformed");
	free(body);
	body = mkbody("{\"alg\":\"ES384\",\"kid\":\"k\"}", "{}", sig, 64);
	is_int(parse_code(body, 0, "ES384 64 bytes"), PICA_E_MALFORMED,
	    "ES384 signature of 64 bytes: malformed");
	free(body);
	body = mkbody("{\"alg\":\"EdDSA\",\"kid\":\"k\"}", "{}", sig, 32);
	is_int(parse_code(body, 0, "EdDSA 32 bytes"), PICA_E_MALFORMED,
	    "EdDSA signature of 32 bytes: malformed");
	free(body);
	body = mkbody("{\"alg\":\"RS256\",\"kid\":\"k\"}", "{}", sig, 64);
	is_int(verify_code(body, rsa, "RS256 64 bytes"), PICA_E_MALFORMED,
	    "RS256 signature of 64 bytes does not verify");
	free(body);

	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

static void
test_structure(void)
{
	unsigned char	 sig[64] = { 1 };
	char		*body, *p, hdr[512], nest[256];
	size_t		 i;
	const char	*jwk = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"jwk\":%s,"
	    "\"kid\":\"k\"}", jwk);
	body = mkbody(hdr, "{}", sig, 64);
	is_int(parse_code(body, 0, "jwk and kid"), PICA_E_MALFORMED,
	    "both jwk and kid: malformed");
	free(body);
	body = mkbody("{\"alg\":\"EdDSA\",\"nonce\":\"n\"}", "{}", sig, 64);
	is_int(parse_code(body, 0, "neither"), PICA_E_MALFORMED,
	    "neither jwk nor kid: malformed");
	free(body);
	body = mkbody("{\"alg\":\"EdDSA\",\"jwk\":\"k\"}", "{}", sig, 64);
	is_int(parse_code(body, 0, "jwk string"), PICA_E_MALFORMED,
	    "jwk not an object: malformed");
	free(body);
	body = mkbody("{\"alg\":\"EdDSA\",\"kid\":\"k\",\"alg\":\"EdDSA\"}",
	    "{}", sig, 64);
	is_int(parse_code(body, 0, "duplicate alg"), PICA_E_MALFORMED,
	    "duplicate key in protected header: malformed");
	free(body);
	body = mkbody("{\"alg\":\"EdDSA\",\"kid\":\"k\",\"crit\":[\"b64\"],"
	    "\"b64\":false}", "{}", sig, 64);
	is_int(parse_code(body, 0, "crit"), PICA_E_MALFORMED,
	    "crit: malformed");
	free(body);
	body = mkbody("{\"alg\":\"EdDSA\",\"kid\":\"k\",\"url\":7}", "{}", sig,
	    64);
	is_int(parse_code(body, 0, "url number"), PICA_E_MALFORMED,
	    "url not a string: malformed");
	free(body);
	body = mkbody("{\"alg\":\"EdDSA\",\"kid\":\"k\",\"nonce\":null}", "{}",
	    sig, 64);
	is_int(parse_code(body, 0, "nonce null"), PICA_E_MALFORMED,
	    "nonce not a string: malformed");
	free(body);
	body = mkbody("[\"EdDSA\"]", "{}", sig, 64);
	is_int(parse_code(body, 0, "header array"), PICA_E_MALFORMED,
	    "protected header not an object: malformed");
	free(body);

	/* Nesting: the header object is level 1. */
	nest[0] = '\0';
	for (i = 0; i < 7; i++)
		strcat(nest, "{\"a\":");
	strcat(nest, "1");
	for (i = 0; i < 7; i++)
		strcat(nest, "}");
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"k\","
	    "\"x\":%s}", nest);
	body = mkbody(hdr, "{}", sig, 64);
	is_int(parse_code(body, 0, "depth 8"), PICA_E_NONE,
	    "header nested 8 deep: accepted");
	free(body);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"k\","
	    "\"x\":[%s]}", nest);
	body = mkbody(hdr, "{}", sig, 64);
	is_int(parse_code(body, 0, "depth 9"), PICA_E_MALFORMED,
	    "header nested 9 deep: malformed");
	free(body);

	/* A header over 4 KiB. */
	p = malloc(5000);
	memset(p, 'a', 4999);
	p[4999] = '\0';
	memcpy(p, "{\"alg\":\"EdDSA\",\"kid\":\"", 22);
	memcpy(p + 4990, "\"}", 3);
	body = mkbody(p, "{}", sig, 64);
	is_int(parse_code(body, 0, "5000 bytes"), PICA_E_MALFORMED,
	    "protected header of 5000 bytes: malformed");
	free(body);
	free(p);

	/* The body itself. */
	body = mkbody("{\"alg\":\"EdDSA\",\"kid\":\"k\"}", "{}", sig, 64);
	p = add_member(body, "\"extra\":1");
	is_int(parse_code(p, 0, "extra"), PICA_E_MALFORMED,
	    "unknown top-level member: malformed");
	free(p);
	p = add_member(body, "\"header\":{\"kid\":\"k\"}");
	is_int(parse_code(p, 0, "header"), PICA_E_MALFORMED,
	    "unprotected header: malformed");
	free(p);
	p = add_member(body, "\"header\":{}");
	is_int(parse_code(p, 0, "empty header"), PICA_E_NONE,
	    "empty unprotected header: accepted");
	free(p);
	p = add_member(body, "\"payload\":\"e30\"");
	is_int(parse_code(p, 0, "duplicate payload"), PICA_E_MALFORMED,
	    "duplicate key in body: malformed");
	free(p);
	free(body);
	is_int(parse_code("{\"protected\":\"e30\",\"payload\":\"\"}", 0,
	    "no signature"), PICA_E_MALFORMED, "missing signature: malformed");
	is_int(parse_code("{\"protected\":\"e30\",\"payload\":{},"
	    "\"signature\":\"AA\"}", 0, "payload object"), PICA_E_MALFORMED,
	    "payload not a string: malformed");
}

static void
test_jwk(void)
{
	EVP_PKEY	*p256 = genkey("P-256"), *p384 = genkey("P-384");
	EVP_PKEY	*ed = genkey("Ed25519"), *r1024 = genkey("RSA1024");
	EVP_PKEY	*key = NULL;
	json_t		*jwk, *j2;
	struct pica_err	 err;
	char		 tp[64], tp2[64], *s;
	unsigned char	*buf;
	size_t		 len;

	jwk = json_loads(rfc7638_jwk, 0, NULL);
	ok(jwk_thumbprint(jwk, tp) == 0 &&
	    strcmp(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs") == 0,
	    "RFC 7638 thumbprint");
	diag("thumbprint %s", tp);
	pica_err_clear(&err);
	ok(jwk_to_pkey(jwk, &key, &err) == 0 && EVP_PKEY_get_bits(key) == 2048,
	    "RFC 7638 key accepted (RSA 2048)");
	j2 = key != NULL ? jwk_from_pkey(key) : NULL;
	ok(j2 != NULL && json_equal(json_object_get(j2, "n"),
	    json_object_get(jwk, "n")) && json_equal(json_object_get(j2, "e"),
	    json_object_get(jwk, "e")) && json_object_size(j2) == 3 &&
	    jwk_thumbprint(j2, tp2) == 0 && strcmp(tp, tp2) == 0,
	    "jwk_from_pkey gives back n, e and the thumbprint");
	json_decref(j2);
	EVP_PKEY_free(key);
	key = NULL;
	json_object_set_new(jwk, "d", json_string("AQAB"));
	is_int(jwk_code(jwk, "d"), PICA_E_BADPUBKEY,
	    "JWK with \"d\": badPublicKey");
	json_decref(jwk);

	/* EC: canonical form, thumbprint, and a point off the curve. */
	jwk = jwk_from_pkey(p384);
	s = json_dumps(jwk, JSON_COMPACT);
	ok(s != NULL && strncmp(s, "{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"",
	    31) == 0 && strlen(json_string_value(json_object_get(jwk,
	    "x"))) == 64 && strlen(json_string_value(json_object_get(jwk,
	    "y"))) == 64, "P-384 JWK canonical, coordinates of 48 bytes");
	ok(jwk_thumbprint(jwk, tp) == 0 && strlen(tp) == 43,
	    "EC thumbprint has 43 characters");
	free(s);
	pica_err_clear(&err);
	ok(jwk_to_pkey(jwk, &key, &err) == 0 && EVP_PKEY_eq(key, p384) == 1,
	    "P-384 JWK round trip");
	EVP_PKEY_free(key);
	key = NULL;
	b64url_decode(json_string_value(json_object_get(jwk, "y")), &buf, &len);
	buf[len - 1] ^= 1;
	s = b64url_encode(buf, len);
	json_object_set_new(jwk, "y", json_string(s));
	is_int(jwk_code(jwk, "off curve"), PICA_E_BADPUBKEY,
	    "EC point off the curve: badPublicKey");
	free(s);
	free(buf);
	json_object_set_new(jwk, "crv", json_string("P-521"));
	is_int(jwk_code(jwk, "P-521"), PICA_E_BADPUBKEY,
	    "crv P-521: badPublicKey");
	json_decref(jwk);

	jwk = jwk_from_pkey(p256);
	s = strdup(json_string_value(json_object_get(jwk, "x")));
	s[42] = '\0';
	json_object_set_new(jwk, "x", json_string(s));
	is_int(jwk_code(jwk, "short x"), PICA_E_BADPUBKEY,
	    "P-256 x of 31 bytes: badPublicKey");
	free(s);
	json_object_del(jwk, "x");
	is_int(jwk_code(jwk, "no x"), PICA_E_MALFORMED,
	    "EC JWK without x: malformed");
	json_object_set_new(jwk, "kty", json_string("oct"));
	is_int(jwk_code(jwk, "oct"), PICA_E_BADPUBKEY,
	    "kty oct: badPublicKey");
	json_decref(jwk);

	/* OKP. */
	jwk = jwk_from_pkey(ed);
	ok(jwk_thumbprint(jwk, tp) == 0 && strlen(tp) == 43 &&
	    json_object_size(jwk) == 3, "Ed25519 JWK and thumbprint");
	json_object_set_new(jwk, "crv", json_string("Ed448"));
	is_int(jwk_code(jwk, "Ed448"), PICA_E_BADPUBKEY,
	    "OKP crv Ed448: badPublicKey");
	json_decref(jwk);

	/* RSA. */
	jwk = jwk_from_pkey(r1024);
	is_int(jwk_code(jwk, "RSA 1024"), PICA_E_BADPUBKEY,
	    "RSA 1024 JWK: badPublicKey");
	json_decref(jwk);
	jwk = json_loads(rfc7638_jwk, 0, NULL);
	json_object_set_new(jwk, "e", json_string("AQAA"));
	is_int(jwk_code(jwk, "even e"), PICA_E_BADPUBKEY,
	    "RSA even exponent: badPublicKey");
	json_object_set_new(jwk, "e", json_string("AAEAAQ"));
	is_int(jwk_code(jwk, "leading zero"), PICA_E_BADPUBKEY,
	    "RSA exponent with a leading zero: badPublicKey");
	json_decref(jwk);

	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(r1024);
}

static void
test_eab(void)
{
	EVP_PKEY	*key = genkey("P-256");
	json_t		*jwk = jwk_from_pkey(key);
	char		*pl = json_dumps(jwk, JSON_COMPACT), *body, hdr[256];
	struct jws	 jws;
	struct pica_err	 err;
	unsigned char	 sig[64] = { 1 };
	int		 rc;

	body = mkeab("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"" EABURL
	    "\"}", pl, eab_key, 32);
	pica_err_clear(&err);
	rc = jws_parse(body, strlen(body), 1, &jws, &err);
	ok(rc == 0 && strcmp(jws.alg, "HS256") == 0 &&
	    strcmp(jws.kid, "kid-1") == 0 && strcmp(jws.url, EABURL) == 0 &&
	    strcmp((char *)jws.payload, pl) == 0, "EAB JWS parses");
	if (rc == -1)
		diag("%s", err.msg);
	ok(rc == 0 && jws_verify_mac(&jws, eab_key, 32, &err) == 0,
	    "EAB HS256 MAC verifies");
	ok(rc == 0 && jws_verify_mac(&jws, eab_key, 31, &err) == -1 &&
	    err.code == PICA_E_MALFORMED, "EAB MAC with a wrong key fails");
	ok(rc == 0 && jws_verify(&jws, key, &err) == -1 &&
	    err.code == PICA_E_BADSIGALG, "jws_verify refuses HS256");
	if (rc == 0)
		jws_free(&jws);
	is_int(parse_code(body, 0, "EAB outside allow_mac"), PICA_E_BADSIGALG,
	    "HS256 without allow_mac: badSignatureAlgorithm");
	free(body);

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"jwk\":%s,"
	    "\"url\":\"" EABURL "\"}", pl);
	body = mkeab(hdr, pl, eab_key, 32);
	is_int(parse_code(body, 1, "EAB jwk"), PICA_E_MALFORMED,
	    "EAB with jwk instead of kid: malformed");
	free(body);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"kid-1\","
	    "\"jwk\":%s,\"url\":\"" EABURL "\"}", pl);
	body = mkeab(hdr, pl, eab_key, 32);
	is_int(parse_code(body, 1, "EAB kid and jwk"), PICA_E_MALFORMED,
	    "EAB with kid and jwk: malformed");
	free(body);
	body = mkeab("{\"alg\":\"HS256\",\"url\":\"" EABURL "\"}", pl,
	    eab_key, 32);
	is_int(parse_code(body, 1, "EAB no kid"), PICA_E_MALFORMED,
	    "EAB without kid: malformed");
	free(body);
	body = mkeab("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"nonce\":\"n\","
	    "\"url\":\"" EABURL "\"}", pl, eab_key, 32);
	is_int(parse_code(body, 1, "EAB nonce"), PICA_E_MALFORMED,
	    "EAB with nonce: malformed");
	free(body);
	body = mkbody("{\"alg\":\"ES256\",\"kid\":\"kid-1\",\"url\":\"" EABURL
	    "\"}", pl, sig, 64);
	is_int(parse_code(body, 1, "EAB ES256"), PICA_E_BADSIGALG,
	    "EAB with ES256: badSignatureAlgorithm");
	free(body);

	/* jws_verify_mac on a signed JWS. */
	body = jws_sign(key, "k", NONCE, URL, "{}");
	pica_err_clear(&err);
	rc = jws_parse(body, strlen(body), 0, &jws, &err);
	ok(rc == 0 && jws_verify_mac(&jws, eab_key, 32, &err) == -1 &&
	    err.code == PICA_E_BADSIGALG, "jws_verify_mac refuses ES256");
	if (rc == 0)
		jws_free(&jws);
	free(body);

	free(pl);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

int
main(void)
{
	plan(93);
	test_b64url();
	test_roundtrip("P-256", "ES256");
	test_roundtrip("P-384", "ES384");
	test_roundtrip("RSA2048", "RS256");
	test_roundtrip("Ed25519", "EdDSA");
	test_tamper();
	test_algs();
	test_structure();
	test_jwk();
	test_eab();
	ERR_clear_error();
	return done();
}
