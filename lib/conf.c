#include "config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <p11-kit/uri.h>

#include "conf.h"
#include "duration.h"
#include "policy.h"
#include "util.h"

#define CONF_MAX_SIZE	(1024 * 1024)
#define CONF_MAX_LIST	256

/* Shipped profiles, in the order the ACME directory lists them. */
static const char *const conf_shipped_profiles[] = {
	"server", "client", "ocsp", "email", "codesign", "timestamp", NULL
};

/* What a reader of one object needs to name the key it complains about. */
struct conf_ctx {
	const char		*file;
	struct pica_err		*err;
};

static int
conf_fail(struct conf_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
conf_fail(struct conf_ctx *c, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[384];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pica_err_set(c->err, PICA_E_CONFIG, "%s: \"%s\": %s", c->file,
	    key, msg);
}

/* Join a parent key path and a member name ("crl" + "cacheDuration"). */
static void
conf_key(char *buf, size_t len, const char *prefix, const char *name)
{
	if (prefix == NULL || prefix[0] == '\0')
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s.%s", prefix, name);
}

/* Refuse members of obj that are not in allowed. */
static int
conf_check_keys(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *const allowed[])
{
	const char	*k;
	json_t		*v;
	size_t		 i;
	char		 key[256];

	json_object_foreach(obj, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			conf_key(key, sizeof(key), prefix, k);
			return conf_fail(c, key, "unknown key");
		}
	}
	return 0;
}

/* The member name of obj, which must be an object when present. */
static int
conf_get_obj(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *name, json_t **out)
{
	char	 key[256];

	*out = json_object_get(obj, name);
	if (*out == NULL || json_is_object(*out))
		return 0;
	conf_key(key, sizeof(key), prefix, name);
	return conf_fail(c, key, "must be an object");
}

static int
conf_get_str(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *name, char **out)
{
	json_t	*v;
	char	 key[256];

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	conf_key(key, sizeof(key), prefix, name);
	if (!json_is_string(v))
		return conf_fail(c, key, "must be a string");
	if (json_string_length(v) == 0)
		return conf_fail(c, key, "must not be empty");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return conf_fail(c, key, "must not contain NUL");
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* A path: relative ones are taken from the config file's directory. */
static int
conf_get_path(struct conf_ctx *c, struct conf *cf, json_t *obj,
    const char *prefix, const char *name, char **out)
{
	char	*s = NULL, *p;

	if (conf_get_str(c, obj, prefix, name, &s) == -1)
		return -1;
	if (s == NULL)
		return 0;
	/* PKCS#11 URIs are references, not paths. */
	if (strncmp(s, "pkcs11:", 7) == 0)
		p = s;
	else {
		p = util_path_join(cf->dir, s);
		free(s);
		if (p == NULL)
			return pica_err_set(c->err, PICA_E_INTERNAL,
			    "out of memory");
	}
	free(*out);
	*out = p;
	return 0;
}

static int
conf_get_bool(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *name, int *out)
{
	json_t	*v;
	char	 key[256];

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		conf_key(key, sizeof(key), prefix, name);
		return conf_fail(c, key, "must be true or false");
	}
	*out = json_is_true(v);
	return 0;
}

static int
conf_get_port(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *name, int *out)
{
	json_t		*v;
	json_int_t	 n;
	char		 key[256];

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	conf_key(key, sizeof(key), prefix, name);
	if (!json_is_integer(v))
		return conf_fail(c, key, "must be an integer");
	n = json_integer_value(v);
	if (n < 1 || n > 65535)
		return conf_fail(c, key, "%lld is not a port (1-65535)",
		    (long long)n);
	*out = (int)n;
	return 0;
}

static int
conf_get_dur(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *name, int64_t *out)
{
	json_t	*v;
	int64_t	 sec;
	char	 key[256];

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	conf_key(key, sizeof(key), prefix, name);
	if (!json_is_string(v))
		return conf_fail(c, key, "must be a duration string such as "
		    "\"24h\" or \"1h30m\"");
	if (duration_parse_sec(json_string_value(v), &sec) == -1)
		return conf_fail(c, key, "bad duration \"%s\" (use Go syntax: "
		    "\"2160h\", \"90m\", \"1h30m\")", json_string_value(v));
	if (sec < 0)
		return conf_fail(c, key, "must not be negative");
	*out = sec;
	return 0;
}

