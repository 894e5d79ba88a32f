/*
 * t-validate: http-01, dns-01 and tls-alpn-01 against servers on loopback.
 *
 * t/validate-helper.py serves HTTP, HTTPS and the tls-alpn-01 servers
 * (with certificates made here); pebble-challtestsrv is the DNS server for
 * dns-01 and for names given to opts->resolver.  Every process started is
 * stopped by its PID.  This file includes lib/validate.c to reach its
 * helpers and to move the redirect ports RFC 8555 allows (80 and 443,
 * which a test cannot bind) to the helper's.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "../lib/validate.c"

#include "test.h"

#define KA_TLS		"tlstoken.thumb"
#define KA_DNS		"dnstoken.thumb"
#define MAX_PROCS	8

static pid_t		 procs[MAX_PROCS];
static int		 nprocs;
static char		 tmpdir[] = "/tmp/t-validate.XXXXXX";
static char		 ports[512];	/* the helper's name=port line */
static struct validate_opts opts;
static struct pica_err	 err;
static struct timespec	 t0;

static void
skip(int n, const char *why)
{
	while (n-- > 0) {
		test_n++;
		printf("ok %d # SKIP %s\n", test_n, why);
	}
	fflush(stdout);
}

static void
clock_start(void)
{
	pica_err_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static double
elapsed(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) +
	    (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void
passes(int r, const char *what)
{
	ok(r == 0, "%s%s%s", what, r ? ": " : "", r ? err.msg : "");
}

/* r failed with code and a message containing needle. */
static void
fails(int r, enum pica_errc code, const char *needle, const char *what)
{
	if (!ok(r == -1 && err.code == code && strstr(err.msg, needle) != NULL,
	    "%s: %s", what, r == 0 ? "passed" : err.msg))
		diag("code %d, want %d and \"%s\"", err.code, code, needle);
}

/* The port the helper printed for name, or 0. */
static int
port_of(const char *name)
{
	char	 key[64];
	const char	*p;
	size_t	 len;

	len = (size_t)snprintf(key, sizeof(key), "%s=", name);
	for (p = ports; (p = strstr(p, key)) != NULL; p += len)
		if (p == ports || p[-1] == ' ')
			return atoi(p + len);
	return 0;
}

static int
in_path(const char *name)
{
	char	*path, *dir, *save = NULL, file[1024];
	int	 found = 0;

	if (getenv("PATH") == NULL)
		return 0;
	path = xstrdup(getenv("PATH"));
	for (dir = strtok_r(path, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/%s", dir, name);
		found = access(file, X_OK) == 0;
	}
	free(path);
	return found;
}

/* A port that was free a moment ago (for the servers given one). */
static int
free_port(int type)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s, port = 0;

	if ((s = socket(AF_INET, type, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(s);
	return port;
}

/* A port free for both UDP and TCP, for a DNS server. */
static int
free_dns_port(void)
{
	struct sockaddr_in	 sin;
	int			 i, s, port;

	for (i = 0; i < 20; i++) {
		if ((port = free_port(SOCK_DGRAM)) == 0)
			continue;
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return 0;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)port);
		if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			close(s);
			return port;
		}
		close(s);
	}
	return 0;
}

/* A socket bound to 127.0.0.1 on a new port, into *port. */
static int
bound_socket(int type, int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s;

	if ((s = socket(AF_INET, type, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1) {
		close(s);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return s;
}

static int
wait_tcp(int port)
{
	struct sockaddr_in	 sin;
	int			 i, s, r;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	for (i = 0; i < 100; i++) {
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return -1;
		r = connect(s, (struct sockaddr *)&sin, sizeof(sin));
		close(s);
		if (r == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

/* Start argv with stdout on out (or /dev/null), stderr into log. */
static pid_t
spawn(char *const argv[], int out, const char *log)
{
	pid_t	 pid;
	int	 null, fd;

	if (nprocs == MAX_PROCS)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(null, 0);
		dup2(out != -1 ? out : null, 1);
		dup2(fd != -1 ? fd : null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	procs[nprocs++] = pid;
	return pid;
}

static void
stop_all(void)
{
	int	 i, j;

	for (i = 0; i < nprocs; i++) {
		kill(procs[i], SIGTERM);
		for (j = 0; j < 50; j++) {
			if (waitpid(procs[i], NULL, WNOHANG) != 0)
				break;
			usleep(100000);
		}
		if (j == 50) {
			kill(procs[i], SIGKILL);
			waitpid(procs[i], NULL, 0);
		}
	}
	nprocs = 0;
}

/*
 * A self-signed validation certificate NAME.crt/NAME.key in tmpdir with
 * SAN san and, unless authz is NULL, the acmeIdentifier extension over
 * authz (critical when crit).
 */
static int
make_cert(const char *name, const char *san, const char *authz, int crit)
{
	EVP_PKEY		*key;
	X509			*x = X509_new();
	X509_NAME		*n;
	X509_EXTENSION		*e;
	ASN1_OCTET_STRING	*os;
	ASN1_OBJECT		*oid;
	unsigned char		 der[34];
	char			 path[512];
	FILE			*f;
	int			 rc = 0;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (authz != NULL) {
		der[0] = V_ASN1_OCTET_STRING;
		der[1] = 32;
		val_sha256(authz, der + 2, NULL);
		os = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(os, der, sizeof(der));
		oid = OBJ_txt2obj(VAL_ACME_OID, 1);
		e = X509_EXTENSION_create_by_OBJ(NULL, oid, crit, os);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OBJECT_free(oid);
		ASN1_OCTET_STRING_free(os);
	}
	if (!X509_sign(x, key, EVP_sha256()))
		rc = -1;
	snprintf(path, sizeof(path), "%s/%s.crt", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL || !PEM_write_X509(f, x))
		rc = -1;
	if (f != NULL)
		fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL ||
	    !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
		rc = -1;
	if (f != NULL)
		fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* Start the helper and read its ports; -1 when it cannot run. */
static int
start_helper(void)
{
	const char	*srcdir = getenv("T_SRCDIR");
	char		 script[1024], log[512];
	char		*argv[] = { "/usr/bin/python3", script, tmpdir,
			    NULL };
	struct pollfd	 pfd;
	size_t		 have = 0;
	ssize_t		 r;
	int		 fds[2];

	snprintf(script, sizeof(script), "%s/validate-helper.py",
	    srcdir && *srcdir ? srcdir : "t");
	snprintf(log, sizeof(log), "%s/helper.log", tmpdir);
	if (access(argv[0], X_OK) == -1 || access(script, R_OK) == -1)
		return -1;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if (spawn(argv, fds[1], log) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (have < sizeof(ports) - 1 && strchr(ports, '\n') == NULL) {
		if (poll(&pfd, 1, 10000) != 1 ||
		    (r = read(fds[0], ports + have, sizeof(ports) - 1 - have))
		    <= 0)
			break;
		have += (size_t)r;
		ports[have] = '\0';
	}
	close(fds[0]);
	if (port_of("http") == 0) {
		diag("helper did not start: see %s", log);
		return -1;
	}
	return 0;
}

/* POST json to challtestsrv's management API. */
static int
manage(int port, const char *path, const char *json)
{
	CURL	*c;
	char	 url[128];
	long	 status = 0;
	int	 rc = -1;

	if ((c = curl_easy_init()) == NULL)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, val_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &(struct val_body){ .len = 0 });
	if (curl_easy_perform(c) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) ==
	    CURLE_OK && status == 200)
		rc = 0;
	curl_easy_cleanup(c);
	return rc;
}

static int
http_ip(const char *token, const char *ka)
{
	return validate_http01(&opts, "ip", "127.0.0.1", token, ka, &err);
}

static int
tls_at(const char *server, const char *type, const char *id, const char *ka)
{
	opts.tls_port = port_of(server);
	return validate_tlsalpn01(&opts, type, id, ka, &err);
}

#define N_UNIT	8
static void
test_unit(void)
{
	unsigned char	 md[32], a[16];
	char		 out[128], want[128];
	int		 i;

	val_sha256("abc", md, NULL);
	val_b64url(md, sizeof(md), out);
	is_str(out, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
	    "base64url(SHA-256(\"abc\"))");
	val_b64url((const unsigned char *)"fo", 1, want);
	val_b64url((const unsigned char *)"fo", 2, out);
	ok(strcmp(want, "Zg") == 0 && strcmp(out, "Zm8") == 0,
	    "base64url without padding: %s %s", want, out);

	inet_pton(AF_INET, "127.0.0.1", a);
	val_reverse_name(AF_INET, a, out, sizeof(out));
	is_str(out, "1.0.0.127.in-addr.arpa", "reverse name of 127.0.0.1");
	inet_pton(AF_INET6, "::1", a);
	val_reverse_name(AF_INET6, a, out, sizeof(out));
	strcpy(want, "1.");
	for (i = 0; i < 31; i++)
		strcat(want, "0.");
	strcat(want, "ip6.arpa");
	is_str(out, want, "reverse name of ::1");

	val_printable((const unsigned char *)"a\"b\001", 4, out, 16);
	is_str(out, "a?b?", "quoted answers are printable");

	opts.resolver = "[::1]:53";
	clock_start();
	fails(validate_dns01(&opts, "x.test", KA_DNS, &err), PICA_E_CONFIG,
	    "resolver", "an IPv6 resolver is refused");
	opts.resolver = NULL;
	clock_start();
	fails(http_ip("../etc", "x"), PICA_E_USAGE, "token",
	    "a token outside base64url is refused");
	clock_start();
	fails(validate_http01(&opts, "email", "a@b", "tok", "x", &err),
	    PICA_E_UNSUPPORTED_ID, "email", "identifier type email refused");
}

#define N_HTTP	26
static void
test_http(void)
{
	char	 want[128];
	int	 closed = free_port(SOCK_STREAM), r;
	double	 t;

	opts.http_port = port_of("http");
	clock_start();
	passes(http_ip("ok", "ok.thumb"), "http-01 on 127.0.0.1");
	clock_start();
	passes(http_ip("ok-ws", "ok-ws.thumb"), "trailing whitespace ignored");
	clock_start();
	passes(validate_http01(&opts, "dns", "localhost", "ok", "ok.thumb",
	    &err), "localhost through the system resolver");
	clock_start();
	passes(http_ip("ua", "pica-validator"), "User-Agent pica-validator");
	clock_start();
	fails(http_ip("nothing", "x"), PICA_E_UNAUTHORIZED, "answered 404",
	    "404 is unauthorized");
	clock_start();
	fails(http_ip("error", "x"), PICA_E_UNAUTHORIZED, "answered 500",
	    "500 is unauthorized");
	clock_start();
	fails(http_ip("wrong", "wrong.thumb"), PICA_E_INCORRECT,
	    "expected \"wrong.thumb\" got \"not the ?key? authorization??\"",
	    "wrong body is incorrect, quoted printable");
	clock_start();
	fails(http_ip("nul", "nul.thumb"), PICA_E_INCORRECT,
	    "got \"nul.thumb?\"", "a NUL byte is not whitespace");
	clock_start();
	fails(http_ip("empty", "empty.thumb"), PICA_E_INCORRECT, "got \"\"",
	    "empty body is incorrect");
	clock_start();
	r = http_ip("big", "big.thumb");
	t = elapsed();
	fails(r, PICA_E_INCORRECT, "more than 8192 bytes",
	    "1 MB body: read up to the cap only");
	ok(t < 3, "1 MB body stops early (%.2f s)", t);

	opts.http_port = closed;
	snprintf(want, sizeof(want), "127.0.0.1:%d: connection refused",
	    closed);
	clock_start();
	fails(http_ip("ok", "ok.thumb"), PICA_E_CONNECTION, want,
	    "closed port");
	opts.http_port = port_of("http");
	opts.timeout = 1;
	clock_start();
	r = http_ip("slow", "slow.thumb");
	t = elapsed();
	fails(r, PICA_E_CONNECTION, "timeout after 1 s", "slow server");
	ok(t < 2.5, "the timeout bounds a slow server (%.2f s)", t);
	opts.timeout = 5;

	/* RFC 8555's own redirect ports first. */
	clock_start();
	fails(http_ip("to-8081", "ok.thumb"), PICA_E_CONNECTION,
	    "not port 8081", "redirect to port 8081 refused");
	clock_start();
	fails(http_ip("to-ftp", "ok.thumb"), PICA_E_CONNECTION,
	    "only http and https", "redirect to ftp refused");
	snprintf(want, sizeof(want), "not port %d", opts.http_port);
	clock_start();
	fails(http_ip("hop-1", "hops.thumb"), PICA_E_CONNECTION, want,
	    "acme.httpPort counts for the first request only");
	clock_start();
	r = http_ip("to-80", "ok.thumb");
	ok(r == -1 && strstr(err.msg, "refused: only") == NULL &&
	    strstr(err.msg, "127.0.0.1") != NULL,
	    "redirect to port 80 followed: %s", err.msg);
	clock_start();
	fails(http_ip("noloc", "x"), PICA_E_UNAUTHORIZED, "without a Location",
	    "redirect without Location");

	/* Then the helper's ports stand for 80 and 443. */
	val_redirect_http = port_of("http");
	val_redirect_https = port_of("https");
	clock_start();
	passes(http_ip("hop-3", "hops.thumb"), "3 redirects (301, 302, 303)");
	clock_start();
	passes(http_ip("hop-10", "hops.thumb"), "10 redirects");
	clock_start();
	fails(http_ip("hop-11", "hops.thumb"), PICA_E_CONNECTION,
	    "too many redirects", "11 redirects refused");
	clock_start();
	fails(http_ip("loop", "x"), PICA_E_CONNECTION, "too many redirects",
	    "redirect loop stops");
	clock_start();
	passes(http_ip("relative", "hops.thumb"), "relative redirect");
	clock_start();
	passes(http_ip("to-https", "ok-https.thumb"),
	    "redirect to https, certificate not verified");
	val_redirect_http = 80;
	val_redirect_https = 443;

	if (port_of("http6") == 0)
		skip(1, "no IPv6 loopback");
	else {
		opts.http_port = port_of("http6");
		clock_start();
		passes(validate_http01(&opts, "ip", "::1", "ok", "ok.thumb",
		    &err), "http-01 on [::1]");
	}
	opts.http_port = 0;
}

#define N_TLS	12
static void
test_tls(void)
{
	int	 closed = free_port(SOCK_STREAM), r;
	double	 t;

	clock_start();
	passes(tls_at("good", "dns", "localhost", KA_TLS),
	    "tls-alpn-01 for localhost");
	clock_start();
	passes(tls_at("ip", "ip", "127.0.0.1", KA_TLS),
	    "tls-alpn-01 for 127.0.0.1, SNI 1.0.0.127.in-addr.arpa");
	clock_start();
	fails(tls_at("good", "ip", "127.0.0.1", KA_TLS), PICA_E_TLS,
	    "handshake", "SNI is the reverse name for an IP");
	clock_start();
	fails(tls_at("noext", "dns", "localhost", KA_TLS), PICA_E_UNAUTHORIZED,
	    "acmeIdentifier", "certificate without acmeIdentifier");
	clock_start();
	fails(tls_at("wrongdigest", "dns", "localhost", KA_TLS),
	    PICA_E_INCORRECT, "not SHA-256",
	    "acmeIdentifier with another digest");
	clock_start();
	fails(tls_at("noncrit", "dns", "localhost", KA_TLS),
	    PICA_E_UNAUTHORIZED, "critical", "acmeIdentifier not critical");
	clock_start();
	fails(tls_at("wrongsan", "dns", "localhost", KA_TLS),
	    PICA_E_UNAUTHORIZED, "for DNS:other.test, not localhost",
	    "certificate for another name");
	clock_start();
	fails(tls_at("twosan", "dns", "localhost", KA_TLS),
	    PICA_E_UNAUTHORIZED, "exactly one", "certificate with two SANs");
	clock_start();
	fails(tls_at("alpnhttp", "dns", "localhost", KA_TLS),
	    PICA_E_UNAUTHORIZED, "ALPN", "server without acme-tls/1");
	opts.tls_port = closed;
	clock_start();
	fails(validate_tlsalpn01(&opts, "ip", "127.0.0.1", KA_TLS, &err),
	    PICA_E_CONNECTION, "connection refused", "closed TLS port");
	clock_start();
	fails(tls_at("http", "ip", "127.0.0.1", KA_TLS), PICA_E_TLS,
	    "handshake", "plain HTTP server is a TLS error");
	opts.timeout = 1;
	clock_start();
	r = tls_at("silent", "ip", "127.0.0.1", KA_TLS);
	t = elapsed();
	ok(r == -1 && err.code == PICA_E_CONNECTION && t < 2.5,
	    "silent TLS server: %s (%.2f s)", err.msg, t);
	opts.timeout = 5;
	opts.tls_port = 0;
}

#define N_FAKE	6
static void
test_fake_dns(void)
{
	char	 res[64];

	if (port_of("dns") == 0) {
		skip(N_FAKE, "the helper's DNS server did not start");
		return;
	}
	snprintf(res, sizeof(res), "127.0.0.1:%d", port_of("dns"));
	opts.resolver = res;
	clock_start();
	passes(validate_dns01(&opts, "tc.test", KA_DNS, &err),
	    "dns-01: truncated UDP answer, again over TCP");
	clock_start();
	passes(validate_dns01(&opts, "split.test", KA_DNS, &err),
	    "dns-01: TXT of two character-strings joined");
	clock_start();
	fails(validate_dns01(&opts, "none.test", KA_DNS, &err),
	    PICA_E_UNAUTHORIZED, "no TXT record at _acme-challenge.none.test",
	    "dns-01: no TXT record");
	clock_start();
	fails(validate_dns01(&opts, "nx.test", KA_DNS, &err), PICA_E_DNS,
	    "NXDOMAIN looking up TXT for _acme-challenge.nx.test",
	    "dns-01: NXDOMAIN");
	opts.http_port = port_of("http");
	clock_start();
	fails(validate_http01(&opts, "dns", "nx.test", "ok", "ok.thumb", &err),
	    PICA_E_DNS, "NXDOMAIN looking up A for nx.test",
	    "http-01: NXDOMAIN");
	clock_start();
	fails(validate_http01(&opts, "dns", "refused.test", "ok", "ok.thumb",
	    &err), PICA_E_DNS, "REFUSED looking up A for refused.test",
	    "http-01: REFUSED");
	opts.http_port = 0;
	opts.resolver = NULL;
}

#define N_DNS_LOCAL	3
static void
test_dns_local(void)
{
	char	 res[64];
	int	 s, port, r;
	double	 t;

	if ((s = bound_socket(SOCK_DGRAM, &port)) == -1) {
		skip(N_DNS_LOCAL, "no UDP socket");
		return;
	}
	/* A DNS server that never answers. */
	snprintf(res, sizeof(res), "127.0.0.1:%d", port);
	opts.resolver = res;
	opts.timeout = 1;
	clock_start();
	r = validate_dns01(&opts, "x.test", KA_DNS, &err);
	t = elapsed();
	ok(r == -1 && err.code == PICA_E_DNS && t < 3.5,
	    "silent DNS server: %s (%.2f s)", err.msg, t);
	clock_start();
	r = validate_http01(&opts, "dns", "x.test", "ok", "ok.thumb", &err);
	t = elapsed();
	ok(r == -1 && err.code == PICA_E_DNS && strstr(err.msg, "x.test") &&
	    t < 2.5, "http-01 name unresolved: %s (%.2f s)", err.msg, t);
	close(s);
	/* Now nothing there at all. */
	clock_start();
	r = validate_dns01(&opts, "x.test", KA_DNS, &err);
	t = elapsed();
	ok(r == -1 && err.code == PICA_E_DNS && t < 3.5,
	    "no DNS server: %s (%.2f s)", err.msg, t);
	opts.resolver = NULL;
	opts.timeout = 5;
}

#define N_DNS	11
static void
test_dns(int helper)
{
	unsigned char	 md[32];
	char		 res[64], dnsarg[64], mgmtarg[64], log[512];
	char		 json[256], value[48];
	char		*argv[] = { "pebble-challtestsrv", "-defaultIPv4",
			    "127.0.0.1", "-defaultIPv6", "", "-dns01", dnsarg,
			    "-http01", "", "-https01", "", "-tlsalpn01", "",
			    "-management", mgmtarg, NULL };
	int		 dport = free_dns_port();
	int		 mport = free_port(SOCK_STREAM);

	if (!in_path("pebble-challtestsrv")) {
		skip(N_DNS, "pebble-challtestsrv not installed");
		return;
	}
	snprintf(dnsarg, sizeof(dnsarg), "127.0.0.1:%d", dport);
	snprintf(mgmtarg, sizeof(mgmtarg), "127.0.0.1:%d", mport);
	snprintf(log, sizeof(log), "%s/challtestsrv.log", tmpdir);
	if (dport == 0 || mport == 0 || spawn(argv, -1, log) == -1 ||
	    wait_tcp(mport) == -1 || wait_tcp(dport) == -1) {
		diag("pebble-challtestsrv did not start: see %s", log);
		skip(N_DNS, "pebble-challtestsrv did not start");
		return;
	}
	snprintf(res, sizeof(res), "127.0.0.1:%d", dport);
	opts.resolver = res;

	val_sha256(KA_DNS, md, NULL);
	val_b64url(md, sizeof(md), value);
	snprintf(json, sizeof(json), "{\"host\":\"_acme-challenge.x.test.\","
	    "\"value\":\"%s\"}", value);
	ok(manage(mport, "/set-txt", json) == 0 &&
	    manage(mport, "/set-txt", "{\"host\":\"_acme-challenge.y.test.\","
	    "\"value\":\"not-it\"}") == 0 &&
	    manage(mport, "/set-servfail", "{\"host\":\"fail.test\"}") == 0 &&
	    manage(mport, "/set-servfail",
	    "{\"host\":\"_acme-challenge.fail.test\"}") == 0,
	    "challtestsrv records set");
	clock_start();
	passes(validate_dns01(&opts, "x.test", KA_DNS, &err),
	    "dns-01 through opts->resolver");
	clock_start();
	fails(validate_dns01(&opts, "z.test", KA_DNS, &err),
	    PICA_E_UNAUTHORIZED, "no TXT record at _acme-challenge.z.test",
	    "dns-01 without a record");
	clock_start();
	fails(validate_dns01(&opts, "y.test", KA_DNS, &err), PICA_E_INCORRECT,
	    "incorrect TXT record \"not-it\"", "dns-01 with another value");
	snprintf(json, sizeof(json), "{\"host\":\"_acme-challenge.y.test.\","
	    "\"value\":\"%s\"}", value);
	manage(mport, "/set-txt", json);
	clock_start();
	passes(validate_dns01(&opts, "y.test", KA_DNS, &err),
	    "dns-01: any of several TXT records");
	clock_start();
	fails(validate_dns01(&opts, "fail.test", KA_DNS, &err), PICA_E_DNS,
	    "SERVFAIL", "dns-01 SERVFAIL is a DNS problem");

	if (!helper) {
		skip(5, "validate-helper.py did not run");
		goto out;
	}
	opts.http_port = port_of("http");
	clock_start();
	passes(validate_http01(&opts, "dns", "x.test", "ok", "ok.thumb", &err),
	    "http-01 for x.test resolved through opts->resolver");
	clock_start();
	fails(validate_http01(&opts, "dns", "fail.test", "ok", "ok.thumb",
	    &err), PICA_E_DNS, "SERVFAIL looking up A for fail.test",
	    "http-01 name with SERVFAIL");
	val_redirect_http = port_of("http");
	clock_start();
	passes(http_ip("to-name", "hops.thumb"),
	    "redirect to a name resolved through opts->resolver");
	val_redirect_http = 80;
	opts.http_port = 0;
	clock_start();
	passes(tls_at("xtest", "dns", "x.test", KA_TLS),
	    "tls-alpn-01 for x.test through opts->resolver");
	clock_start();
	fails(tls_at("xtest", "dns", "fail.test", KA_TLS), PICA_E_DNS,
	    "fail.test", "tls-alpn-01 name with SERVFAIL");
	opts.tls_port = 0;
out:
	opts.resolver = NULL;
}

int
main(void)
{
	int	 helper = -1;

	plan(N_UNIT + N_HTTP + N_TLS + N_FAKE + N_DNS_LOCAL + N_DNS);
	opts.timeout = 5;
	test_unit();

	if (mkdtemp(tmpdir) == NULL) {
		diag("mkdtemp: %s", strerror(errno));
		return 1;
	}
	if (make_cert("web", "IP:127.0.0.1", NULL, 0) == 0 &&
	    make_cert("good", "DNS:localhost", KA_TLS, 1) == 0 &&
	    make_cert("ip", "IP:127.0.0.1", KA_TLS, 1) == 0 &&
	    make_cert("noext", "DNS:localhost", NULL, 0) == 0 &&
	    make_cert("wrongdigest", "DNS:localhost", "other", 1) == 0 &&
	    make_cert("wrongsan", "DNS:other.test", KA_TLS, 1) == 0 &&
	    make_cert("twosan", "DNS:localhost,DNS:other.test", KA_TLS,
	    1) == 0 &&
	    make_cert("noncrit", "DNS:localhost", KA_TLS, 0) == 0 &&
	    make_cert("xtest", "DNS:x.test", KA_TLS, 1) == 0)
		helper = start_helper();
	else
		diag("certificates not made");
	if (helper == 0) {
		test_http();
		test_tls();
		test_fake_dns();
	} else {
		skip(N_HTTP, "validate-helper.py cannot run");
		skip(N_TLS, "validate-helper.py cannot run");
		skip(N_FAKE, "validate-helper.py cannot run");
	}
	test_dns_local();
	test_dns(helper == 0);

	stop_all();
	util_remove_tree(tmpdir);
	curl_global_cleanup();
	return done();
}
