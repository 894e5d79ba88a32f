#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "util.h"

#define CSR_MAX_NAMES	100

int
csr_check_pubkey(EVP_PKEY *pk, struct pica_err *err)
{
	int		 rc = -1, bits;
	char		 group[32];
	BIGNUM		*e = NULL;
	EVP_PKEY_CTX	*ctx = NULL;

	if (pk == NULL)
		return pica_err_set(err, PICA_E_BADPUBKEY, "no public key");
	bits = EVP_PKEY_get_bits(pk);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		if (bits < 2048 || bits > 8192) {
			pica_err_set(err, PICA_E_BADPUBKEY, "RSA key of %d "
			    "bits: pica accepts 2048 to 8192", bits);
			goto out;
		}
		if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e)) {
			pica_err_ssl(err, PICA_E_BADPUBKEY, "RSA key");
			goto out;
		}
		/* Exponent 1 or an even one makes no RSA key at all. */
		if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 256) {
			pica_err_set(err, PICA_E_BADPUBKEY,
			    "RSA key with a bad public exponent");
			goto out;
		}
		break;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pk,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
		    (strcmp(group, "prime256v1") != 0 &&
		    strcmp(group, "secp384r1") != 0)) {
			pica_err_set(err, PICA_E_BADPUBKEY, "EC key on a curve "
			    "pica does not accept (P-256 or P-384)");
			goto out;
		}
		break;
	case EVP_PKEY_ED25519:
		break;
	default:
		pica_err_set(err, PICA_E_BADPUBKEY, "%s keys are not accepted "
		    "(RSA, EC P-256/P-384 or Ed25519)",
		    OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		goto out;
	}
	/* A point off the curve or a malformed modulus stops here. */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_public_check(ctx) != 1) {
		pica_err_ssl(err, PICA_E_BADPUBKEY, "invalid public key");
		goto out;
	}
	rc = 0;
out:
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int
csr_parse(const void *buf, size_t len, X509_REQ **out, struct pica_err *err)
{
	int			 rc = -1;
	BIO			*bio = NULL;
	X509_REQ		*req = NULL;
	const unsigned char	*p = buf;
	EVP_PKEY		*pk;

	*out = NULL;
	if (len == 0 || len > CSR_MAX_SIZE) {
		pica_err_set(err, PICA_E_BADCSR, "CSR of %zu bytes (at most "
		    "%d)", len, CSR_MAX_SIZE);
		goto out;
	}
	if (len > 10 && memmem(buf, len, "-----BEGIN", 10) != NULL) {
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
			goto ssl;
		req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	} else {
		req = d2i_X509_REQ(NULL, &p, (long)len);
		if (req != NULL && p != (const unsigned char *)buf + len) {
			pica_err_set(err, PICA_E_BADCSR,
			    "trailing data after the CSR");
			goto out;
		}
	}
	if (req == NULL) {
		pica_err_ssl(err, PICA_E_BADCSR,
		    "not a certificate request (PEM or DER PKCS#10)");
		goto out;
	}
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL) {
		pica_err_ssl(err, PICA_E_BADPUBKEY, "CSR public key");
		goto out;
	}
	if (csr_check_pubkey(pk, err) == -1)
		goto out;
	if (X509_REQ_verify(req, pk) != 1) {
		pica_err_ssl(err, PICA_E_BADCSR, "CSR signature does not "
		    "verify with its own key");
		goto out;
	}
	*out = req;
	req = NULL;
	rc = 0;
	goto out;
ssl:
	pica_err_ssl(err, PICA_E_INTERNAL, "reading CSR");
out:
	X509_REQ_free(req);
	BIO_free(bio);
	return rc;
}

void
csr_names_free(char **names, size_t n)
{
	size_t	 i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* One GENERAL_NAME as "TYPE:value"; NULL with err for what pica skips. */
static char *
csr_general_name(const GENERAL_NAME *gn, struct pica_err *err)
{
	char			 buf[1100], ip[INET6_ADDRSTRLEN];
	const ASN1_STRING	*s;
	const char		*type;
	int			 len;

	switch (gn->type) {
	case GEN_DNS:
		type = "DNS";
		s = gn->d.dNSName;
		break;
	case GEN_EMAIL:
		type = "email";
		s = gn->d.rfc822Name;
		break;
	case GEN_URI:
		type = "URI";
		s = gn->d.uniformResourceIdentifier;
		break;
	case GEN_IPADD:
		s = gn->d.iPAddress;
		if (s->length == 4)
			inet_ntop(AF_INET, s->data, ip, sizeof(ip));
		else if (s->length == 16)
			inet_ntop(AF_INET6, s->data, ip, sizeof(ip));
		else {
			pica_err_set(err, PICA_E_BADCSR,
			    "IP address SAN of %d bytes", s->length);
			return NULL;
		}
		snprintf(buf, sizeof(buf), "IP:%s", ip);
		return xstrdup(buf);
	default:
		pica_err_set(err, PICA_E_BADCSR, "unsupported SAN type %d "
		    "(DNS, IP, email and URI are)", gn->type);
		return NULL;
	}
	len = ASN1_STRING_length(s);
	if (len <= 0 || len > 1024 ||
	    memchr(ASN1_STRING_get0_data(s), '\0', (size_t)len) != NULL) {
		pica_err_set(err, PICA_E_BADCSR, "%s SAN empty, too long or "
		    "holding NUL", type);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s:%.*s", type, len,
	    (const char *)ASN1_STRING_get0_data(s));
	return xstrdup(buf);
}

int
csr_general_names(const GENERAL_NAMES *gens, char ***names, size_t *n,
    struct pica_err *err)
{
	int	 i, count = sk_GENERAL_NAME_num(gens);
	char	**v;

	*names = NULL;
	*n = 0;
	if (count > CSR_MAX_NAMES)
		return pica_err_set(err, PICA_E_BADCSR, "%d names: at most %d",
		    count, CSR_MAX_NAMES);
	v = xcalloc((size_t)count + 1, sizeof(char *));
	for (i = 0; i < count; i++)
		if ((v[i] = csr_general_name(sk_GENERAL_NAME_value(gens, i),
		    err)) == NULL) {
			csr_names_free(v, (size_t)i);
			return -1;
		}
	*names = v;
	*n = (size_t)count;
	return 0;
}

int
csr_names(X509_REQ *req, char **cn, char ***names, size_t *n,
    struct pica_err *err)
{
	int				 rc = -1, idx, crit;
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	GENERAL_NAMES			*gens = NULL;
	X509_NAME_ENTRY			*ne;
	unsigned char			*utf8 = NULL;
	int				 len;

	*cn = NULL;
	*names = NULL;
	*n = 0;
	idx = X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req),
	    NID_commonName, -1);
	if (idx >= 0) {
		ne = X509_NAME_get_entry(X509_REQ_get_subject_name(req), idx);
		len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ne));
		if (len < 0 || len > 1024 ||
		    memchr(utf8, '\0', (size_t)len) != NULL) {
			pica_err_set(err, PICA_E_BADCSR,
			    "unreadable subject common name");
			goto out;
		}
		*cn = strndup((char *)utf8, (size_t)len);
	}
	exts = X509_REQ_get_extensions(req);
	if (exts != NULL) {
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
		if (gens == NULL && crit != -1) {
			pica_err_set(err, PICA_E_BADCSR,
			    "malformed subjectAltName extension");
			goto out;
		}
	}
	if (gens != NULL && csr_general_names(gens, names, n, err) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1) {
		free(*cn);
		*cn = NULL;
	}
	OPENSSL_free(utf8);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}
