#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "http.h"
#include "log.h"
#include "util.h"

static const struct {
	int		 code;
	const char	*text;
} http_reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
	{ 301, "Moved Permanently" }, { 302, "Found" },
	{ 304, "Not Modified" }, { 400, "Bad Request" },
	{ 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 409, "Conflict" },
	{ 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
	{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

static const char *
http_reason(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(http_reasons) / sizeof(http_reasons[0]); i++)
		if (http_reasons[i].code == code)
			return http_reasons[i].text;
	return "Status";
}

const char *
http_param(const struct http_req *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgi->envp);
}

void
http_header(struct http_resp *resp, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	 value[2048];
	size_t	 need;
	char	*p;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	/* A header never carries a line break: no response splitting. */
	value[strcspn(value, "\r\n")] = '\0';
	need = resp->hlen + strlen(name) + strlen(value) + 5;
	if ((p = realloc(resp->headers, need)) == NULL) {
		log_error("out of memory");
		abort();
	}
	resp->headers = p;
	resp->hlen += (size_t)snprintf(resp->headers + resp->hlen,
	    need - resp->hlen, "%s: %s\r\n", name, value);
}

void
http_body(struct http_resp *resp, int status, const char *content_type,
    const void *body, size_t len)
{
	free(resp->body);
	free(resp->content_type);
	resp->status = status;
	resp->body = xcalloc(1, len + 1);
	memcpy(resp->body, body, len);
	resp->body_len = len;
	resp->content_type = xstrdup(content_type);
}

void
http_text(struct http_resp *resp, int status, const char *text)
{
	http_body(resp, status, "text/plain", text, strlen(text));
}

void
http_json(struct http_resp *resp, int status, const char *content_type,
    json_t *doc)
{
	char	*text;

	if ((text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		log_error("out of memory");
		abort();
	}
	http_body(resp, status, content_type, text, strlen(text));
	free(text);
}

void
http_resp_reset(struct http_resp *resp)
{
	free(resp->headers);
	free(resp->body);
	free(resp->content_type);
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
}

int
http_send(struct http_req *req, struct http_resp *resp)
{
	FCGX_Stream	*out = req->fcgi->out;
	int		 status = resp->status ? resp->status : 200;
	char		 head[512];

	/* libfcgi's own printf knows no %zu: format here. */
	if (resp->content_type != NULL)
		snprintf(head, sizeof(head), "Status: %d %s\r\n"
		    "Content-Type: %s\r\nContent-Length: %zu\r\n", status,
		    http_reason(status), resp->content_type, resp->body_len);
	else
		snprintf(head, sizeof(head), "Status: %d %s\r\n"
		    "Content-Length: 0\r\n", status, http_reason(status));
	FCGX_PutS(head, out);
	if (resp->hlen > 0)
		FCGX_PutStr(resp->headers, (int)resp->hlen, out);
	FCGX_PutS("\r\n", out);
	/* HEAD gets the headers of the GET, without its body. */
	if (resp->body_len > 0 && strcmp(req->method, "HEAD") != 0)
		FCGX_PutStr(resp->body, (int)resp->body_len, out);
	return FCGX_GetError(out) == 0 ? 0 : -1;
}

/* Read the body, at most HTTP_BODY_MAX bytes, as CONTENT_LENGTH says. */
static int
http_read_body(struct http_req *req)
{
	const char	*cl = http_param(req, "CONTENT_LENGTH");
	char		*end;
	unsigned long	 len;
	int		 n;

	req->body = xcalloc(1, 1);
	req->body_len = 0;
	if (cl == NULL || cl[0] == '\0')
		return 0;
	errno = 0;
	len = strtoul(cl, &end, 10);
	if (errno != 0 || *end != '\0' || cl[0] == '-')
		return -1;
	if (len > HTTP_BODY_MAX) {
		req->too_large = 1;
		return 0;
	}
	free(req->body);
	req->body = xcalloc(1, len + 1);
	n = FCGX_GetStr((char *)req->body, (int)len, req->fcgi->in);
	if (n < 0 || (unsigned long)n != len)
		return -1;
	req->body_len = len;
	return 0;
}

int
http_serve(int (*handler)(struct http_req *, struct http_resp *, void *),
    void (*after)(void *), void *arg)
{
	FCGX_Request	 fr;
	struct http_req	 req;
	struct http_resp resp;
	const char	*uri;
	char		*path = NULL;
	int		 rc = 0, r;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_error("FastCGI initialisation failed");
		return -1;
	}
	memset(&resp, 0, sizeof(resp));
	while (FCGX_Accept_r(&fr) >= 0) {
		memset(&req, 0, sizeof(req));
		http_resp_reset(&resp);
		req.fcgi = &fr;
		req.method = http_param(&req, "REQUEST_METHOD");
		req.content_type = http_param(&req, "CONTENT_TYPE");
		req.remote_addr = http_param(&req, "REMOTE_ADDR");
		req.query = http_param(&req, "QUERY_STRING");
		/*
		 * REQUEST_URI is the path as the client sent it, before any
		 * decoding or slash merging by the web server: what a JWS
		 * "url" names and what an OCSP GET encodes.
		 */
		if ((uri = http_param(&req, "REQUEST_URI")) == NULL)
			uri = http_param(&req, "DOCUMENT_URI");
		if (req.method == NULL)
			req.method = "GET";
		if (req.content_type == NULL)
			req.content_type = "";
		if (req.remote_addr == NULL)
			req.remote_addr = "";
		if (req.query == NULL)
			req.query = "";
		path = xstrdup(uri != NULL ? uri : "/");
		path[strcspn(path, "?")] = '\0';
		req.path = path;
		if (http_read_body(&req) == -1) {
			http_body(&resp, 400, "text/plain", "bad body\n", 9);
			(void)http_send(&req, &resp);
			r = 0;
		} else {
			r = handler(&req, &resp, arg);
			(void)http_send(&req, &resp);
		}
		free(req.body);
		free(path);
		path = NULL;
		FCGX_Finish_r(&fr);
		if (r == HTTP_EXIT) {
			rc = HTTP_EXIT;
			break;
		}
		if (after != NULL)
			after(arg);
	}
	http_resp_reset(&resp);
	FCGX_Free(&fr, 1);
	return rc;
}
