/*
 * The web server's side of pica: configuration from templates, and the
 * web server's own TLS certificate.  Shared by `pica demo` and `pica
 * web-config`.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "ca.h"
#include "issue.h"
#include "signer.h"
#include "util.h"
#include "web.h"

/* A value as it is: what a web server's configuration takes. */
static void
web_put_raw(FILE *fp, const char *s)
{
	fputs(s, fp);
}

/* Template names: capitals, digits and "_" between two "@". */
#define WEB_NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* The index of the section called name (nlen bytes), or ns. */
static size_t
web_section_find(const struct web_section *secs, size_t ns, const char *name,
    size_t nlen)
{
	size_t	 i;

	for (i = 0; i < ns; i++)
		if (strlen(secs[i].name) == nlen &&
		    strncmp(secs[i].name, name, nlen) == 0)
			break;
	return i;
}

int
web_render_text(const char *tpl, const char *text, const struct web_var *vars,
    size_t nv, const struct web_section *secs, size_t ns,
    void (*put)(FILE *, const char *), char **out, size_t *outlen,
    struct pica_err *err)
{
	int		 rc = -1;
	FILE		*fp = NULL;
	char		*buf = NULL, end[64];
	const char	*p, *q, *name, *skip;
	size_t		 blen = 0, nlen, i;

