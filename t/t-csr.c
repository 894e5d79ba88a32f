/*
 * t-csr: CSR parsing, signature and key rules, name extraction.
 */
#include "config.h"

#include "test.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "csr.h"

/* A CSR for key with CN cn and SAN san (OpenSSL config syntax). */
static X509_REQ *
make_req(EVP_PKEY *key, const char *cn, const char *san)
{
	X509_REQ			*req = X509_REQ_new();
	X509_NAME			*name = X509_NAME_new();
	STACK_OF(X509_EXTENSION)	*exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION			*ext;

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, key);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		sk_X509_EXTENSION_push(exts, ext);
		X509_REQ_add_extensions(req, exts);
	}
	X509_REQ_sign(req, key, (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_ED448) ? NULL : EVP_sha256());
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	return req;
}

/* DER of req into *der; returns its length. */
static int
req_der(X509_REQ *req, unsigned char **der)
{
	*der = NULL;
	return i2d_X509_REQ(req, der);
}

static void
check_key(EVP_PKEY *key, int want_ok, const char *what)
{
	struct pica_err	 err;
	X509_REQ	*req = make_req(key, "k.test", NULL), *got = NULL;
	unsigned char	*der;
	int		 len = req_der(req, &der);

	pica_err_clear(&err);
	if (want_ok)
		ok(csr_parse(der, (size_t)len, &got, &err) == 0, "%s accepted",
		    what);
	else
		ok(csr_parse(der, (size_t)len, &got, &err) == -1 &&
		    err.code == PICA_E_BADPUBKEY, "%s refused: %s", what,
		    err.msg);
	X509_REQ_free(got);
	X509_REQ_free(req);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

int
main(void)
{
	struct pica_err	 err;
	EVP_PKEY	*ec;
	X509_REQ	*req, *got = NULL;
	unsigned char	*der, *buf;
	int		 len;
	BIO		*bio;
	char		*pem, *cn = NULL, **names = NULL;
	long		 pemlen;
	size_t		 n = 0;

	plan(24);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	req = make_req(ec, "www.a.test",
	    "DNS:www.a.test,DNS:a.test,IP:10.0.0.1,IP:::1,email:x@a.test,URI:https://a.test/x");
	len = req_der(req, &der);

	ok(csr_parse(der, (size_t)len, &got, &err) == 0, "DER CSR parses");
	ok(csr_names(got, &cn, &names, &n, &err) == 0, "names read");
	is_str(cn, "www.a.test", "common name");
	is_int(n, 6, "six SANs");
	if (n == 6) {
		is_str(names[0], "DNS:www.a.test", "DNS SAN");
		is_str(names[2], "IP:10.0.0.1", "IPv4 SAN");
		is_str(names[3], "IP:::1", "IPv6 SAN");
		is_str(names[4], "email:x@a.test", "email SAN");
		is_str(names[5], "URI:https://a.test/x", "URI SAN");
	} else
		for (int i = 0; i < 5; i++)
			ok(0, "SAN %d", i);
	csr_names_free(names, n);
	free(cn);
	X509_REQ_free(got);
	got = NULL;

	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(bio, req);
	pemlen = BIO_get_mem_data(bio, &pem);
	ok(csr_parse(pem, (size_t)pemlen, &got, &err) == 0, "PEM CSR parses");
	X509_REQ_free(got);
	got = NULL;
	BIO_free(bio);

	/* Tampering: the last byte is in the signature. */
	buf = malloc((size_t)len + 1);
	memcpy(buf, der, (size_t)len);
	buf[len - 1] ^= 0x01;
	ok(csr_parse(buf, (size_t)len, &got, &err) == -1 &&
	    err.code == PICA_E_BADCSR && strstr(err.msg, "signature") != NULL,
	    "wrong signature refused: %s", err.msg);
	memcpy(buf, der, (size_t)len);
	buf[len] = 0;
	ok(csr_parse(buf, (size_t)len + 1, &got, &err) == -1 &&
	    strstr(err.msg, "trailing") != NULL, "trailing data refused");
	ok(csr_parse(der, (size_t)len - 10, &got, &err) == -1 &&
	    err.code == PICA_E_BADCSR, "truncated CSR refused");
	ok(csr_parse("hello", 5, &got, &err) == -1 && err.code == PICA_E_BADCSR,
	    "garbage refused");
	ok(csr_parse(der, 0, &got, &err) == -1, "empty refused");
	ok(csr_parse(der, CSR_MAX_SIZE + 1, &got, &err) == -1 &&
	    strstr(err.msg, "at most") != NULL, "oversized refused unread");
	free(buf);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(ec);

	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), 1, "P-384");
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), 0, "P-521");
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"), 0,
	    "secp256k1");
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), 1, "Ed25519");
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), 0, "Ed448");
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), 0,
	    "RSA 1024");
	check_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), 1,
	    "RSA 2048");
	ok(csr_check_pubkey(NULL, &err) == -1, "no key refused");
	return done();
}
