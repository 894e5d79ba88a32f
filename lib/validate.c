#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util.h"
#include "validate.h"

#define VAL_TIMEOUT	10	/* seconds, when opts->timeout is 0 */
#define VAL_BODY_MAX	8192	/* http-01 answer read at most */
#define VAL_REDIRS	10	/* http-01 redirects followed at most */
#define VAL_ADDRS	8	/* addresses of one name tried at most */
#define VAL_SHOW	64	/* bytes of a wrong answer shown back */
#define VAL_DNS_MAX	65536		/* largest DNS message */
#define VAL_HOST_MAX	256
#define VAL_CHALLENGE	"/.well-known/acme-challenge/"
#define VAL_ALPN	"acme-tls/1"
/* id-pe-acmeIdentifier (RFC 8737) */
#define VAL_ACME_OID	"1.3.6.1.5.5.7.1.31"

/*
 * Where RFC 8555 8.3 lets a redirect go.  Static rather than constant so
 * that t/t-validate.c, which includes this file, can point them at ports
 * a test may bind.
 */
static int	val_redirect_http = 80;
static int	val_redirect_https = 443;

/* The http-01 answer, cut at VAL_BODY_MAX. */
struct val_body {
	char	 buf[VAL_BODY_MAX];
	size_t	 len;
	int	 capped;
};

/* A DNS client for one validation. */
struct val_dns {
	struct __res_state	 rs;
	struct sockaddr_in	 server;	/* opts->resolver */
	int			 own;		/* we talk to server */
	int			 open;
	int			 timeout;	/* for all its queries */
	struct timespec		 start;
	unsigned char		*ans;	/* VAL_DNS_MAX bytes */
	ns_msg			 msg;		/* ans parsed */
};

/* Where a request goes, taken apart from its URL. */
struct val_target {
	char	 host[VAL_HOST_MAX];	 /* brackets removed, for DNS */
	char	 where[VAL_HOST_MAX + 16]; /* "host:port" for messages */
	long	 port;
};

static int
val_timeout(const struct validate_opts *o)
{
	return o->timeout > 0 ? o->timeout : VAL_TIMEOUT;
}

static void
val_b64url(const unsigned char *in, size_t len, char *out)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			 i;
	char			*p = out;

	for (i = 0; i + 2 < len; i += 3) {
		*p++ = tab[in[i] >> 2];
		*p++ = tab[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
		*p++ = tab[((in[i + 1] & 0x0f) << 2) | (in[i + 2] >> 6)];
		*p++ = tab[in[i + 2] & 0x3f];
	}
	if (len - i == 1) {
		*p++ = tab[in[i] >> 2];
		*p++ = tab[(in[i] & 0x03) << 4];
	} else if (len - i == 2) {
		*p++ = tab[in[i] >> 2];
		*p++ = tab[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
		*p++ = tab[(in[i + 1] & 0x0f) << 2];
	}
	*p = '\0';
}

static int
val_sha256(const char *s, unsigned char md[32], struct pica_err *err)
{
	unsigned int	 len = 0;

	if (!EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) ||
	    len != 32)
		return pica_err_ssl(err, PICA_E_INTERNAL, "SHA-256 failed");
	return 0;
}

/* What the client sent, quoted back safely: printable and short. */
static void
val_printable(const unsigned char *buf, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0;

	for (i = 0; i < len && o + 4 < outlen; i++)
		out[o++] = (buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] != '"') ?
		    (char)buf[i] : '?';
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Identifiers and tokens end up in URLs and DNS names: keep to syntax. */
static int
val_check_name(const char *name, struct pica_err *err)
{
	size_t	 len = strlen(name);

	if (len == 0 || len > 253 || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != len)
		return pica_err_set(err, PICA_E_USAGE,
		    "\"%.64s\": not a DNS name", name);
	return 0;
}

/* The address family of an IP identifier into addr, or -1. */
static int
val_check_id(const char *type, const char *id, unsigned char addr[16],
    struct pica_err *err)
{
	if (strcmp(type, "dns") == 0)
		return val_check_name(id, err) == -1 ? -1 : 0;
	if (strcmp(type, "ip") != 0)
		return pica_err_set(err, PICA_E_UNSUPPORTED_ID,
		    "identifier type \"%.32s\" cannot be validated", type);
	if (inet_pton(AF_INET, id, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, id, addr) == 1)
		return AF_INET6;
	return pica_err_set(err, PICA_E_USAGE, "\"%.64s\": not an IP address",
	    id);
}