	*out = NULL;
	*outlen = 0;
	if ((fp = open_memstream(&buf, &blen)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	for (p = text; *p != '\0'; p = q) {
		if (*p != '@') {
			q = p + strcspn(p, "@");
			fwrite(p, 1, (size_t)(q - p), fp);
			continue;
		}
		/* An "@" of an e-mail address or of the text stays. */
		name = p + 1;
		nlen = strspn(name, WEB_NAME_CHARS);
		if (nlen == 0 || name[nlen] != '@') {
			fputc('@', fp);
			q = p + 1;
			continue;
		}
		q = name + nlen + 1;
		if (nlen > 3 && strncmp(name, "IF_", 3) == 0 &&
		    (i = web_section_find(secs, ns, name + 3, nlen - 3)) < ns) {
			/* Checked either way: a typo shows whatever the data. */
			snprintf(end, sizeof(end), "@END_%s@", secs[i].name);
			if ((skip = strstr(q, end)) == NULL) {
				pica_err_set(err, PICA_E_CONFIG, "%s: @IF_%s@ "
				    "without %s", tpl, secs[i].name, end);
				goto out;
			}
			if (!secs[i].on)
				q = skip + strlen(end);
			continue;
		}
		if (nlen > 4 && strncmp(name, "END_", 4) == 0 &&
		    web_section_find(secs, ns, name + 4, nlen - 4) < ns)
			continue;
		for (i = 0; i < nv; i++)
			if (strlen(vars[i].name) == nlen &&
			    strncmp(vars[i].name, name, nlen) == 0)
				break;
		if (i == nv) {
			pica_err_set(err, PICA_E_CONFIG, "%s: unknown "
			    "placeholder %.*s", tpl, (int)nlen + 2, p);
			goto out;
		}
		if (vars[i].value != NULL)
			(put != NULL ? put : web_put_raw)(fp, vars[i].value);
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	fp = NULL;
	*out = buf;
	*outlen = blen;
	buf = NULL;
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	return rc;
}

int
web_render(const char *tpl, const struct web_var *vars, size_t n,
    char **out, size_t *outlen, struct pica_err *err)
{
	char	*text = NULL;
	size_t	 len;
	int	 rc;

	if ((rc = util_read_file(tpl, WEB_MAX_TEMPLATE, &text, &len,
	    err)) == 0)
		rc = web_render_text(tpl, text, vars, n, NULL, 0, NULL, out,
		    outlen, err);
	free(text);
	return rc;
}

int
web_render_file(const char *tpl, const char *out, const struct web_var *vars,
    size_t n, struct pica_err *err)
{
	char	*text = NULL;
	size_t	 len;
	int	 rc = -1;

	if (web_render(tpl, vars, n, &text, &len, err) == -1 ||
	    util_write_file(out, text, len, 0644, 1, err) == -1)
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

const char *
web_template_dir(void)
{
	const char	*dir;

	if ((dir = getenv("PICA_TEMPLATE_DIR")) == NULL || dir[0] == '\0')
		return PICA_TEMPLATE_DIR;
	return dir;
}

/* A path written into a web-server configuration: no quoting needed. */
int
web_safe_path(const char *path)
{
	return strspn(path, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,=:~%") == strlen(path);
}

int
web_url_host(const char *url, char *host, size_t len, int *port)
{
	const char	*p, *end, *colon;
	size_t		 hlen;

	if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		*port = 443;
	} else if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
		*port = 80;
	} else
		return -1;
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		if ((colon = memchr(p, ']', (size_t)(end - p))) == NULL)
			return -1;
		p++;
		hlen = (size_t)(colon - p);
		colon++;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		hlen = (size_t)((colon != NULL ? colon : end) - p);
	}
	if (colon != NULL && colon < end && *colon == ':')
		*port = atoi(colon + 1);
	if (hlen == 0 || hlen >= len)
		return -1;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	return 0;
}

void
web_add_name(char **names, size_t *n, size_t max, const char *name)
{
	char	 buf[300];
	size_t	 i;

	if (*n == max || issue_typed_name(name, buf, sizeof(buf)) == -1)
		return;
	for (i = 0; i < *n; i++)
		if (strcasecmp(names[i], buf) == 0)
			return;
	names[(*n)++] = xstrdup(buf);
}

int
web_tls_usable(const struct ca *ca, const char *crt, const char *key,
    char **names, size_t n, time_t margin, const char **why)
{
	int		 ok = 0, r;
	X509		*leaf = NULL;
	EVP_PKEY	*pkey = NULL;
	struct pica_err	 err;
	time_t		 limit = time(NULL) + margin;
	size_t		 i;

	*why = "missing";
	if (access(crt, F_OK) == -1 && access(key, F_OK) == -1)
		goto out;
	*why = "unreadable";
	if (ca_read_cert(crt, &leaf, &err) == -1 ||
	    signer_load(key, NULL, &pkey, &err) == -1)
		goto out;
	*why = "not of this CA, or not its key";
	if (X509_check_issued(ca->cert, leaf) != X509_V_OK ||
	    !signer_matches(pkey, leaf))
		goto out;
	*why = "expiring";
	if (X509_cmp_time(X509_get0_notAfter(leaf), &limit) <= 0)
		goto out;
	*why = "missing a name";
	for (i = 0; i < n; i++) {
		if (strncmp(names[i], "IP:", 3) == 0)
			r = X509_check_ip_asc(leaf, names[i] + 3, 0);
		else
			r = X509_check_host(leaf, names[i] + 4, 0,
			    X509_CHECK_FLAG_NO_WILDCARDS, NULL);
		if (r != 1)
			goto out;
	}
	ok = 1;
out:
	X509_free(leaf);
	EVP_PKEY_free(pkey);
	return ok;
}

int
web_tls_issue(struct ca *ca, struct store *st, const char *crt,
    const char *key_path, const char *cn, char **names, size_t n,
    struct pica_err *err)
{
	int		 rc = -1;
	struct issue_req req;
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL, *chain[2];

	memset(&req, 0, sizeof(req));
	if (signer_keygen("EC", 0, &key, err) == -1)
		goto out;
	req.pubkey = key;
	req.profile = "server";
	req.common_name = cn;
	req.sans = names;
	req.n_sans = n;
	if (issue_cert(ca, st, &req, &cert, err) == -1)
		goto out;
	if (unlink(key_path) == -1 && errno != ENOENT) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: %s", key_path,
		    strerror(errno));
		goto out;
	}
	if (signer_write_key(key_path, key, err) == -1)
		goto out;
	chain[0] = cert;
	chain[1] = ca->cert;
	if (ca_write_pem(crt, chain, 2, 1, err) == -1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}
