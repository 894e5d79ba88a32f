/*
 * pica demo: the whole CA on loopback, in the foreground, for a first
 * try.  The ACME programs run under spawn-fcgi -n, nginx or lighttpd in
 * front of them; this process supervises them all (a program that exits
 * is started again) and stops them all on SIGINT or SIGTERM.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "crl.h"
#include "issue.h"
#include "landing.h"
#include "log.h"
#include "ocsp.h"
#include "signer.h"
#include "store.h"
#include "util.h"
#include "web.h"

#define DEMO_DIR		"demo"
#define DEMO_HTTPS		"127.0.0.1:8443"
#define DEMO_HTTP		"127.0.0.1:8080"
#define DEMO_MAX_ARGS		12
#define DEMO_MAX_NAMES		4
#define DEMO_HOST_MAX		256	/* a host name, NUL included */
#define DEMO_HOSTPORT_MAX	(DEMO_HOST_MAX + 16)	/* "[host]:port" */
#define DEMO_TLS_MARGIN		(30L * 86400)	/* reissue with less left */
#define DEMO_READY_MS		30000	/* the directory answers by then */
#define DEMO_CHECK_MS		250	/* between two readiness checks */
#define DEMO_GET_MS		2000	/* one readiness check's socket timeout */
#define DEMO_STOP_MS		5000	/* SIGTERM, then SIGKILL */
#define DEMO_BACKOFF_MIN_MS	200
#define DEMO_BACKOFF_MAX_MS	30000
#define DEMO_STABLE_MS		1000	/* ran this long: not a crash loop */
#define DEMO_UPKEEP_MS		60000	/* between two `pica crl --if-stale` */

/* The FastCGI programs, one socket each (DESIGN.md section 2). */
static const char *const demo_programs[] = {
	"acme-directory", "acme-nonce", "acme-account", "acme-order",
	"acme-finalize", "acme-authz", "acme-challenge", "acme-cert",
	"acme-key-change", "acme-renewal-info", "acme-revoke", "ocsp", "crl",
	NULL
};
#define DEMO_N_PROGRAMS	(sizeof(demo_programs) / sizeof(demo_programs[0]) - 1)

/* A listening address: host (IPv6 without brackets) and port. */
struct demo_addr {
	char	 host[DEMO_HOST_MAX];
	int	 port;
	int	 v6;
};

/* A supervised process. */
struct demo_child {
	char		*argv[DEMO_MAX_ARGS];
	const char	*name;		/* for the log */
	const char	*log;		/* the web server's error log */
	int		 web;		/* the web server: its exit ends all */
	int		 oneshot;	/* runs to its end now and then */
	pid_t		 pid;		/* 0: not running */
	int		 pending;	/* to be started at restart_at */
	int64_t		 restart_at;	/* ms, monotonic */
	int64_t		 started;
	int64_t		 backoff;
};

static void
demo_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica demo [DIR] [--server nginx|lighttpd]\n"
	    "                 [--https ADDR:PORT] [--http ADDR:PORT]\n\n"
	    "Run the whole CA on loopback in the foreground, for a first\n"
	    "try.  Without DIR/pica.json, a CA is made in DIR first (\"pica\n"
	    "demo\", its externalURL the --https address).  The web server\n"
	    "gets a certificate of the CA for localhost and 127.0.0.1\n"
	    "(DIR/demo-tls.crt, issued again when it nears its end); its\n"
	    "configuration, the FastCGI sockets and the logs go to DIR/run.\n"
	    "The ACME programs run under spawn-fcgi as the user who starts\n"
	    "the demo, and so does the web server; a program that exits is\n"
	    "started again.  When the directory answers, the demo prints how\n"
	    "to get a certificate with certbot and lego.  SIGINT (Ctrl-C) or\n"
	    "SIGTERM stops every process.\n\n"
	    "  DIR               the CA directory (default: ./%s)\n"
	    "  --server NAME     nginx (default) or lighttpd\n"
	    "  --https ADDR:PORT the ACME server (default %s)\n"
	    "  --http ADDR:PORT  plain HTTP: roots, CRL (default %s)\n\n"
	    "The programs are found in $PICA_LIBEXEC_DIR, default\n"
	    "  %s\n"
	    "the web-server templates in $PICA_TEMPLATE_DIR, default\n"
	    "  %s\n"
	    "spawn-fcgi and the web server in $PATH, /usr/sbin and /sbin.\n",
	    DEMO_DIR, DEMO_HTTPS, DEMO_HTTP, PICA_LIBEXEC_DIR,
	    PICA_TEMPLATE_DIR);
}

