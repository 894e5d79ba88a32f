#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "p11.h"
#include "signer.h"
#include "util.h"

#define SIGNER_MAX_PEM	(64 * 1024)

int
signer_load(const char *ref, const char *module, EVP_PKEY **out,
    struct pica_err *err)
{
	int		 rc = -1;
	char		*pem = NULL;
	size_t		 len = 0;
	BIO		*bio = NULL;

	*out = NULL;
	if (strncmp(ref, "pkcs11:", 7) == 0)
		return p11_key_load(ref, module, out, err);
	if (util_read_file(ref, SIGNER_MAX_PEM, &pem, &len, err) == -1)
		goto out;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "%s", ref);
		goto out;
	}
	/* An empty passphrase callback: encrypted keys fail, never prompt. */
	*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	if (*out == NULL) {
		pica_err_ssl(err, PICA_E_CONFIG, "%s: not a PEM private key",
		    ref);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	if (pem != NULL) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	return rc;
}

const EVP_MD *
signer_md(const EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_bits(key) > 256)
			return EVP_sha384();
		return EVP_sha256();
	default:
		return EVP_sha256();
	}
}

int
signer_keygen(const char *kty, int bits, EVP_PKEY **out, struct pica_err *err)
{
	*out = NULL;
	if (strcasecmp(kty, "EC") == 0) {
		if (bits == 0)
			bits = 256;
		if (bits != 256 && bits != 384)
			return pica_err_set(err, PICA_E_USAGE, "EC keys are "
			    "P-256 or P-384 (--size 256 or 384), not %d", bits);
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    bits == 256 ? "P-256" : "P-384");
	} else if (strcasecmp(kty, "RSA") == 0) {
		if (bits == 0)
			bits = 2048;
		if (bits < 2048 || bits > 8192 || bits % 8 != 0)
			return pica_err_set(err, PICA_E_USAGE, "RSA keys are "
			    "2048 to 8192 bits, not %d", bits);
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (strcasecmp(kty, "OKP") == 0 ||
	    strcasecmp(kty, "Ed25519") == 0) {
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else
		return pica_err_set(err, PICA_E_USAGE, "unknown key type \"%s\""
		    " (EC, RSA or OKP)", kty);
	if (*out == NULL)
		return pica_err_ssl(err, PICA_E_INTERNAL, "key generation");
	return 0;
}

int
signer_write_key(const char *path, EVP_PKEY *key, struct pica_err *err)
{
	int	 rc = -1;
	BIO	*bio = NULL;
	char	*data;
	long	 len;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		pica_err_ssl(err, PICA_E_INTERNAL, "%s: encoding key", path);
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (util_write_file(path, data, (size_t)len, 0600, 0, err) == -1)
		goto out;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

int
signer_matches(EVP_PKEY *key, X509 *cert)
{
	EVP_PKEY	*pub = X509_get0_pubkey(cert);

	return pub != NULL && EVP_PKEY_eq(key, pub) == 1;
}
