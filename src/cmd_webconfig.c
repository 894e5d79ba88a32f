/*
 * pica web-config: the nginx or lighttpd site for this CA, from the same
 * templates the package ships and `pica demo` uses.
 */
#include "config.h"

#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "issue.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "web.h"

#define WEBCONF_MAX_NAMES	34	/* dnsNames (32) and the URL's host */
#define WEBCONF_TLS_MARGIN	(30L * 86400)	/* reissue with less left */
#define WEBCONF_RUN_DIR		"/run/pica"
/* Debian's nginx owns /var/lib/nginx; nginx makes the last part. */
#define WEBCONF_CACHE_DIR	"/var/lib/nginx/pica-ocsp"

struct webconf {
	const char	*server;	/* "nginx" or "lighttpd" */
	const char	*https;		/* --https, or NULL: externalURL's */
	const char	*http;		/* --http, or NULL: httpURL's */
	const char	*run;
	const char	*cache;
	const char	*crt;
	const char	*key;
	long		 rate;		/* ACME requests per second */
	const char	*output;	/* NULL: stdout */
};

static void
webconf_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] web-config nginx|lighttpd [--https ADDR]\n"
	    "                 [--http ADDR] [--cert FILE --key FILE]\n"
	    "                 [--run DIR] [--cache DIR] [--rate N] [-o FILE]\n"
	    "       pica [-c FILE] web-config tls [--due] [--cert FILE --key FILE]\n\n"
	    "Print the web server's site for this CA: ACME over HTTPS through\n"
	    "the FastCGI programs' sockets, OCSP (GET answers cached for 1 s),\n"
	    "the CRL and the landing page as static files, over plain HTTP\n"
	    "too.  Written from the templates in " PICA_TEMPLATE_DIR "\n"
	    "(nginx-site.conf.in, lighttpd-site.conf.in).\n\n"
	    "The web server's TLS certificate is issued by this CA for its\n"
	    "dnsNames and externalURL host when it is missing, not the CA's,\n"
	    "lacks a name or has less than 30 days left; run web-config again\n"
	    "(and reload the web server) before then, or let pica-tls.timer\n"
	    "do it (`web-config tls`: the certificate alone, no site).\n\n"
	    "  --https ADDR  where HTTPS listens: PORT, IP:PORT or [IP6]:PORT\n"
	    "                (default: externalURL's port, on its address\n"
	    "                when that is an IP address)\n"
	    "  --http ADDR   where plain HTTP listens (default: httpURL's)\n"
	    "  --cert FILE   the web server's certificate chain (default\n"
	    "                DIR/tls/web.crt, DIR holding pica.json)\n"
	    "  --key FILE    its key (default DIR/tls/web.key, mode 0600)\n"
	    "  --run DIR     the programs' sockets (default " WEBCONF_RUN_DIR
	    ")\n"
	    "  --cache DIR   nginx's OCSP cache (default " WEBCONF_CACHE_DIR ")\n"
	    "  --rate N      nginx: HTTPS requests per second per client\n"
	    "                address (default 20; bursts of 5 x N)\n"
	    "  -o FILE       write FILE (mode 0644) instead of stdout\n"
	    "  --due         (tls) issue nothing: exit 0 when the certificate\n"
	    "                is there and due, 1 when it is not (a timer's\n"
	    "                ExecCondition=)\n");
}