static int64_t
demo_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
demo_env_dir(const char *var, const char *dflt)
{
	const char	*dir;

	if ((dir = getenv(var)) == NULL || dir[0] == '\0')
		return dflt;
	return dir;
}

/* "ADDR:PORT", "[ADDR6]:PORT", ":PORT" or "PORT" (on 127.0.0.1). */
static int
demo_parse_addr(const char *arg, struct demo_addr *a)
{
	const char	*colon, *host = arg, *end, *port_s;
	size_t		 hlen;
	long		 port;
	char		*pend;

	memset(a, 0, sizeof(*a));
	if (arg[0] == '[') {
		if ((end = strchr(arg, ']')) == NULL || end[1] != ':')
			return -1;
		host = arg + 1;
		hlen = (size_t)(end - host);
		port_s = end + 2;
		a->v6 = 1;
	} else if ((colon = strrchr(arg, ':')) != NULL) {
		hlen = (size_t)(colon - arg);
		if (memchr(arg, ':', hlen) != NULL)
			return -1;	/* a bare IPv6 address: want brackets */
		port_s = colon + 1;
	} else {
		hlen = 0;
		port_s = arg;
	}
	if (hlen == 0) {
		host = "127.0.0.1";
		hlen = strlen(host);
		a->v6 = 0;
	}
	if (hlen >= sizeof(a->host) ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:") < hlen)
		return -1;
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	errno = 0;
	port = strtol(port_s, &pend, 10);
	if (port_s[0] < '0' || port_s[0] > '9' || *pend != '\0' ||
	    errno != 0 || port < 1 || port > 65535)
		return -1;
	a->port = (int)port;
	return 0;
}

/*
 * The host clients connect to: a wildcard address becomes loopback.
 * With brackets for an IPv6 address when bracket is set.
 */
static void
demo_host(const struct demo_addr *a, int bracket, char *buf, size_t len)
{
	const char	*h = a->host;

	if (strcmp(h, "0.0.0.0") == 0 || strcmp(h, "*") == 0)
		h = "127.0.0.1";
	else if (strcmp(h, "::") == 0)
		h = "::1";
	snprintf(buf, len, bracket && a->v6 ? "[%s]" : "%s", h);
}

/* "host:port" to listen on (listen) or to connect to. */
static void
demo_hostport(const struct demo_addr *a, int listen, char *buf, size_t len)
{
	char	 host[DEMO_HOST_MAX + 2];

	if (listen)
		snprintf(host, sizeof(host), a->v6 ? "[%s]" : "%s", a->host);
	else
		demo_host(a, 1, host, sizeof(host));
	snprintf(buf, len, "%s:%d", host, a->port);
}

/* An executable name in $PATH, /usr/sbin or /sbin; NULL when none. */
static char *
demo_which(const char *name)
{
	const char	*path = getenv("PATH");
	char		*dirs, *dir, *next, *p = NULL;
	size_t		 len;

	len = (path != NULL ? strlen(path) : 0) + 64;
	dirs = xcalloc(1, len);
	snprintf(dirs, len, "%s:/usr/local/sbin:/usr/sbin:/sbin",
	    path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = dirs; dir != NULL; dir = next) {
		if ((next = strchr(dir, ':')) != NULL)
			*next++ = '\0';
		if (dir[0] == '\0')
			continue;
		if ((p = util_path_join(dir, name)) == NULL)
			break;
		if (access(p, X_OK) == 0)
			break;
		free(p);
		p = NULL;
	}
	free(dirs);
	return p;
}

/* A new CA in dir, reached at the demo's addresses. */
static int
demo_create_ca(const char *dir, const struct demo_addr *https,
    const struct demo_addr *http)
{
	struct ca_init	 ci;
	struct pica_err	 err;
	const char	*dns[1] = { "localhost" };
	char		 hp[DEMO_HOSTPORT_MAX], url[DEMO_HOSTPORT_MAX + 8];
	char		 http_url[DEMO_HOSTPORT_MAX + 8], fpr[128];

	memset(&ci, 0, sizeof(ci));
	demo_hostport(https, 0, hp, sizeof(hp));
	snprintf(url, sizeof(url), "https://%s", hp);
	demo_hostport(http, 0, hp, sizeof(hp));
	snprintf(http_url, sizeof(http_url), "http://%s", hp);
	ci.dir = dir;
	ci.name = "pica demo";
	ci.dns = dns;
	ci.n_dns = 1;
	ci.url = url;
	ci.http_url = http_url;
	ci.template_src = web_template_dir();
	if (ca_create(&ci, fpr, sizeof(fpr), &err) == -1) {
		log_error("demo: %s", err.msg);
		return -1;
	}
	printf("Created the CA \"%s\" in %s\nRoot fingerprint: %s\n\n",
	    ci.name, dir, fpr);
	fflush(stdout);
	return 0;
}

/* Whether a program answers on the Unix socket path already. */
static int
demo_busy(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, busy;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memcpy(sun.sun_path, path, strlen(path));
	busy = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return busy;
}

static void
demo_child_set(struct demo_child *c, const char *name, int web,
    const char *const *argv)
{
	size_t	 i;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->web = web;
	c->backoff = DEMO_BACKOFF_MIN_MS;
	for (i = 0; argv[i] != NULL && i < DEMO_MAX_ARGS - 1; i++)
		c->argv[i] = xstrdup(argv[i]);
}

static void
demo_child_free(struct demo_child *c)
{
	size_t	 i;

	for (i = 0; c->argv[i] != NULL; i++)
		free(c->argv[i]);
	memset(c, 0, sizeof(*c));
}

/* Start c with the signal mask the demo was started with. */
static int
demo_spawn(struct demo_child *c, const sigset_t *mask, int64_t now)
{
	pid_t	 pid, parent = getpid();

	if ((pid = fork()) == -1) {
		log_error("demo: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
#ifdef PR_SET_PDEATHSIG
		/* Never outlive the demo, even when it is killed. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != parent)
			_exit(1);
#endif
		sigprocmask(SIG_SETMASK, mask, NULL);
		execv(c->argv[0], c->argv);
		log_error("demo: %s: %s", c->argv[0], strerror(errno));
		_exit(127);
	}
	(void)parent;
	c->pid = pid;
	c->pending = 0;
	c->started = now;
	return 0;
}

static void
demo_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "stopped");
}

/*
 * Have the web server test its configuration (nginx -t, lighttpd -tt)
 * before any program starts: a server that cannot start is told on its
 * own stderr at once, and the programs are never started only to be
 * stopped in the middle of opening the store.
 */
static int
demo_check_server(const char *const argv[], const char *conf)
{
	pid_t	 pid;
	int	 status;
	char	 how[128];

	if ((pid = fork()) == -1) {
		log_error("demo: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		log_error("demo: %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_error("demo: waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	demo_status(status, how, sizeof(how));
	log_error("demo: %s %s testing its configuration %s", argv[0], how,
	    conf);
	return -1;
}

/*
 * Collect the children that exited and, unless stopping, plan their
 * restart.  -1 when the web server is gone (not while stopping).
 */
static int
demo_reap(struct demo_child *ch, size_t n, int64_t now, int stopping)
{
	struct demo_child	*c;
	int			 rc = 0, status;
	pid_t			 pid;
	size_t			 i;
	char			 how[128];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < n && ch[i].pid != pid; i++)
			;
		if (i == n)
			continue;
		c = &ch[i];
		c->pid = 0;
		if (stopping)
			continue;
		demo_status(status, how, sizeof(how));
		if (c->oneshot) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				log_warn("demo: %s %s", c->name, how);
			continue;
		}
		if (c->web) {
			log_error("demo: %s %s (see %s)", c->name, how,
			    c->log);
			rc = -1;
			continue;
		}
		if (now - c->started >= DEMO_STABLE_MS)
			c->backoff = DEMO_BACKOFF_MIN_MS;
		c->pending = 1;
		c->restart_at = now + c->backoff;
		log_warn("demo: %s %s; starting it again in %.1f s", c->name,
		    how, (double)c->backoff / 1000);
		c->backoff *= 2;
		if (c->backoff > DEMO_BACKOFF_MAX_MS)
			c->backoff = DEMO_BACKOFF_MAX_MS;
	}
	return rc;
}

/* SIGTERM to every child, the web server first; SIGKILL to laggards. */
static void
demo_stop(struct demo_child *ch, size_t n, const sigset_t *set)
{
	struct timespec	 ts = { 0, 100 * 1000000 };
	int64_t		 deadline = demo_now() + DEMO_STOP_MS;
	size_t		 i, running;
	int		 pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (ch[i].pid > 0 && ch[i].web == !pass)
				kill(ch[i].pid, SIGTERM);
	for (;;) {
		demo_reap(ch, n, 0, 1);
		for (i = running = 0; i < n; i++)
			running += ch[i].pid > 0;
		if (running == 0 || demo_now() >= deadline)
			break;
		(void)sigtimedwait(set, NULL, &ts);
	}
	for (i = 0; i < n; i++) {
		if (ch[i].pid <= 0)
			continue;
		log_warn("demo: %s did not stop on SIGTERM: SIGKILL",
		    ch[i].name);
		kill(ch[i].pid, SIGKILL);
		waitpid(ch[i].pid, NULL, 0);
		ch[i].pid = 0;
	}
}

/*
 * Whether GET https://host:port/path answers 200 over TLS checked against
 * cafile.  OpenSSL alone, not libcurl: this one request at start-up is
 * all the supervisor fetches, and libcurl with what it loads (GnuTLS,
 * Kerberos, LDAP, libssh2 ...) was 3 MB of the supervisor's memory for
 * as long as the demo runs.
 */
static int
demo_ready(const struct demo_addr *a, const char *path, const char *cafile,
    char *why, size_t len)
{
	SSL_CTX		*ctx = NULL;
	SSL		*ssl = NULL;
	BIO		*bio = NULL;
	struct timeval	 tv = { DEMO_GET_MS / 1000, DEMO_GET_MS % 1000 * 1000 };
	struct in_addr	 in;
	char		 host[DEMO_HOST_MAX], hp[DEMO_HOSTPORT_MAX];
	char		 req[1400], buf[64];
	int		 ok = 0, n, have = 0, fd, code;

	demo_host(a, 0, host, sizeof(host));
	demo_hostport(a, 0, hp, sizeof(hp));
	snprintf(why, len, "TLS setup failed");
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((bio = BIO_new_ssl_connect(ctx)) == NULL ||
	    BIO_get_ssl(bio, &ssl) != 1 || ssl == NULL ||
	    BIO_set_conn_hostname(bio, hp) != 1 ||
	    SSL_set1_host(ssl, host) != 1)
		goto out;
	/* A name, not an address, goes in SNI, as libcurl did. */
	if (!a->v6 && inet_pton(AF_INET, host, &in) != 1 &&
	    SSL_set_tlsext_host_name(ssl, host) != 1)
		goto out;
	if (BIO_do_connect(bio) != 1) {
		snprintf(why, len, "connecting to %s failed", hp);
		goto out;
	}
	/* nginx answers at once or not at all: never wait long. */
	if ((fd = (int)BIO_get_fd(bio, NULL)) != -1) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (BIO_do_handshake(bio) != 1) {
		snprintf(why, len, "TLS handshake with %s failed: %s", hp,
		    X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
		goto out;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", path, hp);
	if (BIO_write(bio, req, (int)strlen(req)) != (int)strlen(req)) {
		snprintf(why, len, "writing to %s failed", hp);
		goto out;
	}
	/* The status line is all it needs: "HTTP/1.1 200 ...". */
	while (have < (int)sizeof(buf) - 1 &&
	    (n = BIO_read(bio, buf + have, (int)sizeof(buf) - 1 - have)) > 0)
		have += n;
	buf[have] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1) {
		snprintf(why, len, "no HTTP answer from %s", hp);
		goto out;
	}
	if (code != 200) {
		snprintf(why, len, "HTTP status %d", code);
		goto out;
	}
	ok = 1;
out:
	BIO_free_all(bio);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static void
demo_banner(const struct conf *cf, const char *server, const char *dir,
    const char *run, const struct demo_addr *https,
    const struct demo_addr *http)
{
	char	 hs[DEMO_HOSTPORT_MAX], hp[DEMO_HOSTPORT_MAX], url[1100];
	int	 port = cf->http_port;

	demo_hostport(https, 0, hs, sizeof(hs));
	demo_hostport(http, 0, hp, sizeof(hp));
	snprintf(url, sizeof(url), "%s/acme/directory", cf->external_url);
	printf("pica demo: ready (%s on https://%s and http://%s)\n\n"
	    "Landing page:     http://%s/ (the root, its fingerprint, how to\n"
	    "                  trust it and use each ACME client)\n"
	    "ACME directory:   %s\n"
	    "Root certificate: %s\n"
	    "                  (also http://%s/roots.pem)\n"
	    "Logs:             %s/error.log (%s), the programs' here\n\n"
	    "The CA validates http-01 on port %d (acme.httpPort in\n"
	    "%s/pica.json) of the name asked for, which the system resolver\n"
	    "must point at the client; --standalone clients bind that port\n"
	    "(port 80: as root).\n\n"
	    "certbot:\n"
	    "  REQUESTS_CA_BUNDLE=%s \\\n"
	    "  certbot certonly -n --standalone --http-01-port %d \\\n"
	    "    --server %s \\\n"
	    "    --agree-tos -m you@example.test -d localhost \\\n"
	    "    --config-dir %s/certbot --work-dir %s/certbot "
	    "--logs-dir %s/certbot\n\n"
	    "lego:\n"
	    "  LEGO_CA_CERTIFICATES=%s \\\n"
	    "  lego --server %s \\\n"
	    "    --accept-tos --email you@example.test --http "
	    "--http.port :%d \\\n"
	    "    --domains localhost --path %s/lego run\n\n"
	    "Stop with Ctrl-C.\n",
	    server, hs, hp, hp, url, cf->root, hp, run, server, port, dir,
	    cf->root, port, url, dir, dir, dir, cf->root, url, port, dir);
	fflush(stdout);
}

int
cmd_demo(int argc, char **argv, const char *cfg)
{
	int		 rc = EXIT_FAILURE, ch, sig, ready = 0, url_port, renewed;
	struct conf	*cf = NULL;
	struct ca	*ca = NULL;
	struct store	*st = NULL;
	struct pica_err	 err;
	struct demo_addr https, http;
	struct demo_child kids[DEMO_N_PROGRAMS + 2];
	struct web_var	 vars[24];
	struct timespec	 ts;
	struct passwd	*pw;
	struct group	*gr;
	sigset_t	 set, oldmask;
	const char	*server = "nginx", *dir_arg = DEMO_DIR, *why;
	const char	*https_arg = DEMO_HTTPS, *http_arg = DEMO_HTTP;
	const char	*libexec, *args[DEMO_MAX_ARGS], *check[DEMO_MAX_ARGS];
	char		*dir = NULL, *conf_path = NULL, *run = NULL;
	char		*tmpdir = NULL;
	char		*crt = NULL, *key = NULL, *tpl = NULL, *out = NULL;
	char		*site = NULL, *site_tpl = NULL, *cache = NULL;
	char		*errlog = NULL, *pidfile = NULL, *spawn = NULL;
	char		*websrv = NULL, *prog = NULL, *sock = NULL;
	char		*names[DEMO_MAX_NAMES];
	char		 hs[DEMO_HOSTPORT_MAX], hp[DEMO_HOSTPORT_MAX];
	char		 host[DEMO_HOST_MAX + 2], user[600];
	char		 rurl[DEMO_HOSTPORT_MAX + 32];
	char		 name[64], hport[16], why_buf[512];
	size_t		 n_names = 0, n_kids = 0, nv = 0, i;
	int64_t		 now, deadline, wait_ms, next_upkeep;
	struct demo_child *upkeep;
	char		 self[PATH_MAX];
	ssize_t		 n;
	int		 masked = 0;
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "https", required_argument, NULL, 'S' },
		{ "http", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(kids, 0, sizeof(kids));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'S':
			https_arg = optarg;
			break;
		case 'H':
			http_arg = optarg;
			break;
		case 'h':
			demo_usage(stdout);
			rc = EXIT_SUCCESS;
			goto out;
		default:
			demo_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		demo_usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (argc == 1)
		dir_arg = argv[0];
	if (cfg != NULL) {
		log_error("demo: the CA is DIR/pica.json: give DIR, not -c");
		rc = EXIT_USAGE;
		goto out;
	}
	if (strcmp(server, "nginx") != 0 && strcmp(server, "lighttpd") != 0) {
		log_error("demo: --server: \"%s\" is neither nginx nor "
		    "lighttpd", server);
		rc = EXIT_USAGE;
		goto out;
	}
	if (demo_parse_addr(https_arg, &https) == -1) {
		log_error("demo: --https \"%s\" is not ADDR:PORT (IPv6: "
		    "[ADDR]:PORT)", https_arg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (demo_parse_addr(http_arg, &http) == -1) {
		log_error("demo: --http \"%s\" is not ADDR:PORT (IPv6: "
		    "[ADDR]:PORT)", http_arg);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((spawn = demo_which("spawn-fcgi")) == NULL ||
	    (websrv = demo_which(server)) == NULL) {
		log_error("demo: %s not found: install the Debian package %s",
		    spawn == NULL ? "spawn-fcgi" : server,
		    spawn == NULL ? "spawn-fcgi" : server);
		goto out;
	}

	/* The CA: made on the first run. */
	if ((conf_path = util_path_join(dir_arg, "pica.json")) == NULL)
		goto oom;
	if (access(conf_path, F_OK) == -1 &&
	    demo_create_ca(dir_arg, &https, &http) == -1)
		goto out;
	if ((dir = realpath(dir_arg, NULL)) == NULL) {
		log_error("demo: %s: %s", dir_arg, strerror(errno));
		goto out;
	}
	if (!web_safe_path(dir)) {
		log_error("demo: %s: the web server's configuration cannot "
		    "name this directory (use letters, digits and /._-+,=:~%%)",
		    dir);
		goto out;
	}
	free(conf_path);
	if ((conf_path = util_path_join(dir, "pica.json")) == NULL ||
	    (run = util_path_join(dir, "run")) == NULL ||
	    (tmpdir = util_path_join(run, "tmp")) == NULL ||
	    (crt = util_path_join(dir, "demo-tls.crt")) == NULL ||
	    (key = util_path_join(dir, "demo-tls.key")) == NULL)
		goto oom;
	if (cmd_open(conf_path, 1, &cf, &ca, &st) == -1)
		goto out;
	if (cf->external_url == NULL) {
		log_error("demo: %s: \"externalURL\" is required for the ACME "
		    "server", conf_path);
		goto out;
	}
	if (!web_safe_path(cf->www_dir) || !web_safe_path(cf->root)) {
		log_error("demo: %s: the web server's configuration cannot "
		    "name this directory (use letters, digits and /._-+,=:~%%)",
		    cf->www_dir);
		goto out;
	}
	if (landing_write(cf, NULL, &err) == -1) {
		log_error("demo: the landing page: %s", err.msg);
		goto out;
	}
	demo_hostport(&https, 0, hs, sizeof(hs));
	if (web_url_host(cf->external_url, host, sizeof(host),
	    &url_port) == -1)
		host[0] = '\0';
	else if (url_port != https.port)
		log_warn("demo: externalURL %s (in %s) is not on the --https "
		    "port %d: ACME clients follow externalURL",
		    cf->external_url, conf_path, https.port);

	/* The OCSP responder's certificate and the CRL, when due. */
	if (ocsp_signer_renew(ca, st, 0, (int64_t)time(NULL), &renewed,
	    &err) == -1) {
		log_error("demo: %s", err.msg);
		goto out;
	}
	if (cf->crl_enabled && crl_is_stale(cf, (int64_t)time(NULL)) &&
	    cmd_crl_publish(ca, st, 1) == -1)
		goto out;

	/* The web server's certificate, from the CA itself. */
	web_add_name(names, &n_names, DEMO_MAX_NAMES, "localhost");
	web_add_name(names, &n_names, DEMO_MAX_NAMES, "127.0.0.1");
	demo_host(&https, 0, hp, sizeof(hp));
	web_add_name(names, &n_names, DEMO_MAX_NAMES, hp);
	if (host[0] != '\0')
		web_add_name(names, &n_names, DEMO_MAX_NAMES, host);
	if (!web_tls_usable(ca, crt, key, names, n_names, DEMO_TLS_MARGIN, &why)) {
		log_info("demo: the web server's certificate %s is %s: "
		    "issuing it", crt, why);
		if (web_tls_issue(ca, st, crt, key, "localhost", names,
		    n_names, &err) == -1) {
			log_error("demo: the web server's certificate: %s",
			    err.msg);
			goto out;
		}
	}
	/* Keys and store stay closed in the children. */
	cmd_close(NULL, ca, st);
	ca = NULL;
	st = NULL;

	/* The run directory and the web server's configuration. */
	if (util_mkdirs(tmpdir, 0750, &err) == -1) {
		log_error("demo: %s", err.msg);
		goto out;
	}
	snprintf(name, sizeof(name), "%s.pid", server);
	if ((errlog = util_path_join(run, "error.log")) == NULL ||
	    (pidfile = util_path_join(run, name)) == NULL)
		goto oom;
	snprintf(name, sizeof(name), "%s.conf", server);
	if ((out = util_path_join(run, name)) == NULL)
		goto oom;
	snprintf(name, sizeof(name), "%s-site.conf", server);
	if ((site = util_path_join(run, name)) == NULL)
		goto oom;
	snprintf(name, sizeof(name), "%s.conf.in", server);
	if ((tpl = util_path_join(web_template_dir(), name)) == NULL ||
	    (sock = util_path_join(run, "acme-directory.sock")) == NULL)
		goto oom;
	snprintf(name, sizeof(name), "%s-site.conf.in", server);
	if ((site_tpl = util_path_join(web_template_dir(), name)) == NULL ||
	    (cache = util_path_join(run, "ocsp-cache")) == NULL)
		goto oom;
	if (demo_busy(sock)) {
		log_error("demo: %s answers: another pica demo runs in %s",
		    sock, dir);
		goto out;
	}
	/*
	 * The web server's workers run as the user who started the demo,
	 * like the programs, so that the 0660 sockets let them in.
	 */
	user[0] = '\0';
	if (geteuid() == 0 && strcmp(server, "nginx") == 0 &&
	    (pw = getpwuid(geteuid())) != NULL &&
	    (gr = getgrgid(getegid())) != NULL)
		snprintf(user, sizeof(user), "user %s %s;", pw->pw_name,
		    gr->gr_name);
	demo_hostport(&https, 1, hs, sizeof(hs));
	demo_hostport(&http, 1, hp, sizeof(hp));
	snprintf(host, sizeof(host), http.v6 ? "[%s]" : "%s", http.host);
	snprintf(hport, sizeof(hport), "%d", http.port);
	/* The site first (the same template as web-config), then nginx.conf. */
	vars[nv++] = (struct web_var){ "TEMPLATE", site_tpl };
	vars[nv++] = (struct web_var){ "SITE", site };
	vars[nv++] = (struct web_var){ "WRITER", "demo" };
	vars[nv++] = (struct web_var){ "CONFIG", conf_path };
	vars[nv++] = (struct web_var){ "SERVER_NAME", "_" };
	vars[nv++] = (struct web_var){ "CACHE_DIR", cache };
	/* The tests drive the demo hard from one address. */
	vars[nv++] = (struct web_var){ "ACME_RATE", "10000r/s" };
	vars[nv++] = (struct web_var){ "ACME_BURST", "10000" };
	vars[nv++] = (struct web_var){ "USER", user };
	vars[nv++] = (struct web_var){ "HTTPS_LISTEN", hs };
	vars[nv++] = (struct web_var){ "HTTP_LISTEN", hp };
	vars[nv++] = (struct web_var){ "HTTP_HOST", host };
	vars[nv++] = (struct web_var){ "HTTP_PORT", hport };
	vars[nv++] = (struct web_var){ "TLS_CERT", crt };
	vars[nv++] = (struct web_var){ "TLS_KEY", key };
	vars[nv++] = (struct web_var){ "WWW", cf->www_dir };
	vars[nv++] = (struct web_var){ "RUNDIR", run };
	vars[nv++] = (struct web_var){ "TMPDIR", tmpdir };
	vars[nv++] = (struct web_var){ "PIDFILE", pidfile };
	vars[nv++] = (struct web_var){ "ERROR_LOG", errlog };
	if (web_render_file(site_tpl, site, vars, nv, &err) == -1) {
		log_error("demo: %s", err.msg);
		goto out;
	}
	vars[0].value = tpl;
	if (web_render_file(tpl, out, vars, nv, &err) == -1) {
		log_error("demo: %s", err.msg);
		goto out;
	}

	/* The programs, then the web server in front of them. */
	libexec = demo_env_dir("PICA_LIBEXEC_DIR", PICA_LIBEXEC_DIR);
	for (i = 0; demo_programs[i] != NULL; i++) {
		free(prog);
		free(sock);
		prog = sock = NULL;
		snprintf(name, sizeof(name), "%s.sock", demo_programs[i]);
		prog = util_path_join(libexec, demo_programs[i]);
		if (prog == NULL || (sock = util_path_join(run, name)) == NULL)
			goto oom;
		if (access(prog, X_OK) == -1) {
			log_error("demo: %s: %s (set PICA_LIBEXEC_DIR)", prog,
			    strerror(errno));
			goto out;
		}
		args[0] = spawn;
		args[1] = "-n";
		args[2] = "-s";
		args[3] = sock;
		args[4] = "-M";
		args[5] = "0660";
		args[6] = "--";
		args[7] = prog;
		args[8] = "-c";
		args[9] = conf_path;
		args[10] = NULL;
		demo_child_set(&kids[n_kids++], demo_programs[i], 0, args);
	}
	if (strcmp(server, "nginx") == 0) {
		args[0] = websrv;
		args[1] = "-p";
		args[2] = run;
		args[3] = "-e";
		args[4] = errlog;
		args[5] = "-c";
		args[6] = out;
		args[7] = NULL;
	} else {
		args[0] = websrv;
		args[1] = "-D";
		args[2] = "-f";
		args[3] = out;
		args[4] = NULL;
	}
	if (strcmp(server, "nginx") == 0) {
		check[0] = websrv;
		check[1] = "-t";
		check[2] = "-q";
		memcpy(&check[3], &args[1], 7 * sizeof(args[0]));
	} else {
		check[0] = websrv;
		check[1] = "-tt";
		check[2] = "-f";
		check[3] = out;
		check[4] = NULL;
	}
	if (demo_check_server(check, out) == -1)
		goto out;
	demo_child_set(&kids[n_kids], server, 1, args);
	kids[n_kids++].log = errlog;
	/*
	 * The CRL and the OCSP responder's certificate are renewed by a
	 * short-lived `pica crl --if-stale`: this process holds no key.
	 */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1) {
		log_error("demo: /proc/self/exe: %s", strerror(errno));
		goto out;
	}
	self[n] = '\0';
	args[0] = self;
	args[1] = "-c";
	args[2] = conf_path;
	args[3] = "crl";
	args[4] = "--if-stale";
	args[5] = NULL;
	upkeep = &kids[n_kids];
	demo_child_set(&kids[n_kids++], "pica crl --if-stale", 0, args);
	upkeep->oneshot = 1;

	/* Signals are taken with sigtimedwait, between two checks. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &oldmask) == -1) {
		log_error("demo: sigprocmask: %s", strerror(errno));
		goto out;
	}
	masked = 1;
	now = demo_now();
	for (i = 0; i < n_kids; i++)
		if (!kids[i].oneshot && demo_spawn(&kids[i], &oldmask, now) == -1)
			goto stop;
	next_upkeep = now + DEMO_UPKEEP_MS;
	demo_hostport(&https, 0, hs, sizeof(hs));
	snprintf(rurl, sizeof(rurl), "https://%s/acme/directory", hs);
	log_info("demo: %s and %zu programs started; waiting for %s", server,
	    DEMO_N_PROGRAMS, rurl);
	deadline = now + DEMO_READY_MS;
	why_buf[0] = '\0';
	for (;;) {
		now = demo_now();
		wait_ms = ready ? next_upkeep - now : DEMO_CHECK_MS;
		if (wait_ms < 0)
			wait_ms = 0;
		for (i = 0; i < n_kids; i++)
			if (kids[i].pending &&
			    kids[i].restart_at - now < wait_ms)
				wait_ms = kids[i].restart_at > now ?
				    kids[i].restart_at - now : 0;
		ts.tv_sec = (time_t)(wait_ms / 1000);
		ts.tv_nsec = (long)(wait_ms % 1000) * 1000000;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			log_info("demo: %s: stopping", strsignal(sig));
			rc = EXIT_SUCCESS;
			break;
		}
		now = demo_now();
		if (demo_reap(kids, n_kids, now, 0) == -1)
			break;
		for (i = 0; i < n_kids; i++)
			if (kids[i].pending && kids[i].restart_at <= now &&
			    demo_spawn(&kids[i], &oldmask, now) == -1)
				goto stop;
		if (now >= next_upkeep) {
			next_upkeep = now + DEMO_UPKEEP_MS;
			if (upkeep->pid == 0 &&
			    demo_spawn(upkeep, &oldmask, now) == -1)
				goto stop;
		}
		if (ready)
			continue;
		if (demo_ready(&https, "/acme/directory", cf->root, why_buf,
		    sizeof(why_buf))) {
			ready = 1;
			demo_banner(cf, server, dir, run, &https, &http);
		} else if (now >= deadline) {
			log_error("demo: %s does not answer after %d s: %s",
			    rurl, DEMO_READY_MS / 1000, why_buf);
			break;
		}
	}
stop:
	demo_stop(kids, n_kids, &set);
	goto out;
oom:
	log_error("demo: out of memory");
out:
	if (masked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	for (i = 0; i < n_kids; i++)
		demo_child_free(&kids[i]);
	for (i = 0; i < n_names; i++)
		free(names[i]);
	cmd_close(cf, ca, st);
	free(dir);
	free(conf_path);
	free(run);
	free(tmpdir);
	free(crt);
	free(key);
	free(tpl);
	free(out);
	free(site);
	free(site_tpl);
	free(cache);
	free(errlog);
	free(pidfile);
	free(spawn);
	free(websrv);
	free(prog);
	free(sock);
	return rc;
}