/* A rate "N/DURATION" ("300/3h"); "0/1h" turns the limit off. */
static int
conf_get_rate(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *name, int64_t *n, int64_t *window)
{
	json_t		*v;
	const char	*s, *slash;
	char		*end, key[256];
	long long	 count;
	int64_t		 sec;

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	conf_key(key, sizeof(key), prefix, name);
	if (!json_is_string(v) ||
	    (slash = strchr(s = json_string_value(v), '/')) == NULL)
		return conf_fail(c, key, "must be \"COUNT/DURATION\", such as "
		    "\"300/3h\"");
	count = strtoll(s, &end, 10);
	if (end != slash || count < 0 || count > 1000000000 ||
	    duration_parse_sec(slash + 1, &sec) == -1 || sec <= 0)
		return conf_fail(c, key, "bad rate \"%s\" (COUNT/DURATION, "
		    "such as \"300/3h\")", s);
	*n = count;
	*window = sec;
	return 0;
}

/* An array of non-empty strings (a lone string is taken as one). */
static int
conf_get_strs(struct conf_ctx *c, json_t *obj, const char *prefix,
    const char *name, char ***out, size_t *n)
{
	json_t	*v, *e;
	size_t	 i;
	char	 key[256];

	if ((v = json_object_get(obj, name)) == NULL)
		return 0;
	conf_key(key, sizeof(key), prefix, name);
	if (json_is_string(v)) {
		v = json_pack("[O]", v);
	} else if (json_is_array(v))
		json_incref(v);
	else
		return conf_fail(c, key, "must be an array of strings");
	if (json_array_size(v) > CONF_MAX_LIST) {
		json_decref(v);
		return conf_fail(c, key, "more than %d entries", CONF_MAX_LIST);
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    strlen(json_string_value(e)) != json_string_length(e)) {
			json_decref(v);
			return conf_fail(c, key, "entry %zu must be a non-empty "
			    "string", i);
		}
	}
	*out = xcalloc(json_array_size(v) + 1, sizeof(char *));
	*n = json_array_size(v);
	json_array_foreach(v, i, e)
		(*out)[i] = xstrdup(json_string_value(e));
	json_decref(v);
	return 0;
}