/* Whether host is an IPv4 or IPv6 address. */
static int
webconf_is_ip(const char *host)
{
	unsigned char	 buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/*
 * The listen address for nginx ("PORT", "IP:PORT", "[IP6]:PORT") or
 * lighttpd (":PORT" for every address), from an option or a URL.
 */
static int
webconf_listen(const char *server, const char *opt, const char *url,
    char *buf, size_t len)
{
	char	 host[256];
	int	 port;

	if (opt != NULL) {
		if (strspn(opt, "0123456789.:[]abcdefABCDEF") != strlen(opt) ||
		    opt[0] == '\0')
			return -1;
		if (strchr(opt, ':') == NULL && strcmp(server, "lighttpd") == 0)
			snprintf(buf, len, ":%s", opt);
		else
			snprintf(buf, len, "%s", opt);
		return 0;
	}
	if (url == NULL || web_url_host(url, host, sizeof(host), &port) == -1)
		return -1;
	if (!webconf_is_ip(host))
		snprintf(buf, len, strcmp(server, "lighttpd") == 0 ? ":%d" :
		    "%d", port);
	else if (strchr(host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", host, port);
	else
		snprintf(buf, len, "%s:%d", host, port);
	return 0;
}

/*
 * The web server's certificate: kept when usable, else issued when issue
 * is set (the CA's key and the store are opened only then).  1 when it is
 * not usable (and was issued again), 0 when it is, -1 on error.
 */
static int
webconf_tls(const char *cfg, const struct conf *cf, const char *crt,
    const char *key, int issue)
{
	struct conf	*kcf = NULL;
	struct ca	*ca = NULL, *pub = NULL;
	struct store	*st = NULL;
	struct pica_err	 err;
	char		*names[WEBCONF_MAX_NAMES], host[256], *dir = NULL;
	const char	*why;
	size_t		 n = 0, i;
	int		 rc = -1, port;

	for (i = 0; i < cf->n_dns_names; i++)
		web_add_name(names, &n, WEBCONF_MAX_NAMES, cf->dns_names[i]);
	if (web_url_host(cf->external_url, host, sizeof(host), &port) == 0)
		web_add_name(names, &n, WEBCONF_MAX_NAMES, host);
	if (n == 0) {
		log_error("web-config: %s names no host (dnsNames, "
		    "externalURL) for the web server's certificate", cf->path);
		goto out;
	}
	if (ca_open(cf, 0, &pub, &err) == -1) {
		log_error("web-config: %s", err.msg);
		goto out;
	}
	if (web_tls_usable(pub, crt, key, names, n, WEBCONF_TLS_MARGIN, &why)) {
		rc = 0;
		goto out;
	}
	if (!issue) {
		printf("%s is %s\n", crt, why);
		rc = 1;
		goto out;
	}
	log_info("web-config: the web server's certificate %s is %s: "
	    "issuing it", crt, why);
	if ((dir = util_dirname(crt)) == NULL ||
	    util_mkdirs(dir, 0755, &err) == -1) {
		log_error("web-config: %s", dir == NULL ? "out of memory" :
		    err.msg);
		goto out;
	}
	free(dir);
	if ((dir = util_dirname(key)) == NULL ||
	    util_mkdirs(dir, 0700, &err) == -1) {
		log_error("web-config: %s", dir == NULL ? "out of memory" :
		    err.msg);
		goto out;
	}
	if (cmd_open(cfg, 1, &kcf, &ca, &st) != 0)
		goto out;
	/* names[0] is "DNS:name" or "IP:address": the CN is what follows. */
	if (web_tls_issue(ca, st, crt, key, strchr(names[0], ':') + 1, names,
	    n, &err) == -1) {
		log_error("web-config: the web server's certificate: %s",
		    err.msg);
		goto out;
	}
	log_info("web-config: wrote %s and its key %s", crt, key);
	rc = 1;
out:
	cmd_close(kcf, ca, st);
	ca_free(pub);
	free(dir);
	for (i = 0; i < n; i++)
		free(names[i]);
	return rc;
}

static int
webconf_write(const char *cfg, const struct conf *cf,
    const struct webconf *wc)
{
	struct web_var	 vars[16];
	struct pica_err	 err;
	char		 name[64], hs[300], hp[300], rate[32], burst[32];
	char		*tpl = NULL, *text = NULL, *server_name = NULL;
	size_t		 len, nv = 0, i, sl = 0;
	int		 rc = -1;
	const char	*paths[5];

	paths[0] = wc->run;
	paths[1] = wc->cache;
	paths[2] = wc->crt;
	paths[3] = wc->key;
	paths[4] = cf->www_dir;
	for (i = 0; i < 5; i++)
		if (!web_safe_path(paths[i])) {
			log_error("web-config: %s: a path the configuration "
			    "cannot name (use letters, digits and "
			    "/._-+,=:~%%)", paths[i]);
			goto out;
		}
	if (webconf_listen(wc->server, wc->https, cf->external_url, hs,
	    sizeof(hs)) == -1) {
		log_error("web-config: %s: not an address to listen on",
		    wc->https != NULL ? wc->https : cf->external_url);
		goto out;
	}
	if (webconf_listen(wc->server, wc->http, cf->http_url, hp,
	    sizeof(hp)) == -1) {
		log_error("web-config: %s: not an address to listen on",
		    wc->http != NULL ? wc->http : cf->http_url ? cf->http_url :
		    "(no httpURL)");
		goto out;
	}
	/* nginx's server_name: the CA's names, or any name. */
	for (i = 0; i < cf->n_dns_names; i++)
		sl += strlen(cf->dns_names[i]) + 1;
	server_name = xcalloc(1, sl + 2);
	for (i = 0; i < cf->n_dns_names; i++) {
		if (i > 0)
			strcat(server_name, " ");
		strcat(server_name, cf->dns_names[i]);
	}
	if (server_name[0] == '\0')
		strcpy(server_name, "_");
	if (webconf_tls(cfg, cf, wc->crt, wc->key, 1) == -1)
		goto out;

	snprintf(name, sizeof(name), "%s-site.conf.in", wc->server);
	if ((tpl = util_path_join(web_template_dir(), name)) == NULL) {
		log_error("web-config: out of memory");
		goto out;
	}
	snprintf(rate, sizeof(rate), "%ldr/s", wc->rate);
	snprintf(burst, sizeof(burst), "%ld", wc->rate * 5);
	vars[nv++] = (struct web_var){ "TEMPLATE", tpl };
	vars[nv++] = (struct web_var){ "WRITER", "web-config" };
	vars[nv++] = (struct web_var){ "CONFIG", cf->path };
	vars[nv++] = (struct web_var){ "SERVER_NAME", server_name };
	vars[nv++] = (struct web_var){ "HTTPS_LISTEN", hs };
	vars[nv++] = (struct web_var){ "HTTP_LISTEN", hp };
	vars[nv++] = (struct web_var){ "TLS_CERT", wc->crt };
	vars[nv++] = (struct web_var){ "TLS_KEY", wc->key };
	vars[nv++] = (struct web_var){ "WWW", cf->www_dir };
	vars[nv++] = (struct web_var){ "RUNDIR", wc->run };
	vars[nv++] = (struct web_var){ "CACHE_DIR", wc->cache };
	vars[nv++] = (struct web_var){ "ACME_RATE", rate };
	vars[nv++] = (struct web_var){ "ACME_BURST", burst };
	if (web_render(tpl, vars, nv, &text, &len, &err) == -1) {
		log_error("web-config: %s", err.msg);
		goto out;
	}
	if (wc->output != NULL) {
		if (util_write_file(wc->output, text, len, 0644, 1,
		    &err) == -1) {
			log_error("web-config: %s", err.msg);
			goto out;
		}
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		log_error("web-config: writing the site: %m");
		goto out;
	}
	rc = 0;
out:
	free(tpl);
	free(text);
	free(server_name);
	return rc;
}

int
cmd_webconfig(int argc, char **argv, const char *cfg)
{
	struct webconf	 wc;
	struct conf	*cf = NULL;
	char		*crt = NULL, *key = NULL, *end, *abs_cfg = NULL;
	int		 ch, rc = EXIT_FAILURE, due = 0, r;
	static const struct option opts[] = {
		{ "https", required_argument, NULL, 's' },
		{ "http", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "run", required_argument, NULL, 'r' },
		{ "cache", required_argument, NULL, 'a' },
		{ "rate", required_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'o' },
		{ "due", no_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&wc, 0, sizeof(wc));
	wc.run = WEBCONF_RUN_DIR;
	wc.cache = WEBCONF_CACHE_DIR;
	wc.rate = 20;
	while ((ch = getopt_long(argc, argv, "c:ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			wc.https = optarg;
			break;
		case 'p':
			wc.http = optarg;
			break;
		case 'C':
			wc.crt = optarg;
			break;
		case 'K':
			wc.key = optarg;
			break;
		case 'r':
			wc.run = optarg;
			break;
		case 'a':
			wc.cache = optarg;
			break;
		case 'R':
			wc.rate = strtol(optarg, &end, 10);
			if (*end != '\0' || wc.rate < 1 || wc.rate > 100000) {
				log_error("web-config: --rate: \"%s\" is not "
				    "1 to 100000", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			wc.output = optarg;
			break;
		case 'd':
			due = 1;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			webconf_usage(stdout);
			return EXIT_SUCCESS;
		default:
			webconf_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || (strcmp(argv[optind], "nginx") != 0 &&
	    strcmp(argv[optind], "lighttpd") != 0 &&
	    strcmp(argv[optind], "tls") != 0) ||
	    (due && strcmp(argv[optind], "tls") != 0)) {
		webconf_usage(stderr);
		return EXIT_USAGE;
	}
	wc.server = argv[optind];
	if ((wc.crt == NULL) != (wc.key == NULL)) {
		log_error("web-config: --cert and --key go together");
		return EXIT_USAGE;
	}
	/*
	 * pica.json's paths are relative to it: from an absolute name, the
	 * site names absolute paths, which is all a web server can use.
	 */
	if ((abs_cfg = realpath(conf_default_path(cfg), NULL)) == NULL) {
		log_error("web-config: %s: %s", conf_default_path(cfg),
		    strerror(errno));
		goto out;
	}
	cfg = abs_cfg;
	if (cmd_open(cfg, 0, &cf, NULL, NULL) != 0)
		goto out;
	if (wc.crt == NULL) {
		if ((crt = util_path_join(cf->dir, "tls/web.crt")) == NULL ||
		    (key = util_path_join(cf->dir, "tls/web.key")) == NULL) {
			log_error("web-config: out of memory");
			goto out;
		}
		wc.crt = crt;
		wc.key = key;
	}
	if (strcmp(wc.server, "tls") == 0) {
		/* The timer's: only a certificate that is there is renewed. */
		if (due && access(wc.crt, F_OK) == -1) {
			printf("%s is not there: nothing to renew\n", wc.crt);
			goto out;
		}
		if ((r = webconf_tls(cfg, cf, wc.crt, wc.key, !due)) == -1)
			goto out;
		if (due && r == 0) {
			printf("%s is good for more than 30 days: nothing to "
			    "renew\n", wc.crt);
			goto out;
		}
	} else if (webconf_write(cfg, cf, &wc) == -1)
		goto out;
	rc = EXIT_SUCCESS;
out:
	cmd_close(cf, NULL, NULL);
	free(crt);
	free(key);
	free(abs_cfg);
	return rc;
}
