/*
 * ocsp_http.c: the ocsp FastCGI program's requests: POST /ocsp with an
 * application/ocsp-request body, GET /ocsp/{url-encoded base64} (RFC 6960
 * appendix A.1), each answered with an application/ocsp-response.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "ca.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "ocsp.h"
#include "prog.h"
#include "store.h"
#include "util.h"

/* The longest GET path part: RFC 5019 says 255 bytes of request. */
#define OCSP_GET_MAX	4096

struct ocsp_prog {
	struct prog		 prog;
	struct ocsp_responder	*resp;
};

int
ocsp_get_decode(const char *path, unsigned char **out, size_t *len)
{
	char		*b64 = NULL;
	unsigned char	*der = NULL;
	size_t		 i, n = 0, plen = strlen(path), pad = 0;
	int		 hi, lo, dlen, rc = -1;

	*out = NULL;
	if (plen == 0 || plen > OCSP_GET_MAX)
		goto out;
	b64 = xcalloc(1, plen + 4);
	/* %-escapes once: "+", "/" and "=" may come raw or escaped. */
	for (i = 0; i < plen; i++) {
		if (path[i] == '%') {
			if (i + 2 >= plen ||
			    (hi = util_hexval(path[i + 1])) < 0 ||
			    (lo = util_hexval(path[i + 2])) < 0)
				goto out;
			b64[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			b64[n++] = path[i];
	}
	for (i = 0; i < n; i++) {
		if (b64[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || !(b64[i] == '+' || b64[i] == '/' ||
		    (b64[i] >= '0' && b64[i] <= '9') ||
		    (b64[i] >= 'A' && b64[i] <= 'Z') ||
		    (b64[i] >= 'a' && b64[i] <= 'z')))
			goto out;
	}
	/* Some clients leave the padding out. */
	while (n % 4 != 0 && pad < 3) {
		b64[n++] = '=';
		pad++;
	}
	if (n % 4 != 0 || pad > 2)
		goto out;
	der = xcalloc(1, n / 4 * 3 + 1);
	if ((dlen = EVP_DecodeBlock(der, (unsigned char *)b64, (int)n)) < 0)
		goto out;
	*len = (size_t)dlen - pad;
	*out = der;
	der = NULL;
	rc = 0;
out:
	free(der);
	free(b64);
	return rc;
}

static void
ocsp_http_answer(struct http_resp *resp, const struct ocsp_answer *ans,
    int get, int64_t now)
{
	char		 date[64];
	struct tm	 tm;
	time_t		 t;
	char		*etag;
	int64_t		 age;

	/* RFC 5019 6.2: GET answers are cacheable until nextUpdate. */
	if (get && ans->cacheable) {
		age = ans->next_update - now;
		if (age < 0)
			age = 0;
		http_header(resp, "Cache-Control", "max-age=%lld, public, "
		    "no-transform, must-revalidate", (long long)age);
		t = (time_t)ans->this_update;
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		http_header(resp, "Last-Modified", "%s", date);
		t = (time_t)ans->next_update;
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		http_header(resp, "Expires", "%s", date);
		if ((etag = util_hex(ans->etag, sizeof(ans->etag))) != NULL) {
			http_header(resp, "ETag", "\"%s\"", etag);
			free(etag);
		}
	} else
		http_header(resp, "Cache-Control", "no-store");
	http_body(resp, 200, "application/ocsp-response", ans->der, ans->len);
}

static int
ocsp_http_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	struct ocsp_prog	*p = arg;
	struct ocsp_answer	 ans;
	unsigned char		*der = NULL;
	const unsigned char	*body;
	const char		*b64;
	size_t			 len = 0;
	int64_t			 now = (int64_t)time(NULL);
	int			 get, r;

	memset(&ans, 0, sizeof(ans));
	get = strcmp(req->method, "GET") == 0;
	if (get) {
		/* Everything after "/ocsp/", "//" and all. */
		if (strncmp(req->path, "/ocsp/", 6) != 0 ||
		    (b64 = req->path + 6)[0] == '\0') {
			http_text(resp, 404, "no OCSP request in the URL\n");
			return 0;
		}
		if (ocsp_get_decode(b64, &der, &len) == -1)
			len = 0;	/* malformedRequest below */
		body = der;
	} else if (strcmp(req->method, "POST") == 0) {
		if (req->too_large) {
			http_text(resp, 413, "request too large\n");
			return 0;
		}
		if (strcmp(req->content_type, "application/ocsp-request") !=
		    0) {
			http_text(resp, 415, "Content-Type must be "
			    "application/ocsp-request\n");
			return 0;
		}
		body = req->body;
		len = req->body_len;
	} else {
		http_header(resp, "Allow", "GET, POST");
		http_text(resp, 405, "GET or POST\n");
		return 0;
	}
	if (len == 0)
		r = ocsp_status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
		    &ans);
	else if ((r = ocsp_respond(p->resp, body, len, now, &ans)) == -1)
		r = ocsp_status_only(OCSP_RESPONSE_STATUS_INTERNALERROR, &ans);
	if (r == 0)
		ocsp_http_answer(resp, &ans, get, now);
	else
		http_text(resp, 500, "internal error\n");
	ocsp_answer_free(&ans);
	free(der);
	return ocsp_responder_panicked(p->resp) ? HTTP_EXIT : 0;
}

int
ocsp_main(int argc, char *argv[])
{
	struct ocsp_prog	 p;
	struct pica_err		 err;
	const char		*config;
	int			 rc = 1;

	memset(&p, 0, sizeof(p));
	if (prog_options(argc, argv, "ocsp", &config) == -1)
		return 2;
	if (prog_open(&p.prog, config, PROG_OCSP_KEY) == -1)
		goto out;
	if (ocsp_responder_new(p.prog.ca, p.prog.store, &p.resp, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	rc = prog_exit_status(http_serve(ocsp_http_handle, NULL, &p));
out:
	ocsp_responder_free(p.resp);
	prog_close(&p.prog);
	return rc;
}