static void
conf_free_strs(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* authority.policy.x509.{allow,deny}.{dns,ips} and allowWildcardNames. */
static int
conf_read_policy(struct conf_ctx *c, struct conf *cf, json_t *pol)
{
	static const char *const pkeys[] = { "x509", NULL };
	static const char *const xkeys[] = { "allow", "deny",
	    "allowWildcardNames", NULL };
	static const char *const lkeys[] = { "dns", "ips", NULL };
	static const char *const sides[] = { "allow", "deny" };
	json_t		*x509, *side;
	char		**names = NULL;
	size_t		 n = 0, i, s;
	int		 wild = 0, rc = -1;
	char		 prefix[128], key[256];
	struct pica_err	 perr;

	if (conf_check_keys(c, pol, "authority.policy", pkeys) == -1 ||
	    conf_get_obj(c, pol, "authority.policy", "x509", &x509) == -1)
		goto out;
	if (x509 == NULL) {
		rc = 0;
		goto out;
	}
	if (conf_check_keys(c, x509, "authority.policy.x509", xkeys) == -1 ||
	    conf_get_bool(c, x509, "authority.policy.x509",
	    "allowWildcardNames", &wild) == -1)
		goto out;
	/* As in step-ca: once a policy is written, wildcards need a yes. */
	policy_set_wildcards(cf->policy, wild);
	for (s = 0; s < 2; s++) {
		snprintf(prefix, sizeof(prefix), "authority.policy.x509.%s",
		    sides[s]);
		if (conf_get_obj(c, x509, "authority.policy.x509", sides[s],
		    &side) == -1)
			goto out;
		if (side == NULL)
			continue;
		if (conf_check_keys(c, side, prefix, lkeys) == -1)
			goto out;
		for (int k = 0; k < 2; k++) {
			if (conf_get_strs(c, side, prefix, lkeys[k], &names,
			    &n) == -1)
				goto out;
			for (i = 0; i < n; i++) {
				int r;
				if (k == 0)
					r = s == 0 ?
					    policy_allow_dns(cf->policy,
					    names[i], &perr) :
					    policy_deny_dns(cf->policy,
					    names[i], &perr);
				else
					r = s == 0 ?
					    policy_allow_ip(cf->policy,
					    names[i], &perr) :
					    policy_deny_ip(cf->policy,
					    names[i], &perr);
				if (r == -1) {
					conf_key(key, sizeof(key), prefix,
					    lkeys[k]);
					conf_fail(c, key, "%s", perr.msg);
					goto out;
				}
			}
			conf_free_strs(names, n);
			names = NULL;
			n = 0;
		}
	}
	rc = 0;
out:
	conf_free_strs(names, n);
	return rc;
}

static int
conf_read_authority(struct conf_ctx *c, struct conf *cf, json_t *auth)
{
	static const char *const akeys[] = { "claims", "backdate", "policy",
	    NULL };
	static const char *const ckeys[] = { "defaultTLSCertDuration",
	    "maxTLSCertDuration", "minTLSCertDuration", NULL };
	json_t	*claims, *pol;

	if (conf_check_keys(c, auth, "authority", akeys) == -1 ||
	    conf_get_dur(c, auth, "authority", "backdate", &cf->backdate) == -1 ||
	    conf_get_obj(c, auth, "authority", "claims", &claims) == -1 ||
	    conf_get_obj(c, auth, "authority", "policy", &pol) == -1)
		return -1;
	if (claims != NULL &&
	    (conf_check_keys(c, claims, "authority.claims", ckeys) == -1 ||
	    conf_get_dur(c, claims, "authority.claims",
	    "defaultTLSCertDuration", &cf->claims_default_dur) == -1 ||
	    conf_get_dur(c, claims, "authority.claims",
	    "maxTLSCertDuration", &cf->claims_max_dur) == -1 ||
	    conf_get_dur(c, claims, "authority.claims",
	    "minTLSCertDuration", &cf->claims_min_dur) == -1))
		return -1;
	if (cf->claims_min_dur > cf->claims_max_dur)
		return conf_fail(c, "authority.claims.minTLSCertDuration",
		    "longer than maxTLSCertDuration");
	if (cf->claims_default_dur < cf->claims_min_dur ||
	    cf->claims_default_dur > cf->claims_max_dur)
		return conf_fail(c, "authority.claims.defaultTLSCertDuration",
		    "outside minTLSCertDuration..maxTLSCertDuration");
	if (pol != NULL && conf_read_policy(c, cf, pol) == -1)
		return -1;
	return 0;
}

static int
conf_add_profile(struct conf *cf, const char *name, char *path)
{
	cf->profiles = reallocarray(cf->profiles, cf->n_profiles + 1,
	    sizeof(*cf->profiles));
	if (cf->profiles == NULL)
		abort();
	cf->profiles[cf->n_profiles].name = xstrdup(name);
	cf->profiles[cf->n_profiles].path = path;
	cf->n_profiles++;
	return 0;
}

/* acme.resolver: an IPv4 DNS server, "ADDR" or "ADDR:PORT". */
static int
conf_check_resolver(struct conf_ctx *c, const char *s)
{
	char		 addr[64];
	const char	*colon = strchr(s, ':');
	unsigned char	 bin[4];
	char		*end;
	long		 port = 53;

	if (strlen(s) >= sizeof(addr))
		return conf_fail(c, "acme.resolver", "too long");
	snprintf(addr, sizeof(addr), "%.*s", colon ? (int)(colon - s) :
	    (int)strlen(s), s);
	if (colon != NULL)
		port = strtol(colon + 1, &end, 10);
	if (inet_pton(AF_INET, addr, bin) != 1 ||
	    (colon != NULL && (*end != '\0' || port < 1 || port > 65535)))
		return conf_fail(c, "acme.resolver", "\"%s\" is not "
		    "ADDR[:PORT] of an IPv4 DNS server", s);
	return 0;
}

/* A profile name goes into URLs and file names: keep it plain. */
static int
conf_profile_name_ok(const char *name)
{
	size_t	 i, len = strlen(name);

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    name[i] == '-' || name[i] == '_' || name[i] == '.'))
			return 0;
	return name[0] != '.';
}