/* RFC 8738: an IP is named in SNI by its reverse-DNS name. */
static void
val_reverse_name(int af, const unsigned char *a, char *out, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;
	int			 i;

	if (af == AF_INET) {
		snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
		    a[0]);
		return;
	}
	for (i = 15; i >= 0 && o + 4 < len; i--) {
		out[o++] = hex[a[i] & 0x0f];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, len - o, "ip6.arpa");
}

/* Milliseconds left of timeout seconds counted from start. */
static long
val_ms_left(const struct timespec *start, int timeout)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return timeout * 1000L - (now.tv_sec - start->tv_sec) * 1000L -
	    (now.tv_nsec - start->tv_nsec) / 1000000L;
}

/* Wait until fd is ready for events, or say why not in *why. */
static int
val_wait(int fd, short events, const struct timespec *start, int timeout,
    const char **why)
{
	struct pollfd	 pfd;
	long		 ms;
	int		 r;

	for (;;) {
		if ((ms = val_ms_left(start, timeout)) <= 0) {
			*why = "timeout";
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		if ((r = poll(&pfd, 1, (int)ms)) > 0)
			return 0;
		if (r == -1 && errno != EINTR) {
			*why = strerror(errno);
			return -1;
		}
	}
}

static const char *
val_errno(int e)
{
	return e == ECONNREFUSED ? "connection refused" : strerror(e);
}

/*
 * DNS: glibc's resolver with the system's configuration, or the one server
 * opts->resolver names (IPv4 "ADDR[:PORT]").
 */
static int
val_dns_open(const struct validate_opts *o, struct val_dns *d,
    struct pica_err *err)
{
	char		 addr[INET_ADDRSTRLEN], *end;
	const char	*colon;
	long		 port = NS_DEFAULTPORT;
	size_t		 len;

	memset(d, 0, sizeof(*d));
	d->timeout = val_timeout(o);
	clock_gettime(CLOCK_MONOTONIC, &d->start);
	if (o->resolver != NULL) {
		colon = strchr(o->resolver, ':');
		len = colon ? (size_t)(colon - o->resolver) :
		    strlen(o->resolver);
		if (colon != NULL) {
			errno = 0;
			port = strtol(colon + 1, &end, 10);
			if (errno != 0 || *end != '\0' || port < 1 ||
			    port > 65535)
				len = sizeof(addr);
		}
		if (len >= sizeof(addr))
			goto bad;
		memcpy(addr, o->resolver, len);
		addr[len] = '\0';
		if (inet_pton(AF_INET, addr, &d->server.sin_addr) != 1)
			goto bad;
		d->server.sin_family = AF_INET;
		d->server.sin_port = htons((uint16_t)port);
		d->own = 1;
	}
	if (res_ninit(&d->rs) == -1)
		return pica_err_set(err, PICA_E_INTERNAL,
		    "cannot initialise the DNS resolver");
	d->open = 1;
	d->rs.retrans = d->timeout;
	d->rs.retry = 1;
	d->ans = xcalloc(1, VAL_DNS_MAX);
	return 0;
bad:
	return pica_err_set(err, PICA_E_CONFIG,
	    "resolver \"%.64s\": want an IPv4 address and an optional port",
	    o->resolver);
}

static void
val_dns_close(struct val_dns *d)
{
	if (d->open)
		res_nclose(&d->rs);
	free(d->ans);
	d->ans = NULL;
	d->open = 0;
}

/* Exactly len bytes to or from a TCP socket, before the deadline. */
static int
val_tcp_io(int fd, int out, unsigned char *buf, size_t len,
    const struct timespec *start, int timeout, const char **why)
{
	size_t	 done = 0;
	ssize_t	 r;

	while (done < len) {
		if (val_wait(fd, out ? POLLOUT : POLLIN, start, timeout,
		    why) == -1)
			return -1;
		r = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL) :
		    recv(fd, buf + done, len - done, 0);
		if (r == 0) {
			*why = "connection closed";
			return -1;
		}
		if (r == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*why = val_errno(errno);
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/*
 * One query to opts->resolver, the answer into d->ans.  We send it
 * ourselves: glibc's res_send takes a NOERROR answer without records and
 * without the RA and AA flags for a referral and drops it, and
 * pebble-challtestsrv sets neither; it also reports SERVFAIL as a
 * timeout.  UDP, then TCP when the answer is truncated; all queries of
 * one validation share one deadline.
 */
static int
val_exchange(struct val_dns *d, unsigned char *q, int qlen, int *len,
    const char **why)
{
	const struct timespec	*start = &d->start;
	unsigned char		 pre[2];
	socklen_t		 sl = sizeof(int);
	ssize_t			 r;
	int			 fd, rc = -1, soerr = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || connect(fd, (struct sockaddr *)&d->server,
	    sizeof(d->server)) == -1 || send(fd, q, (size_t)qlen, 0) != qlen) {
		*why = val_errno(errno);
		goto out;
	}
	for (;;) {
		if (val_wait(fd, POLLIN, start, d->timeout, why) == -1)
			goto out;
		if ((r = recv(fd, d->ans, VAL_DNS_MAX, 0)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*why = val_errno(errno);
			goto out;
		}
		/* Ours: the same ID, and an answer (QR). */
		if (r >= NS_HFIXEDSZ && memcmp(d->ans, q, 2) == 0 &&
		    (d->ans[2] & 0x80))
			break;
	}
	*len = (int)r;
	if ((d->ans[2] & 0x02) == 0) {
		rc = 0;
		goto out;
	}
	/* Truncated (TC): again over TCP. */
	close(fd);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || (connect(fd, (struct sockaddr *)&d->server,
	    sizeof(d->server)) == -1 && errno != EINPROGRESS)) {
		*why = val_errno(errno);
		goto out;
	}
	if (val_wait(fd, POLLOUT, start, d->timeout, why) == -1)
		goto out;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 ||
	    soerr != 0) {
		*why = val_errno(soerr ? soerr : errno);
		goto out;
	}
	pre[0] = (unsigned char)(qlen >> 8);
	pre[1] = (unsigned char)qlen;
	if (val_tcp_io(fd, 1, pre, 2, start, d->timeout, why) == -1 ||
	    val_tcp_io(fd, 1, q, (size_t)qlen, start, d->timeout, why) == -1 ||
	    val_tcp_io(fd, 0, pre, 2, start, d->timeout, why) == -1)
		goto out;
	*len = pre[0] << 8 | pre[1];
	if (val_tcp_io(fd, 0, d->ans, (size_t)*len, start, d->timeout,
	    why) == -1)
		goto out;
	if (*len < NS_HFIXEDSZ || memcmp(d->ans, q, 2) != 0) {
		*why = "malformed answer";
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Ask for name's records of type; *n is how many answers came (0 when the
 * name has none, with *nx set when it does not exist), d->msg holds them.
 * Other failures are DNS problems, worded like Let's Encrypt's.
 */
static int
val_query(struct val_dns *d, const char *name, int type, const char *tname,
    int *n, int *nx, struct pica_err *err)
{
	unsigned char	 q[NS_PACKETSZ];
	const char	*why = NULL;
	int		 len, qlen;

	*n = 0;
	*nx = 0;
	if (!d->own) {
		len = res_nquery(&d->rs, name, ns_c_in, type, d->ans,
		    VAL_DNS_MAX);
		if (len == -1) {
			switch (d->rs.res_h_errno) {
			case NO_DATA:
				return 0;
			case HOST_NOT_FOUND:
				*nx = 1;
				return 0;
			case TRY_AGAIN:
				/* glibc tells these two apart to nobody. */
				why = "SERVFAIL or timeout";
				break;
			case NO_RECOVERY:
				why = "REFUSED";
				break;
			default:
				why = "query failed";
				break;
			}
			goto fail;
		}
	} else {
		if ((qlen = res_nmkquery(&d->rs, ns_o_query, name, ns_c_in,
		    type, NULL, 0, NULL, q, sizeof(q))) == -1) {
			why = "bad name";
			goto fail;
		}
		if (val_exchange(d, q, qlen, &len, &why) == -1)
			goto fail;
	}
	if (len > VAL_DNS_MAX || ns_initparse(d->ans, len, &d->msg) == -1) {
		why = "malformed answer";
		goto fail;
	}
	switch (ns_msg_getflag(d->msg, ns_f_rcode)) {
	case ns_r_noerror:
		*n = ns_msg_count(d->msg, ns_s_an);
		return 0;
	case ns_r_nxdomain:
		*nx = 1;
		return 0;
	case ns_r_servfail:
		why = "SERVFAIL";
		break;
	case ns_r_refused:
		why = "REFUSED";
		break;
	default:
		why = "error answer";
		break;
	}
fail:
	return pica_err_set(err, PICA_E_DNS,
	    "DNS problem: %s looking up %s for %s", why, tname, name);
}

/*
 * host's addresses through opts->resolver, pinned for libcurl as
 * "host:port:addr,[addr6]" in *list.  Without a resolver, or for an IP
 * literal, *list stays NULL and libcurl resolves (the system's way).
 */
static int
val_resolve(const struct validate_opts *o, const struct val_target *t,
    struct curl_slist **list, struct pica_err *err)
{
	static const ns_type	 types[] = { ns_t_a, ns_t_aaaa };
	struct val_dns		 d;
	struct pica_err		 qerr;
	unsigned char		 a[16];
	char			 entry[VAL_HOST_MAX + 32 + VAL_ADDRS *
				    (INET6_ADDRSTRLEN + 3)];
	char			 ip[INET6_ADDRSTRLEN];
	ns_rr			 rr;
	size_t			 elen;
	int			 rc = -1, i, j, n, nx, naddrs = 0;
	int			 failed = 0, nxdomain = 0;

	*list = NULL;
	if (o->resolver == NULL || inet_pton(AF_INET, t->host, a) == 1 ||
	    inet_pton(AF_INET6, t->host, a) == 1)
		return 0;
	if (val_dns_open(o, &d, err) == -1)
		goto out;
	snprintf(entry, sizeof(entry), "%s:%ld:", t->host, t->port);
	pica_err_clear(&qerr);
	for (i = 0; i < 2; i++) {
		if (val_query(&d, t->host, types[i], i == 0 ? "A" : "AAAA",
		    &n, &nx, failed ? NULL : &qerr) == -1) {
			failed = 1;
			continue;
		}
		nxdomain |= nx;
		for (j = 0; j < n && naddrs < VAL_ADDRS; j++) {
			if (ns_parserr(&d.msg, ns_s_an, j, &rr) == -1 ||
			    ns_rr_type(rr) != types[i] ||
			    ns_rr_rdlen(rr) != (i == 0 ? 4 : 16))
				continue;
			inet_ntop(i == 0 ? AF_INET : AF_INET6, ns_rr_rdata(rr),
			    ip, sizeof(ip));
			elen = strlen(entry);
			snprintf(entry + elen, sizeof(entry) - elen, "%s%s%s%s",
			    naddrs ? "," : "", i ? "[" : "", ip, i ? "]" : "");
			naddrs++;
		}
	}
	if (naddrs == 0) {
		if (failed)
			pica_err_set(err, qerr.code, "%s", qerr.msg);
		else if (nxdomain)
			pica_err_set(err, PICA_E_DNS,
			    "DNS problem: NXDOMAIN looking up A for %s",
			    t->host);
		else
			pica_err_set(err, PICA_E_DNS,
			    "DNS problem: no A or AAAA record for %s", t->host);
		goto out;
	}
	if ((*list = curl_slist_append(NULL, entry)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	val_dns_close(&d);
	return rc;
}

/*
 * Take url apart into t.  A redirect must stay on http port 80 or https
 * port 443 (RFC 8555 8.3); only the first request uses acme.httpPort.
 */
static int
val_target(const char *url, int redirect, struct val_target *t,
    struct pica_err *err)
{
	CURLU		*u = NULL;
	char		*scheme = NULL, *host = NULL, *port = NULL;
	int		 rc = -1, https;
	size_t		 len;

	if ((u = curl_url()) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		pica_err_set(err, PICA_E_CONNECTION,
		    "redirect to a malformed URL \"%.200s\"", url);
		goto out;
	}
	https = strcasecmp(scheme, "https") == 0;
	t->port = strtol(port, NULL, 10);
	if (!https && strcasecmp(scheme, "http") != 0) {
		pica_err_set(err, PICA_E_CONNECTION, "redirect to \"%.200s\" "
		    "refused: only http and https are followed", url);
		goto out;
	}
	if (redirect && t->port != (https ? val_redirect_https :
	    val_redirect_http)) {
		pica_err_set(err, PICA_E_CONNECTION, "redirect to \"%.200s\" "
		    "refused: only http on port 80 and https on port 443 are "
		    "followed, not port %ld", url, t->port);
		goto out;
	}
	len = strlen(host);
	if (len == 0 || len >= sizeof(t->host)) {
		pica_err_set(err, PICA_E_CONNECTION,
		    "redirect to \"%.200s\" refused: bad host", url);
		goto out;
	}
	/* libcurl keeps the brackets of an IPv6 literal. */
	if (host[0] == '[' && len > 2) {
		memcpy(t->host, host + 1, len - 2);
		t->host[len - 2] = '\0';
	} else
		memcpy(t->host, host, len + 1);
	snprintf(t->where, sizeof(t->where), "%s:%ld", host, t->port);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* A libcurl handle with the rules every validation request follows. */
static CURL *
val_curl(const struct validate_opts *o, const char *url,
    struct curl_slist *resolve, char *errbuf, struct pica_err *err)
{
	CURL	*c;
	long	 timeout = val_timeout(o);

	if ((c = curl_easy_init()) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "cannot start libcurl");
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pica-validator");
	/* We check each redirect before following it. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* Never through a proxy from the environment (http_proxy). */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/*
	 * An https redirect target is not authenticated, as with Let's
	 * Encrypt: the answer proves control, the certificate does not.
	 */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	if (resolve != NULL)
		curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	return c;
}

/* A failed transfer as the client should read it. */
static int
val_curl_err(CURL *c, CURLcode cc, const struct validate_opts *o,
    const struct val_target *t, const char *errbuf, struct pica_err *err)
{
	long		 oserr = 0;
	const char	*why = errbuf[0] ? errbuf : curl_easy_strerror(cc);

	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return pica_err_set(err, PICA_E_DNS,
		    "DNS problem: no address found for %s", t->host);
	case CURLE_OPERATION_TIMEDOUT:
		return pica_err_set(err, PICA_E_CONNECTION,
		    "%s: timeout after %d s", t->where, val_timeout(o));
	case CURLE_COULDNT_CONNECT:
		if (oserr == ECONNREFUSED)
			return pica_err_set(err, PICA_E_CONNECTION,
			    "%s: connection refused", t->where);
		return pica_err_set(err, PICA_E_CONNECTION, "%s: %s",
		    t->where, oserr ? strerror((int)oserr) : why);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_PEER_FAILED_VERIFICATION:
		return pica_err_set(err, PICA_E_TLS, "%s: %s", t->where, why);
	default:
		return pica_err_set(err, PICA_E_CONNECTION, "%s: %s", t->where,
		    why);
	}
}

static size_t
val_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct val_body	*b = arg;
	size_t		 n = size * nmemb, room = sizeof(b->buf) - b->len;

	if (n > room) {
		/* Keep what fits, then make libcurl stop reading. */
		memcpy(b->buf + b->len, data, room);
		b->len += room;
		b->capped = 1;
		return 0;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return n;
}

/*
 * One GET of url: its status into *status, its body into b and, for a
 * redirect, the absolute target into *location.
 */
static int
val_get(const struct validate_opts *o, const char *url,
    const struct val_target *t, struct val_body *b, long *status,
    char **location, struct pica_err *err)
{
	CURL			*c = NULL;
	CURLcode		 cc;
	struct curl_slist	*resolve = NULL;
	char			 errbuf[CURL_ERROR_SIZE], *loc = NULL;
	int			 rc = -1;

	*location = NULL;
	b->len = 0;
	b->capped = 0;
	if (val_resolve(o, t, &resolve, err) == -1)
		goto out;
	if ((c = val_curl(o, url, resolve, errbuf, err)) == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, val_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	cc = curl_easy_perform(c);
	/* A body beyond the cap is read no further, and is still judged. */
	if (cc == CURLE_WRITE_ERROR && b->capped)
		cc = CURLE_OK;
	if (cc != CURLE_OK) {
		val_curl_err(c, cc, o, t, errbuf, err);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc != NULL)
		*location = xstrdup(loc);
	rc = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(resolve);
	return rc;
}

int
validate_http01(const struct validate_opts *o, const char *type,
    const char *id, const char *token, const char *key_authz,
    struct pica_err *err)
{
	struct val_target	 t;
	struct val_body		*b = NULL;
	unsigned char		 a[16];
	char			*url = NULL, *loc = NULL, got[VAL_SHOW + 4];
	size_t			 len, tlen = strlen(token), klen;
	long			 status = 0;
	int			 rc = -1, af, hop;

	if ((af = val_check_id(type, id, a, err)) == -1)
		goto out;
	if (tlen == 0 || tlen > 256 || strspn(token,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
	    != tlen) {
		pica_err_set(err, PICA_E_USAGE, "\"%.64s\": not a token",
		    token);
		goto out;
	}
	len = strlen(id) + tlen + sizeof(VAL_CHALLENGE) + 32;
	url = xcalloc(1, len);
	snprintf(url, len, "http://%s%s%s:%d" VAL_CHALLENGE "%s",
	    af == AF_INET6 ? "[" : "", id, af == AF_INET6 ? "]" : "",
	    o->http_port > 0 ? o->http_port : 80, token);
	b = xcalloc(1, sizeof(*b));
	for (hop = 0; ; hop++) {
		if (val_target(url, hop > 0, &t, err) == -1 ||
		    val_get(o, url, &t, b, &status, &loc, err) == -1)
			goto out;
		if (status != 301 && status != 302 && status != 303 &&
		    status != 307 && status != 308)
			break;
		if (loc == NULL) {
			pica_err_set(err, PICA_E_UNAUTHORIZED,
			    "%.200s answered %ld without a Location", url,
			    status);
			goto out;
		}
		if (hop == VAL_REDIRS) {
			pica_err_set(err, PICA_E_CONNECTION,
			    "%.200s: too many redirects (more than %d)", url,
			    VAL_REDIRS);
			goto out;
		}
		free(url);
		url = loc;
		loc = NULL;
	}
	if (status != 200) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "%.200s answered %ld",
		    url, status);
		goto out;
	}
	/* RFC 8555 8.3: trailing whitespace is not part of the answer. */
	len = b->len;
	while (len > 0 && (b->buf[len - 1] == ' ' || b->buf[len - 1] == '\t' ||
	    b->buf[len - 1] == '\r' || b->buf[len - 1] == '\n'))
		len--;
	klen = strlen(key_authz);
	if (b->capped || len != klen || memcmp(b->buf, key_authz, klen) != 0) {
		val_printable((unsigned char *)b->buf, len, got, sizeof(got));
		pica_err_set(err, PICA_E_INCORRECT,
		    "%.200s: expected \"%s\" got \"%s\"%s", url, key_authz, got,
		    b->capped ? " (more than 8192 bytes)" : "");
		goto out;
	}
	rc = 0;
out:
	free(b);
	free(loc);
	free(url);
	return rc;
}

int
validate_dns01(const struct validate_opts *o, const char *domain,
    const char *key_authz, struct pica_err *err)
{
	struct val_dns		 d;
	unsigned char		 md[32];
	const unsigned char	*rd;
	char			 name[VAL_HOST_MAX + 32], want[48];
	char			 val[VAL_SHOW + 8], got[VAL_SHOW + 4];
	ns_rr			 rr;
	size_t			 wlen, vlen, slen, p, rdlen;
	int			 rc = -1, i, n, nx, ntxt = 0, match;

	memset(&d, 0, sizeof(d));
	if (val_check_name(domain, err) == -1 ||
	    val_sha256(key_authz, md, err) == -1)
		goto out;
	val_b64url(md, sizeof(md), want);
	wlen = strlen(want);
	snprintf(name, sizeof(name), "_acme-challenge.%s", domain);
	if (val_dns_open(o, &d, err) == -1 ||
	    val_query(&d, name, ns_t_txt, "TXT", &n, &nx, err) == -1)
		goto out;
	if (nx) {
		pica_err_set(err, PICA_E_DNS,
		    "DNS problem: NXDOMAIN looking up TXT for %s", name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (ns_parserr(&d.msg, ns_s_an, i, &rr) == -1 ||
		    ns_rr_type(rr) != ns_t_txt)
			continue;
		/* Join the character-strings; only the head is kept. */
		rd = ns_rr_rdata(rr);
		rdlen = ns_rr_rdlen(rr);
		match = 1;
		for (p = 0, vlen = 0; p < rdlen; p += 1 + slen) {
			slen = rd[p];
			if (p + 1 + slen > rdlen)
				slen = rdlen - p - 1;
			if (vlen + slen > wlen ||
			    memcmp(want + vlen, rd + p + 1, slen) != 0)
				match = 0;
			if (vlen < sizeof(val))
				memcpy(val + vlen, rd + p + 1, slen <
				    sizeof(val) - vlen ? slen :
				    sizeof(val) - vlen);
			vlen += slen;
		}
		if (match && vlen == wlen) {
			rc = 0;
			goto out;
		}
		if (ntxt++ == 0)
			val_printable((unsigned char *)val, vlen < sizeof(val) ?
			    vlen : sizeof(val), got, sizeof(got));
	}
	if (ntxt == 0)
		pica_err_set(err, PICA_E_UNAUTHORIZED, "no TXT record at %s",
		    name);
	else
		pica_err_set(err, PICA_E_INCORRECT,
		    "incorrect TXT record \"%s\"%s found at %s, "
		    "expected \"%s\"", got, ntxt > 1 ? " (and others)" : "",
		    name, want);
out:
	val_dns_close(&d);
	return rc;
}

/* The TLS handshake on libcurl's connected (non-blocking) socket. */
static int
val_handshake(SSL *ssl, int fd, int timeout, const char *where,
    struct pica_err *err)
{
	struct timespec	 start;
	const char	*why;
	short		 events;
	int		 r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		ERR_clear_error();
		if ((r = SSL_connect(ssl)) == 1)
			return 0;
		switch (SSL_get_error(ssl, r)) {
		case SSL_ERROR_WANT_READ:
			events = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			events = POLLOUT;
			break;
		default:
			return pica_err_ssl(err, PICA_E_TLS,
			    "%s: TLS handshake failed", where);
		}
		if (val_wait(fd, events, &start, timeout, &why) == -1) {
			if (strcmp(why, "timeout") == 0)
				return pica_err_set(err, PICA_E_CONNECTION,
				    "%s: timeout after %d s in the TLS "
				    "handshake", where, timeout);
			return pica_err_set(err, PICA_E_INTERNAL, "%s: %s",
			    where, why);
		}
	}
}

/* The one SAN of cert, described for a message. */
static void
val_describe_name(const GENERAL_NAME *gn, char *out, size_t len)
{
	const unsigned char	*d;
	char			 s[VAL_SHOW + 4];
	int			 n;

	if (gn->type == GEN_DNS) {
		d = ASN1_STRING_get0_data(gn->d.dNSName);
		n = ASN1_STRING_length(gn->d.dNSName);
		val_printable(d, (size_t)n, s, sizeof(s));
		snprintf(out, len, "DNS:%s", s);
	} else if (gn->type == GEN_IPADD) {
		d = ASN1_STRING_get0_data(gn->d.iPAddress);
		n = ASN1_STRING_length(gn->d.iPAddress);
		if ((n == 4 || n == 16) && inet_ntop(n == 4 ? AF_INET :
		    AF_INET6, d, s, sizeof(s)) != NULL)
			snprintf(out, len, "IP:%s", s);
		else
			snprintf(out, len, "a malformed IP address");
	} else
		snprintf(out, len, "a name of another type");
}

/* RFC 8737 section 3: what the validation certificate must be. */
static int
val_check_cert(X509 *cert, int af, const char *id, const unsigned char *a,
    const unsigned char want[32], const char *where, struct pica_err *err)
{
	GENERAL_NAMES		*gens = NULL;
	const GENERAL_NAME	*gn;
	ASN1_OBJECT		*oid = NULL;
	ASN1_OCTET_STRING	*os = NULL;
	const ASN1_OCTET_STRING	*data;
	X509_EXTENSION		*ext;
	const unsigned char	*p, *d;
	char			*hex = NULL, desc[VAL_SHOW + 32];
	int			 rc = -1, crit = 0, idx, n, same;

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL || sk_GENERAL_NAME_num(gens) != 1) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "%s: the certificate "
		    "must carry exactly one subjectAltName, %s", where, id);
		goto out;
	}
	gn = sk_GENERAL_NAME_value(gens, 0);
	if (af == 0)
		same = gn->type == GEN_DNS &&
		    (size_t)ASN1_STRING_length(gn->d.dNSName) == strlen(id) &&
		    strncasecmp((const char *)ASN1_STRING_get0_data(
		    gn->d.dNSName), id, strlen(id)) == 0;
	else {
		n = af == AF_INET ? 4 : 16;
		same = gn->type == GEN_IPADD &&
		    ASN1_STRING_length(gn->d.iPAddress) == n &&
		    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), a,
		    (size_t)n) == 0;
	}
	if (!same) {
		val_describe_name(gn, desc, sizeof(desc));
		pica_err_set(err, PICA_E_UNAUTHORIZED, "%s: the certificate is "
		    "for %s, not %s", where, desc, id);
		goto out;
	}
	if ((oid = OBJ_txt2obj(VAL_ACME_OID, 1)) == NULL) {
		pica_err_ssl(err, PICA_E_INTERNAL, "acmeIdentifier OID");
		goto out;
	}
	if ((idx = X509_get_ext_by_OBJ(cert, oid, -1)) < 0 ||
	    X509_get_ext_by_OBJ(cert, oid, idx) >= 0) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "%s: the certificate "
		    "must carry one acmeIdentifier extension (%s)", where,
		    VAL_ACME_OID);
		goto out;
	}
	ext = X509_get_ext(cert, idx);
	if (!X509_EXTENSION_get_critical(ext)) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "%s: the acmeIdentifier "
		    "extension must be critical", where);
		goto out;
	}
	/* The extension's value is the DER of an OCTET STRING of 32 bytes. */
	data = X509_EXTENSION_get_data(ext);
	p = d = ASN1_STRING_get0_data(data);
	n = ASN1_STRING_length(data);
	if ((os = d2i_ASN1_OCTET_STRING(NULL, &p, n)) == NULL ||
	    p != d + n || ASN1_STRING_length(os) != 32) {
		ERR_clear_error();
		pica_err_set(err, PICA_E_INCORRECT, "%s: the acmeIdentifier "
		    "extension is not an OCTET STRING of 32 bytes", where);
		goto out;
	}
	if (memcmp(ASN1_STRING_get0_data(os), want, 32) != 0) {
		hex = util_hex(ASN1_STRING_get0_data(os), 32);
		pica_err_set(err, PICA_E_INCORRECT, "%s: the acmeIdentifier "
		    "extension holds %s, not SHA-256 of the key authorization",
		    where, hex ? hex : "another digest");
		goto out;
	}
	rc = 0;
