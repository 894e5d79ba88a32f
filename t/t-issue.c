/*
 * t-issue: the library path from a request to a stored certificate: a CA
 * made by ca_create, then issuance, its checks and the store record.
 */
#include "config.h"

#include "test.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "ca.h"
#include "conf.h"
#include "issue.h"
#include "policy.h"
#include "serial.h"
#include "signer.h"
#include "store.h"

static struct ca	*ca;
static struct store	*st;

/* Issue for names with the fixed key; returns the certificate or NULL. */
static X509 *
issue(EVP_PKEY *key, const char *profile, int64_t lifetime, size_t n,
    char **names, struct pica_err *err)
{
	struct issue_req	 req;
	X509			*cert = NULL;

	memset(&req, 0, sizeof(req));
	req.pubkey = key;
	req.common_name = NULL;
	req.sans = names;
	req.n_sans = n;
	req.profile = profile;
	req.lifetime = lifetime;
	pica_err_clear(err);
	if (issue_cert(ca, st, &req, &cert, err) == -1)
		return NULL;
	return cert;
}

int
main(void)
{
	char		 dir[] = "/tmp/t-issue.XXXXXX", path[300], fpr[128];
	const char	*dns[] = { "ca.test" };
	struct ca_init	 ci = { 0 };
	struct conf	*cf = NULL;
	struct pica_err	 err;
	EVP_PKEY	*key;
	X509		*cert;
	struct cert_rec	 rec = { 0 };
	unsigned char	 sn[STORE_SERIAL_MAX];
	size_t		 snlen;
	char		*names[] = { "DNS:a.test", "IP:192.0.2.1" };
	char		*bad[] = { "DNS:bad.test" };
	char		*wild[] = { "DNS:*.w.test" };
	char		*badip[] = { "IP:300.1.1.1" };
	const char	*tdir;

	plan(25);
	if ((tdir = getenv("PICA_TEMPLATE_DIR")) == NULL)
		tdir = "templates";
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ca", dir);
	ci.dir = path;
	ci.name = "Unit";
	ci.dns = dns;
	ci.n_dns = 1;
	ci.http_url = "http://ca.test";
	ci.template_src = tdir;
	ok(ca_create(&ci, fpr, sizeof(fpr), &err) == 0, "ca_create");
	ok(ca_create(&ci, fpr, sizeof(fpr), &err) == -1 &&
	    err.code == PICA_E_EXISTS, "ca_create refuses to overwrite");
	snprintf(path, sizeof(path), "%s/ca/pica.json", dir);
	ok(conf_load(path, &cf, &err) == 0, "its pica.json loads");
	ok(ca_open(cf, 1, &ca, &err) == 0, "ca_open with the key");
	ok(store_open(cf->db_dir, &st) == 0, "store_open");

	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	cert = issue(key, NULL, 0, 2, names, &err);
	ok(cert != NULL, "issue a.test and an IP");
	if (cert == NULL) {
		diag("%s", err.msg);
		return 1;
	}
	ok(X509_verify(cert, X509_get0_pubkey(ca->cert)) == 1,
	    "signed by the intermediate");
	ok(serial_from_asn1(X509_get0_serialNumber(cert), sn, sizeof(sn),
	    &snlen) == 0 && snlen == SERIAL_LEN, "20-byte serial");
	ok(store_cert_lookup(st, sn, snlen, &rec) == 0, "in the store");
	is_int(rec.status, CERT_GOOD, "stored as good");
	is_int(rec.n_names, 2, "two names stored");
	if (rec.n_names == 2)
		is_str(rec.names[1], "IP:192.0.2.1", "IP name stored");
	else
		ok(0, "IP name stored");
	is_str(rec.profile, "server", "profile recorded");
	is_int(rec.not_after - rec.not_before, 2160 * 3600 + 60,
	    "default validity and backdate");
	{
		unsigned char *der = NULL;
		int len = i2d_X509(cert, &der);
		ok(len > 0 && (size_t)len == rec.der_len &&
		    memcmp(der, rec.der, rec.der_len) == 0,
		    "stored DER is the certificate");
		OPENSSL_free(der);
	}
	cert_rec_free(&rec);
	X509_free(cert);

	ok(issue(key, "nope", 0, 2, names, &err) == NULL &&
	    err.code == PICA_E_PROFILE, "unknown profile: %s", err.msg);
	ok(issue(key, NULL, 9000 * 3600LL, 2, names, &err) == NULL &&
	    err.code == PICA_E_USAGE, "over maxTLSCertDuration: %s", err.msg);
	ok(issue(key, NULL, 60, 2, names, &err) == NULL &&
	    err.code == PICA_E_USAGE, "under minTLSCertDuration");
	policy_deny_dns(cf->policy, "bad.test", &err);
	ok(issue(key, NULL, 0, 1, bad, &err) == NULL &&
	    err.code == PICA_E_REJECTED, "denied name: %s", err.msg);
	cert = issue(key, NULL, 0, 1, wild, &err);
	ok(cert != NULL, "wildcard allowed with no policy written");
	X509_free(cert);
	ok(issue(key, NULL, 0, 1, badip, &err) == NULL &&
	    err.code == PICA_E_REJECTED, "malformed IP: %s", err.msg);
	EVP_PKEY_free(key);

	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ok(issue(key, NULL, 0, 2, names, &err) == NULL &&
	    err.code == PICA_E_BADPUBKEY, "RSA 1024: %s", err.msg);
	EVP_PKEY_free(key);

	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cert = issue(key, "client", 3600, 2, names, &err);
	ok(cert != NULL, "Ed25519 key, client profile, 1h");
	ok(cert != NULL && X509_get_extended_key_usage(cert) == XKU_SSL_CLIENT,
	    "client EKU only");
	X509_free(cert);
	EVP_PKEY_free(key);

	{
		char	*l[] = { "a.b", "10.0.0.1", "u@x.test",
		    "https://x.test/", "DNS:pre.fixed" };
		char	 b[64];
		int	 okk = 1;
		const char *want[] = { "DNS:a.b", "IP:10.0.0.1",
		    "email:u@x.test", "URI:https://x.test/", "DNS:pre.fixed" };
		for (int i = 0; i < 5; i++)
			if (issue_typed_name(l[i], b, sizeof(b)) == -1 ||
			    strcmp(b, want[i]) != 0)
				okk = 0;
		ok(okk, "issue_typed_name types names");
	}

	store_close(st);
	ca_free(ca);
	conf_free(cf);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("cleanup failed");
	return done();
}