static int
conf_read_acme(struct conf_ctx *c, struct conf *cf, json_t *acme)
{
	static const char *const keys[] = { "profiles", "defaultProfile",
	    "challenges", "httpPort", "tlsPort", "resolver", "eabRequired",
	    "rateLimits", NULL };
	static const char *const rlkeys[] = { "ordersPerAccount",
	    "accountsPerIP", NULL };
	json_t		*rl;
	static const char *const known_challenges[] = { "http-01", "dns-01",
	    "tls-alpn-01", NULL };
	json_t		*profiles, *v;
	const char	*name;
	char		*path, key[256];
	size_t		 i, j;

	if (conf_check_keys(c, acme, "acme", keys) == -1 ||
	    conf_get_obj(c, acme, "acme", "rateLimits", &rl) == -1 ||
	    (rl != NULL && (conf_check_keys(c, rl, "acme.rateLimits",
	    rlkeys) == -1 ||
	    conf_get_rate(c, rl, "acme.rateLimits", "ordersPerAccount",
	    &cf->rl_orders_n, &cf->rl_orders_window) == -1 ||
	    conf_get_rate(c, rl, "acme.rateLimits", "accountsPerIP",
	    &cf->rl_accounts_n, &cf->rl_accounts_window) == -1)) ||
	    conf_get_obj(c, acme, "acme", "profiles", &profiles) == -1 ||
	    conf_get_str(c, acme, "acme", "defaultProfile",
	    &cf->default_profile) == -1 ||
	    conf_get_port(c, acme, "acme", "httpPort", &cf->http_port) == -1 ||
	    conf_get_port(c, acme, "acme", "tlsPort", &cf->tls_port) == -1 ||
	    conf_get_str(c, acme, "acme", "resolver", &cf->resolver) == -1 ||
	    conf_get_bool(c, acme, "acme", "eabRequired",
	    &cf->eab_required) == -1)
		return -1;
	if (cf->resolver != NULL && conf_check_resolver(c, cf->resolver) == -1)
		return -1;
	if (json_object_get(acme, "challenges") != NULL) {
		conf_free_strs(cf->challenges, cf->n_challenges);
		cf->challenges = NULL;
		cf->n_challenges = 0;
		if (conf_get_strs(c, acme, "acme", "challenges",
		    &cf->challenges, &cf->n_challenges) == -1)
			return -1;
		for (i = 0; i < cf->n_challenges; i++) {
			for (j = 0; known_challenges[j] != NULL; j++)
				if (strcmp(cf->challenges[i],
				    known_challenges[j]) == 0)
					break;
			if (known_challenges[j] == NULL)
				return conf_fail(c, "acme.challenges",
				    "unknown challenge type \"%s\" (known: "
				    "http-01, dns-01, tls-alpn-01)",
				    cf->challenges[i]);
		}
	}
	if (profiles == NULL)
		return 0;
	json_object_foreach(profiles, name, v) {
		conf_key(key, sizeof(key), "acme.profiles", name);
		if (!conf_profile_name_ok(name))
			return conf_fail(c, key, "profile names use letters, "
			    "digits, '-', '_' and '.' (at most 64)");
		if (!json_is_string(v) || json_string_length(v) == 0)
			return conf_fail(c, key, "must be a template path");
		if ((path = util_path_join(cf->dir,
		    json_string_value(v))) == NULL)
			return pica_err_set(c->err, PICA_E_INTERNAL,
			    "out of memory");
		conf_add_profile(cf, name, path);
	}
	return 0;
}