out:
	free(hex);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	GENERAL_NAMES_free(gens);
	return rc;
}

int
validate_tlsalpn01(const struct validate_opts *o, const char *type,
    const char *id, const char *key_authz, struct pica_err *err)
{
	struct val_target	 t;
	struct curl_slist	*resolve = NULL;
	struct sigaction	 sa, osa;
	CURL			*c = NULL;
	CURLcode		 cc;
	curl_socket_t		 fd = CURL_SOCKET_BAD;
	SSL_CTX			*ctx = NULL;
	SSL			*ssl = NULL;
	X509			*cert = NULL;
	const unsigned char	*proto;
	unsigned char		 a[16], want[32];
	unsigned int		 plen = 0;
	char			 url[VAL_HOST_MAX + 32], sni[VAL_HOST_MAX];
	char			 errbuf[CURL_ERROR_SIZE];
	int			 rc = -1, af, sig = 0;

	if ((af = val_check_id(type, id, a, err)) == -1 ||
	    val_sha256(key_authz, want, err) == -1)
		goto out;
	snprintf(url, sizeof(url), "http://%s%s%s:%d/",
	    af == AF_INET6 ? "[" : "", id, af == AF_INET6 ? "]" : "",
	    o->tls_port > 0 ? o->tls_port : 443);
	if (af == 0)
		snprintf(sni, sizeof(sni), "%s", id);
	else
		val_reverse_name(af, a, sni, sizeof(sni));
	if (val_target(url, 0, &t, err) == -1 ||
	    val_resolve(o, &t, &resolve, err) == -1)
		goto out;

	/* libcurl resolves and connects as for http-01; TLS is ours. */
	if ((c = val_curl(o, url, resolve, errbuf, err)) == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		val_curl_err(c, cc, o, &t, errbuf, err);
		goto out;
	}
	if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: no socket", t.where);
		goto out;
	}

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    (ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(ssl, fd) ||
	    !SSL_set_tlsext_host_name(ssl, sni) ||
	    SSL_set_alpn_protos(ssl, (const unsigned char *)"\012" VAL_ALPN,
	    1 + strlen(VAL_ALPN)) != 0) {
		pica_err_ssl(err, PICA_E_INTERNAL, "%s: TLS setup", t.where);
		goto out;
	}
	/* RFC 8737: the certificate is self-signed, its chain not checked. */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	/* A peer that hangs up must not kill us with SIGPIPE on write(). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, &osa) == 0)
		sig = 1;
	if (val_handshake(ssl, fd, val_timeout(o), t.where, err) == -1)
		goto out;
	SSL_get0_alpn_selected(ssl, &proto, &plen);
	if (plen != strlen(VAL_ALPN) || memcmp(proto, VAL_ALPN, plen) != 0) {
		pica_err_set(err, PICA_E_UNAUTHORIZED, "%s: cannot negotiate "
		    "ALPN protocol \"%s\"", t.where, VAL_ALPN);
		goto out;
	}
	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL) {
		pica_err_set(err, PICA_E_TLS, "%s: no certificate", t.where);
		goto out;
	}
	if (val_check_cert(cert, af, id, a, want, t.where, err) == -1)
		goto out;
	rc = 0;
out:
	if (ssl != NULL)
		SSL_shutdown(ssl);
	if (sig)
		sigaction(SIGPIPE, &osa, NULL);
	X509_free(cert);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	curl_easy_cleanup(c);
	curl_slist_free_all(resolve);
	ERR_clear_error();
	return rc;
}
