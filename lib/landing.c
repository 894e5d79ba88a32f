/*
 * landing.c: the CA's landing page.
 *
 * The page is a static file, written when the CA is made, when the demo
 * starts and by `pica www`, so that the web server serves "/" itself: no
 * program runs for it.  Every value on it comes from the live CA (its
 * pica.json and its certificates) and is HTML-escaped where it is put, so
 * that a CA named "R&D <lab>" shows as typed and can inject nothing.
 *
 * Template syntax (web_render_text): @NAME@ is replaced by a value;
 * @IF_X@ ... @END_X@ keeps what lies between when section X applies and drops it otherwise
 * (a CA without externalURL has no ACME server to describe).  Any other
 * @WORD@ in capitals is an error, so that a typo in a template shows at
 * once instead of on the page.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca.h"
#include "conf.h"
#include "landing.h"
#include "util.h"
#include "web.h"

#define LANDING_TEMPLATE	"landing.html.in"
#define LANDING_CSS		"pica.css"
#define LANDING_MAX_FILE	(256 * 1024)
#define LANDING_SLUG_MAX	40

/* In the order written: the page last, once what it links to is there. */
const char *const landing_files[] = {
	LANDING_CSS, "root.crt", "intermediate.crt", "index.html", NULL
};

/* What the page says of one certificate. */
struct landing_cert {
	X509		*x;
	char		 fpr[128];	/* SHA-256, "AB:CD:..." */
	char		*subject;
	char		 not_after[32];	/* "YYYY-MM-DD" (UTC) */
	unsigned char	*der;		/* OPENSSL_malloc'd */
	int		 der_len;
};

/* Every string the page's values point into: one owner, one free. */
struct landing_page {
	struct landing_cert	 root, inter;
	char			 slug[LANDING_SLUG_MAX + 1];
	char			 http01_port[16];
	char			*name;
	char			*root_b64;
	char			*directory_url;
	char			*root_url;
	char			*root_der_url;
	char			*challenges;
	char			*profiles;
};

/* Write s with the five characters HTML gives a meaning escaped. */
static void
landing_escape(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fputc(*s, fp);
			break;
		}
}

/*
 * A name fit for a file and a Kubernetes object (RFC 1123 label):
 * lower-case letters, digits and single hyphens; "pica" when none is left.
 */
static void
landing_slug(const char *name, char *buf, size_t len)
{
	size_t	 n = 0;
	int	 c;

	for (; *name != '\0'; name++) {
		c = (unsigned char)*name;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (n + 1 >= len)
				break;
			buf[n++] = (char)c;
		} else if (n > 0 && buf[n - 1] != '-') {
			if (n + 1 >= len)
				break;
			buf[n++] = '-';
		}
	}
	while (n > 0 && buf[n - 1] == '-')
		n--;
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, len, "pica");
}