static int
conf_read_crl(struct conf_ctx *c, struct conf *cf, json_t *crl)
{
	static const char *const keys[] = { "enabled", "cacheDuration",
	    "generateOnRevoke", "idpURL", NULL };

	if (conf_check_keys(c, crl, "crl", keys) == -1 ||
	    conf_get_bool(c, crl, "crl", "enabled", &cf->crl_enabled) == -1 ||
	    conf_get_dur(c, crl, "crl", "cacheDuration",
	    &cf->crl_cache_duration) == -1 ||
	    conf_get_bool(c, crl, "crl", "generateOnRevoke",
	    &cf->crl_generate_on_revoke) == -1 ||
	    conf_get_str(c, crl, "crl", "idpURL", &cf->crl_idp_url) == -1)
		return -1;
	if (cf->crl_cache_duration == 0)
		return conf_fail(c, "crl.cacheDuration", "must be positive");
	return 0;
}

static int
conf_read_ocsp(struct conf_ctx *c, struct conf *cf, json_t *ocsp)
{
	static const char *const keys[] = { "cert", "key", "validity", "url",
	    NULL };

	if (conf_check_keys(c, ocsp, "ocsp", keys) == -1 ||
	    conf_get_path(c, cf, ocsp, "ocsp", "cert", &cf->ocsp_cert) == -1 ||
	    conf_get_path(c, cf, ocsp, "ocsp", "key", &cf->ocsp_key) == -1 ||
	    conf_get_dur(c, ocsp, "ocsp", "validity", &cf->ocsp_validity) == -1 ||
	    conf_get_str(c, ocsp, "ocsp", "url", &cf->ocsp_url) == -1)
		return -1;
	if (cf->ocsp_validity == 0)
		return conf_fail(c, "ocsp.validity", "must be positive");
	return 0;
}

/*
 * The value of attr in the path part of a pkcs11: URI, %-escapes
 * decoded, or NULL.  step-ca writes "pkcs11:module-path=...;token=..."
 * where RFC 7512 puts module-path in the query.
 */
