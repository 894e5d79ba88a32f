/*
 * t-conf: pica.json parsing, defaults and error messages.
 */
#include "config.h"

#include "test.h"

#include "conf.h"
#include "policy.h"

#define BASE_NOKEY \
	"\"crt\": \"certs/int.pem\", \"db\": {\"dataSource\": \"db\"}"
#define BASE \
	"\"root\": \"certs/root.pem\", \"crt\": \"certs/int.pem\", " \
	"\"key\": \"secrets/int.key\", \"db\": {\"dataSource\": \"db\"}"

/* Parse text, expecting failure with a message containing want. */
static void
bad(const char *text, const char *want)
{
	struct conf	*cf = NULL;
	struct pica_err	 err;
	int		 r;

	pica_err_clear(&err);
	r = conf_parse("/etc/pica/pica.json", text, &cf, &err);
	if (!ok(r == -1 && cf == NULL && err.code == PICA_E_CONFIG &&
	    strstr(err.msg, want) != NULL, "refused: %s", want))
		diag("got %d: %s", r, err.msg);
	conf_free(cf);
}

int
main(void)
{
	struct conf	*cf = NULL;
	struct pica_err	 err;
	struct pica_err	 perr;

	plan(55);

	ok(conf_parse("/srv/ca/pica.json", "{" BASE "}", &cf, &err) == 0,
	    "minimal config");
	is_str(cf->root, "/srv/ca/certs/root.pem", "root relative to the file");
	is_str(cf->db_dir, "/srv/ca/db", "db.dataSource relative");
	is_str(cf->template_dir, "/srv/ca/templates", "templates default");
	is_str(cf->www_dir, "/srv/ca/www", "www default");
	is_int(cf->claims_default_dur, 2160 * 3600, "default duration 2160h");
	is_int(cf->claims_max_dur, 8760 * 3600, "max duration 8760h");
	is_int(cf->claims_min_dur, 300, "min duration 5m");
	is_int(cf->backdate, 60, "backdate 1m");
	is_int(cf->crl_cache_duration, 86400, "crl.cacheDuration 24h");
	is_int(cf->http_port, 80, "acme.httpPort 80");
	is_int(cf->tls_port, 443, "acme.tlsPort 443");
	is_int(cf->n_profiles, 6, "six shipped profiles");
	is_str(cf->default_profile, "server", "default profile server");
	is_str(conf_profile_path(cf, "ocsp"), "/srv/ca/templates/ocsp.tpl",
	    "profile path");
	ok(conf_profile_path(cf, "nope") == NULL, "unknown profile");
	is_int(cf->n_challenges, 3, "three challenge types");
	ok(cf->crl_idp_url == NULL, "no CRL URL without a URL to derive it");
	conf_free(cf);

	ok(conf_parse("/srv/ca/pica.json", "{" BASE_NOKEY ", \"externalURL\": "
	    "\"https://ca.lan:8443/\", \"root\": [\"a.pem\", \"b.pem\"], "
	    "\"key\": \"pkcs11:token=pica;object=int\", "
	    "\"authority\": {\"claims\": {\"defaultTLSCertDuration\": \"24h\","
	    " \"maxTLSCertDuration\": \"1h30m\", \"minTLSCertDuration\": "
	    "\"90s\"}, \"backdate\": \"0s\"}}", &cf, &err) == -1,
	    "default above max refused");
	is_str(err.msg, "/srv/ca/pica.json: \"authority.claims."
	    "defaultTLSCertDuration\": outside minTLSCertDuration.."
	    "maxTLSCertDuration", "message names file and key");

	ok(conf_parse("/srv/ca/pica.json", "{" BASE_NOKEY ", \"externalURL\": "
	    "\"https://ca.lan:8443/\", \"root\": [\"a.pem\", \"b.pem\"], "
	    "\"key\": \"pkcs11:token=pica;object=int\", "
	    "\"authority\": {\"claims\": {\"defaultTLSCertDuration\": \"1h\","
	    " \"maxTLSCertDuration\": \"1h30m\", \"minTLSCertDuration\": "
	    "\"90s\"}, \"backdate\": \"0s\", \"policy\": {\"x509\": {"
	    "\"allow\": {\"dns\": [\"*.lan\"], \"ips\": [\"10.0.0.0/8\"]}, "
	    "\"deny\": {\"dns\": [\"bad.lan\"]}}}}, "
	    "\"acme\": {\"profiles\": {\"web\": \"/t/web.tpl\"}, "
	    "\"challenges\": [\"dns-01\"], \"httpPort\": 5002, "
	    "\"resolver\": \"127.0.0.1:8053\", \"eabRequired\": true}, "
	    "\"ocsp\": {\"validity\": \"12h\"}}", &cf, &err) == 0,
	    "full config");
	if (cf == NULL) {
		diag("%s", err.msg);
		return 1;
	}
	is_str(cf->external_url, "https://ca.lan:8443", "trailing / dropped");
	is_str(cf->http_url, "http://ca.lan", "httpURL derived without port");
	is_str(cf->crl_idp_url, "http://ca.lan/crl", "CRL URL derived");
	is_str(cf->ocsp_url, "http://ca.lan/ocsp", "OCSP URL derived");
	is_str(cf->root, "/srv/ca/a.pem", "first root of a list");
	is_str(cf->key, "pkcs11:token=pica;object=int", "pkcs11 URI kept");
	is_int(cf->claims_max_dur, 5400, "1h30m");
	is_int(cf->backdate, 0, "backdate 0s");
	is_int(cf->n_profiles, 1, "acme.profiles replaces the shipped list");
	is_str(cf->default_profile, "web", "default is the only profile");
	is_int(cf->http_port, 5002, "httpPort");
	ok(cf->eab_required == 1, "eabRequired");
	is_int(cf->ocsp_validity, 12 * 3600, "ocsp.validity");
	ok(policy_check_dns(cf->policy, "a.lan", &perr) == 0, "policy allows");
	ok(policy_check_dns(cf->policy, "bad.lan", &perr) == -1,
	    "policy denies");
	ok(policy_check_dns(cf->policy, "*.x.lan", &perr) == -1,
	    "a written policy refuses wildcards by default");
	conf_free(cf);

	bad("{" BASE ", \"adress\": \":443\"}", "\"adress\": unknown key");
	bad("{" BASE ", \"crl\": {\"cacheDuration\": \"24x\"}}",
	    "\"crl.cacheDuration\": bad duration \"24x\"");
	bad("{" BASE ", \"crl\": {\"enabled\": \"yes\"}}",
	    "\"crl.enabled\": must be true or false");
	bad("{" BASE ", \"acme\": {\"httpPort\": 70000}}",
	    "\"acme.httpPort\": 70000 is not a port");
	bad("{" BASE ", \"acme\": {\"resolver\": \"dns.example:53\"}}",
	    "\"acme.resolver\": \"dns.example:53\" is not ADDR[:PORT]");
	bad("{" BASE ", \"acme\": {\"challenges\": [\"http-02\"]}}",
	    "unknown challenge type \"http-02\"");
	bad("{" BASE ", \"externalURL\": \"http://ca.lan\"}",
	    "\"externalURL\": \"http://ca.lan\" is not an https:// URL");
	bad("{" BASE ", \"authority\": {\"policy\": {\"x509\": {\"allow\": "
	    "{\"ips\": [\"10.0.0.0/33\"]}}}}}",
	    "\"authority.policy.x509.allow.ips\"");
	bad("{\"crt\": \"c\", \"key\": \"k\", \"db\": {\"dataSource\": \"d\"}}",
	    "\"root\": missing");
	bad("{" BASE ", \"crt\": \"a\", \"crt\": \"b\"}", "duplicate");
	bad("{\"root\": \"r\", \"crt\": \"c\", \"key\": \"k\", \"db\": {"
	    "\"type\": \"badgerv2\", \"dataSource\": \"x\"}}",
	    "\"db.type\": \"badgerv2\" is not supported");

	/* kms.uri: module-path in the query (RFC 7512) or the path (step-ca). */
	ok(conf_parse("/srv/ca/pica.json", "{" BASE ", \"kms\": {\"type\": "
	    "\"pkcs11\", \"uri\": \"pkcs11:token=pica?module-path=/usr/lib/"
	    "softhsm/libsofthsm2.so\"}}", &cf, &err) == 0, "kms.uri, query");
	is_str(cf ? cf->pkcs11_module : NULL, "/usr/lib/softhsm/libsofthsm2.so",
	    "module-path from the query");
	conf_free(cf);
	cf = NULL;
	ok(conf_parse("/srv/ca/pica.json", "{" BASE ", \"kms\": {\"uri\": "
	    "\"pkcs11:module-path=/opt/my%20hsm/p11.so;token=x\"}}", &cf,
	    &err) == 0, "kms.uri, step-ca style");
	is_str(cf ? cf->pkcs11_module : NULL, "/opt/my hsm/p11.so",
	    "module-path from the path part, percent-decoded");
	conf_free(cf);
	cf = NULL;
	bad("{" BASE ", \"kms\": {\"uri\": \"pkcs11:token=x?module-path=/m.so"
	    "&pin-value=1234\"}}", "\"kms.uri\": pin-value is refused");
	bad("{" BASE ", \"kms\": {\"uri\": \"pkcs11:token=x\"}}",
	    "\"kms.uri\": names no module-path");
	bad("{" BASE ", \"kms\": {\"type\": \"awskms\"}}",
	    "\"kms.type\": \"awskms\" is not supported");
	return done();
}