/* a + b as a new string; NULL on ENOMEM. */
static char *
landing_cat(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);
	char	*s;

	if ((s = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* items joined with ", " as a new string; NULL on ENOMEM. */
static char *
landing_join(const char *const *items, size_t n)
{
	char	*buf = NULL;
	size_t	 len = 0, i;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i ? ", " : "", items[i]);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Read the certificate at path and what the page says of it. */
static int
landing_cert_load(const char *path, struct landing_cert *c,
    struct pica_err *err)
{
	int		 rc = -1;
	BIO		*bio = NULL;
	char		*data;
	long		 len;
	int64_t		 t;
	time_t		 tt;
	struct tm	 tm;

	if (ca_read_cert(path, &c->x, err) == -1)
		goto out;
	ca_fingerprint(c->x, c->fpr, sizeof(c->fpr));
	/*
	 * "O = R&D, CN = R&D Root CA": for people, so UTF-8 as it is and no
	 * RFC 2253 quoting; only control characters are escaped.
	 */
	if (c->fpr[0] == '\0' || (bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, X509_get_subject_name(c->x), 0,
	    XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_SPC_EQ | XN_FLAG_FN_SN |
	    ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT) < 0 ||
	    (c->der_len = i2d_X509(c->x, &c->der)) <= 0) {
		pica_err_ssl(err, PICA_E_INTERNAL, "%s", path);
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if ((c->subject = strndup(data, (size_t)len)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (ca_time(X509_get0_notAfter(c->x), &t) == -1 ||
	    (tt = (time_t)t, gmtime_r(&tt, &tm)) == NULL ||
	    strftime(c->not_after, sizeof(c->not_after), "%Y-%m-%d",
	    &tm) == 0) {
		pica_err_set(err, PICA_E_CONFIG, "%s: a notAfter time that "
		    "does not parse", path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

static void
landing_cert_free(struct landing_cert *c)
{
	X509_free(c->x);
	free(c->subject);
	OPENSSL_free(c->der);
}

/*
 * The root as PEM, base64-encoded on one line: what cert-manager's
 * caBundle takes.
 */
static int
landing_b64_pem(X509 *x, char **out, struct pica_err *err)
{
	int	 rc = -1;
	BIO	*bio = NULL;
	char	*data;
	long	 len;

	*out = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, x)) {
		pica_err_ssl(err, PICA_E_INTERNAL, "the root as PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if ((*out = malloc(((size_t)len + 2) / 3 * 4 + 1)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)*out, (unsigned char *)data,
	    (int)len);
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

static void
landing_page_free(struct landing_page *pg)
{
	landing_cert_free(&pg->root);
	landing_cert_free(&pg->inter);
	free(pg->name);
	free(pg->root_b64);
	free(pg->directory_url);
	free(pg->root_url);
	free(pg->root_der_url);
	free(pg->challenges);
	free(pg->profiles);
}

/* Gather every value of the page from cf and its certificates. */
static int
landing_page_load(const struct conf *cf, struct landing_page *pg,
    struct pica_err *err)
{
	int		 rc = -1;
	const char	*base, **names = NULL;
	char		 org[256];
	size_t		 i;

	if (landing_cert_load(cf->root, &pg->root, err) == -1 ||
	    landing_cert_load(cf->crt, &pg->inter, err) == -1 ||
	    landing_b64_pem(pg->root.x, &pg->root_b64, err) == -1)
		goto out;
	/* Without "name" in pica.json, the root's organisation. */
	if (cf->name != NULL)
		pg->name = strdup(cf->name);
	else if (X509_NAME_get_text_by_NID(X509_get_subject_name(pg->root.x),
	    NID_organizationName, org, sizeof(org)) > 0)
		pg->name = strdup(org);
	else
		pg->name = strdup("pica");
	if (pg->name == NULL)
		goto oom;
	landing_slug(pg->name, pg->slug, sizeof(pg->slug));
	snprintf(pg->http01_port, sizeof(pg->http01_port), "%d",
	    cf->http_port);
	if (cf->external_url != NULL &&
	    (pg->directory_url = landing_cat(cf->external_url,
	    "/acme/directory")) == NULL)
		goto oom;
	/* Plain HTTP first: what relying parties reach without the root. */
	base = cf->http_url != NULL ? cf->http_url : cf->external_url;
	if (base != NULL &&
	    ((pg->root_url = landing_cat(base, "/roots.pem")) == NULL ||
	    (pg->root_der_url = landing_cat(base, "/root.crt")) == NULL))
		goto oom;
	if ((pg->challenges = landing_join((const char *const *)
	    cf->challenges, cf->n_challenges)) == NULL)
		goto oom;
	names = xcalloc(cf->n_profiles + 1, sizeof(*names));
	for (i = 0; i < cf->n_profiles; i++)
		names[i] = cf->profiles[i].name;
	if ((pg->profiles = landing_join(names, cf->n_profiles)) == NULL)
		goto oom;
	rc = 0;
	goto out;
oom:
	pica_err_set(err, PICA_E_INTERNAL, "out of memory");
out:
	free(names);
	return rc;
}

/* The page of cf, from the template text read from tpl. */
static int
landing_render_page(const struct conf *cf, const struct landing_page *pg,
    const char *tpl, const char *text, char **html, size_t *len,
    struct pica_err *err)
{
	const struct web_var vars[] = {
		{ "NAME", pg->name },
		{ "SLUG", pg->slug },
		{ "VERSION", PACKAGE_VERSION },
		{ "ROOT_SUBJECT", pg->root.subject },
		{ "ROOT_FPR", pg->root.fpr },
		{ "ROOT_NOT_AFTER", pg->root.not_after },
		{ "ROOT_B64", pg->root_b64 },
		{ "INT_SUBJECT", pg->inter.subject },
		{ "INT_FPR", pg->inter.fpr },
		{ "INT_NOT_AFTER", pg->inter.not_after },
		{ "EXTERNAL_URL", cf->external_url },
		{ "DIRECTORY_URL", pg->directory_url },
		{ "ROOT_URL", pg->root_url },
		{ "ROOT_DER_URL", pg->root_der_url },
		{ "CRL_URL", cf->crl_idp_url },
		{ "OCSP_URL", cf->ocsp_url },
		{ "HTTP01_PORT", pg->http01_port },
		{ "CHALLENGES", pg->challenges },
		{ "PROFILES", pg->profiles },
		{ "DEFAULT_PROFILE", cf->default_profile },
	};
	const struct web_section secs[] = {
		{ "ACME", cf->external_url != NULL },
		{ "ROOT_URL", pg->root_url != NULL },
		{ "CRL", cf->crl_enabled && cf->crl_idp_url != NULL },
		{ "OCSP", cf->ocsp_url != NULL },
		{ "EAB", cf->eab_required },
		{ "URLS", cf->external_url != NULL || cf->http_url != NULL ||
		    cf->crl_idp_url != NULL || cf->ocsp_url != NULL },
	};

	return web_render_text(tpl, text, vars, sizeof(vars) / sizeof(vars[0]),
	    secs, sizeof(secs) / sizeof(secs[0]), landing_escape, html, len,
	    err);
}

/* Write data to dir/name atomically, mode 0644, replacing it. */
static int
landing_put(const char *dir, const char *name, const void *data, size_t len,
    struct pica_err *err)
{
	int	 rc = -1;
	char	*path;

	if ((path = util_path_join(dir, name)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (util_write_file(path, data, len, 0644, 1, err) == -1)
		goto out;
	rc = 0;
out:
	free(path);
	return rc;
}

int
landing_write(const struct conf *cf, const char *template_dir,
    struct pica_err *err)
{
	int		 rc = -1;
	struct landing_page pg;
	char		*tpl = NULL, *css = NULL, *text = NULL, *html = NULL;
	char		*style = NULL;
	size_t		 len, html_len, style_len;

	memset(&pg, 0, sizeof(pg));
	if (template_dir == NULL)
		template_dir = web_template_dir();
	if ((tpl = util_path_join(template_dir, LANDING_TEMPLATE)) == NULL ||
	    (css = util_path_join(template_dir, LANDING_CSS)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (util_read_file(tpl, LANDING_MAX_FILE, &text, &len, err) == -1 ||
	    util_read_file(css, LANDING_MAX_FILE, &style, &style_len,
	    err) == -1 ||
	    landing_page_load(cf, &pg, err) == -1)
		goto out;

	if (landing_render_page(cf, &pg, tpl, text, &html, &html_len,
	    err) == -1)
		goto out;
	/* A custom "www" may not exist yet; the CA's own does. */
	if (util_mkdirs(cf->www_dir, 0755, err) == -1 ||
	    landing_put(cf->www_dir, LANDING_CSS, style, style_len,
	    err) == -1 ||
	    landing_put(cf->www_dir, "root.crt", pg.root.der,
	    (size_t)pg.root.der_len, err) == -1 ||
	    landing_put(cf->www_dir, "intermediate.crt", pg.inter.der,
	    (size_t)pg.inter.der_len, err) == -1 ||
	    landing_put(cf->www_dir, "index.html", html, html_len,
	    err) == -1)
		goto out;
	rc = 0;
out:
	landing_page_free(&pg);
	free(tpl);
	free(css);
	free(text);
	free(style);
	free(html);
	return rc;
}

int
landing_write_dir(const char *dir, const char *template_dir,
    struct pica_err *err)
{
	int		 rc = -1;
	struct conf	*cf = NULL;
	char		*path;

	if ((path = util_path_join(dir, "pica.json")) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (conf_load(path, &cf, err) == -1 ||
	    landing_write(cf, template_dir, err) == -1)
		goto out;
	rc = 0;
out:
	conf_free(cf);
	free(path);
	return rc;
}