static char *
conf_path_attr(const char *uri, const char *attr)
{
	const char	*p = uri + 7, *end;
	size_t		 n = strlen(attr), len, i, j;
	char		*v;
	int		 hi, lo;

	if (strncmp(uri, "pkcs11:", 7) != 0)
		return NULL;
	for (;;) {
		len = strcspn(p, ";?");
		if (len > n && strncmp(p, attr, n) == 0 && p[n] == '=')
			break;
		if (p[len] != ';')
			return NULL;
		p += len + 1;
	}
	p += n + 1;
	end = uri + (p - uri) + strcspn(p, ";?");
	v = xcalloc(1, (size_t)(end - p) + 1);
	for (i = j = 0; p + i < end; i++) {
		if (p[i] == '%' && p + i + 2 < end &&
		    (hi = util_hexval(p[i + 1])) >= 0 &&
		    (lo = util_hexval(p[i + 2])) >= 0) {
			v[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			v[j++] = p[i];
	}
	return v;
}

/*
 * kms (as in step-ca's ca.json): type "pkcs11" and a pkcs11: URI whose
 * module-path serves the key URIs that name none.
 */
static int
conf_read_kms(struct conf_ctx *c, struct conf *cf, json_t *kms)
{
	static const char *const keys[] = { "type", "uri", NULL };
	P11KitUri	*uri = NULL;
	char		*type = NULL, *s = NULL;
	const char	*mod;
	int		 rc = -1, r;

	if (conf_check_keys(c, kms, "kms", keys) == -1 ||
	    conf_get_str(c, kms, "kms", "type", &type) == -1 ||
	    conf_get_str(c, kms, "kms", "uri", &s) == -1)
		goto out;
	if (type != NULL && strcmp(type, "pkcs11") != 0) {
		conf_fail(c, "kms.type", "\"%s\" is not supported (pica "
		    "knows \"pkcs11\")", type);
		goto out;
	}
	if (s == NULL) {
		rc = 0;
		goto out;
	}
	if ((uri = p11_kit_uri_new()) == NULL) {
		pica_err_set(c->err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = p11_kit_uri_parse(s, P11_KIT_URI_FOR_ANY, uri)) !=
	    P11_KIT_URI_OK) {
		conf_fail(c, "kms.uri", "not a PKCS#11 URI: %s",
		    p11_kit_uri_message(r));
		goto out;
	}
	if (p11_kit_uri_get_pin_value(uri) != NULL) {
		conf_fail(c, "kms.uri", "pin-value is refused: put the PIN in "
		    "a file named by pin-source=file:/PATH in the key's URI, "
		    "or in $PICA_PKCS11_PIN");
		goto out;
	}
	free(cf->pkcs11_module);
	cf->pkcs11_module = NULL;
	if ((mod = p11_kit_uri_get_module_path(uri)) != NULL)
		cf->pkcs11_module = xstrdup(mod);
	else if ((cf->pkcs11_module = conf_path_attr(s, "module-path")) ==
	    NULL) {
		conf_fail(c, "kms.uri", "names no module-path");
		goto out;
	}
	rc = 0;
out:
	if (uri != NULL)
		p11_kit_uri_free(uri);
	free(type);
	free(s);
	return rc;
}

/* An http(s) URL without a trailing slash, to append paths to. */
static int
conf_check_url(struct conf_ctx *c, const char *key, char *url, int https_only)
{
	const char	*host;
	size_t		 len;

	if (url == NULL)
		return 0;
	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (!https_only && strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return conf_fail(c, key, "\"%s\" is not an %s URL", url,
		    https_only ? "https://" : "http:// or https://");
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	if (*host == '\0' || *host == '/' || *host == ':' || *host == '?')
		return conf_fail(c, key, "\"%s\" has no host", url);
	return 0;
}

/* The host[:port] part of an http(s) URL, as a new string. */
static char *
conf_url_authority(const char *url)
{
	const char	*p = strstr(url, "://"), *end;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	return strndup(p, (size_t)(end - p));
}

/* Defaults for what the file does not say, derived from what it does. */
static int
conf_fill_defaults(struct conf_ctx *c, struct conf *cf)
{
	char	*auth = NULL, buf[1024];
	size_t	 i;
	int	 rc = -1;

	if (cf->root == NULL)
		return conf_fail(c, "root", "missing (the root certificate)");
	if (cf->crt == NULL)
		return conf_fail(c, "crt",
		    "missing (the intermediate certificate)");
	if (cf->key == NULL)
		return conf_fail(c, "key", "missing (the intermediate key)");
	if (cf->db_dir == NULL)
		return conf_fail(c, "db.dataSource",
		    "missing (the store's directory)");
	if (cf->http_url == NULL && cf->external_url != NULL) {
		/* Relying parties fetch CRL and OCSP over plain HTTP. */
		if ((auth = conf_url_authority(cf->external_url)) == NULL)
			goto oom;
		snprintf(buf, sizeof(buf), "http://%s", auth);
		/* Drop the HTTPS port: plain HTTP listens elsewhere. */
		char *colon = strrchr(buf + 7, ':');
		if (colon != NULL && strchr(colon, ']') == NULL)
			*colon = '\0';
		cf->http_url = xstrdup(buf);
	}
	if (cf->http_url != NULL) {
		if (cf->crl_idp_url == NULL) {
			snprintf(buf, sizeof(buf), "%s/crl", cf->http_url);
			cf->crl_idp_url = xstrdup(buf);
		}
		if (cf->ocsp_url == NULL) {
			snprintf(buf, sizeof(buf), "%s/ocsp", cf->http_url);
			cf->ocsp_url = xstrdup(buf);
		}
		if (cf->ca_issuers_url == NULL) {
			snprintf(buf, sizeof(buf), "%s/intermediates.pem",
			    cf->http_url);
			cf->ca_issuers_url = xstrdup(buf);
		}
	}
	if (cf->template_dir == NULL)
		cf->template_dir = util_path_join(cf->dir, "templates");
	if (cf->www_dir == NULL)
		cf->www_dir = util_path_join(cf->dir, "www");
	if (cf->template_dir == NULL || cf->www_dir == NULL)
		goto oom;
	/* Without acme.profiles, the shipped profile files are offered. */
	if (cf->n_profiles == 0)
		for (i = 0; conf_shipped_profiles[i] != NULL; i++) {
			snprintf(buf, sizeof(buf), "%s.tpl",
			    conf_shipped_profiles[i]);
			char *p = util_path_join(cf->template_dir, buf);
			if (p == NULL)
				goto oom;
			conf_add_profile(cf, conf_shipped_profiles[i], p);
		}
	if (cf->default_profile == NULL)
		cf->default_profile = xstrdup(
		    conf_profile_path(cf, "server") != NULL ? "server" :
		    cf->profiles[0].name);
	if (conf_profile_path(cf, cf->default_profile) == NULL) {
		conf_fail(c, "acme.defaultProfile",
		    "\"%s\" is not a profile of acme.profiles",
		    cf->default_profile);
		goto out;
	}
	if (cf->challenges == NULL) {
		cf->challenges = xcalloc(4, sizeof(char *));
		cf->challenges[0] = xstrdup("http-01");
		cf->challenges[1] = xstrdup("dns-01");
		cf->challenges[2] = xstrdup("tls-alpn-01");
		cf->n_challenges = 3;
	}
	rc = 0;
	goto out;
oom:
	pica_err_set(c->err, PICA_E_INTERNAL, "out of memory");
out:
	free(auth);
	return rc;
}

int
conf_parse(const char *path, const char *text, struct conf **out,
    struct pica_err *err)
{
	static const char *const keys[] = { "name", "root", "crt", "key",
	    "dnsNames", "externalURL", "httpURL", "www", "templates", "db",
	    "crl", "authority", "acme", "ocsp", "kms", NULL };
	static const char *const dbkeys[] = { "type", "dataSource", NULL };
	struct conf_ctx	 c = { path, err };
	struct conf	*cf;
	json_t		*doc = NULL, *sub;
	json_error_t	 jerr;
	char		**roots = NULL, *dbtype = NULL;
	size_t		 n_roots = 0;
	int		 rc = -1;

	*out = NULL;
	cf = xcalloc(1, sizeof(*cf));
	cf->path = xstrdup(path);
	if ((cf->dir = util_dirname(path)) == NULL ||
	    (cf->policy = policy_new()) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	cf->crl_enabled = 1;
	cf->crl_cache_duration = 24 * 3600;
	cf->crl_generate_on_revoke = 1;
	cf->claims_default_dur = 2160 * 3600;
	cf->claims_min_dur = 5 * 60;
	cf->claims_max_dur = 8760 * 3600;
	cf->backdate = 60;
	cf->http_port = 80;
	cf->tls_port = 443;
	cf->ocsp_validity = 24 * 3600;
	/* Generous for a LAN; they stop a client stuck in a loop. */
	cf->rl_orders_n = 300;
	cf->rl_orders_window = 3 * 3600;
	cf->rl_accounts_n = 50;
	cf->rl_accounts_window = 3 * 3600;

	doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		pica_err_set(err, PICA_E_CONFIG, "%s:%d:%d: %s", path,
		    jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(doc)) {
		pica_err_set(err, PICA_E_CONFIG, "%s: not a JSON object", path);
		goto out;
	}
	if (conf_check_keys(&c, doc, NULL, keys) == -1 ||
	    conf_get_str(&c, doc, NULL, "name", &cf->name) == -1 ||
	    conf_get_strs(&c, doc, NULL, "root", &roots, &n_roots) == -1 ||
	    conf_get_path(&c, cf, doc, NULL, "crt", &cf->crt) == -1 ||
	    conf_get_path(&c, cf, doc, NULL, "key", &cf->key) == -1 ||
	    conf_get_strs(&c, doc, NULL, "dnsNames", &cf->dns_names,
	    &cf->n_dns_names) == -1 ||
	    conf_get_str(&c, doc, NULL, "externalURL", &cf->external_url) == -1 ||
	    conf_get_str(&c, doc, NULL, "httpURL", &cf->http_url) == -1 ||
	    conf_get_path(&c, cf, doc, NULL, "www", &cf->www_dir) == -1 ||
	    conf_get_path(&c, cf, doc, NULL, "templates",
	    &cf->template_dir) == -1 ||
	    conf_check_url(&c, "externalURL", cf->external_url, 1) == -1 ||
	    conf_check_url(&c, "httpURL", cf->http_url, 0) == -1)
		goto out;
	/* step-ca allows several roots; the first is the one we chain to. */
	if (n_roots > 0 && (cf->root = util_path_join(cf->dir,
	    roots[0])) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (conf_get_obj(&c, doc, NULL, "db", &sub) == -1)
		goto out;
	if (sub != NULL) {
		if (conf_check_keys(&c, sub, "db", dbkeys) == -1 ||
		    conf_get_str(&c, sub, "db", "type", &dbtype) == -1 ||
		    conf_get_path(&c, cf, sub, "db", "dataSource",
		    &cf->db_dir) == -1)
			goto out;
		if (dbtype != NULL && strcmp(dbtype, "bdb") != 0) {
			conf_fail(&c, "db.type", "\"%s\" is not supported "
			    "(pica keeps its store in Berkeley DB: \"bdb\")",
			    dbtype);
			goto out;
		}
	}
	if (conf_get_obj(&c, doc, NULL, "crl", &sub) == -1 ||
	    (sub != NULL && conf_read_crl(&c, cf, sub) == -1) ||
	    conf_get_obj(&c, doc, NULL, "authority", &sub) == -1 ||
	    (sub != NULL && conf_read_authority(&c, cf, sub) == -1) ||
	    conf_get_obj(&c, doc, NULL, "acme", &sub) == -1 ||
	    (sub != NULL && conf_read_acme(&c, cf, sub) == -1) ||
	    conf_get_obj(&c, doc, NULL, "ocsp", &sub) == -1 ||
	    (sub != NULL && conf_read_ocsp(&c, cf, sub) == -1) ||
	    conf_get_obj(&c, doc, NULL, "kms", &sub) == -1 ||
	    (sub != NULL && conf_read_kms(&c, cf, sub) == -1))
		goto out;
	if (conf_check_url(&c, "crl.idpURL", cf->crl_idp_url, 0) == -1 ||
	    conf_check_url(&c, "ocsp.url", cf->ocsp_url, 0) == -1 ||
	    conf_fill_defaults(&c, cf) == -1)
		goto out;
	*out = cf;
	cf = NULL;
	rc = 0;
out:
	conf_free_strs(roots, n_roots);
	free(dbtype);
	json_decref(doc);
	conf_free(cf);
	return rc;
}

int
conf_load(const char *path, struct conf **out, struct pica_err *err)
{
	char	*text = NULL;
	int	 rc;

	*out = NULL;
	if (util_read_file(path, CONF_MAX_SIZE, &text, NULL, err) == -1) {
		if (err != NULL && err->code == PICA_E_NOTFOUND)
			pica_err_set(err, PICA_E_CONFIG, "%s: no such file "
			    "(create a CA with `pica init DIR`, or name its "
			    "pica.json with -c or PICA_CONFIG)", path);
		return -1;
	}
	rc = conf_parse(path, text, out, err);
	free(text);
	return rc;
}

void
conf_free(struct conf *cf)
{
	size_t	 i;

	if (cf == NULL)
		return;
	free(cf->path);
	free(cf->dir);
	free(cf->name);
	free(cf->root);
	free(cf->crt);
	free(cf->key);
	conf_free_strs(cf->dns_names, cf->n_dns_names);
	free(cf->external_url);
	free(cf->http_url);
	free(cf->db_dir);
	free(cf->www_dir);
	free(cf->template_dir);
	free(cf->crl_idp_url);
	policy_free(cf->policy);
	for (i = 0; i < cf->n_profiles; i++) {
		free(cf->profiles[i].name);
		free(cf->profiles[i].path);
	}
	free(cf->profiles);
	free(cf->default_profile);
	conf_free_strs(cf->challenges, cf->n_challenges);
	free(cf->resolver);
	free(cf->ocsp_cert);
	free(cf->ocsp_key);
	free(cf->ocsp_url);
	free(cf->ca_issuers_url);
	free(cf->pkcs11_module);
	free(cf);
}

const char *
conf_default_path(const char *arg)
{
	const char	*env;

	if (arg != NULL)
		return arg;
	if ((env = getenv("PICA_CONFIG")) != NULL && env[0] != '\0')
		return env;
	return PICA_SYSCONF_CONFIG;
}

const char *
conf_profile_path(const struct conf *cf, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->n_profiles; i++)
		if (strcmp(cf->profiles[i].name, name) == 0)
			return cf->profiles[i].path;
	return NULL;
}
