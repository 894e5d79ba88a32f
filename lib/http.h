/*
 * http.h: one FastCGI request in, one HTTP response out.
 *
 * Programs use fcgiapp.h (not fcgi_stdio.h) on the socket spawn-fcgi
 * hands them as file descriptor 0.  A request body is read only up to
 * CONTENT_LENGTH and never past HTTP_BODY_MAX: a longer one is refused
 * unread (req->too_large).  Absolute URLs are never built from the Host
 * header: callers use externalURL from pica.json.
 */
#ifndef PICA_HTTP_H
#define PICA_HTTP_H

#include <stddef.h>

#include <fcgiapp.h>
#include <jansson.h>

#define HTTP_BODY_MAX	(64 * 1024)

struct http_req {
	FCGX_Request	*fcgi;
	const char	*method;	/* REQUEST_METHOD */
	const char	*path;		/* DOCUMENT_URI, without the query */
	const char	*query;		/* QUERY_STRING, "" when none */
	const char	*content_type;	/* CONTENT_TYPE, "" when none */
	const char	*remote_addr;	/* REMOTE_ADDR, "" when none */
	unsigned char	*body;		/* NUL-terminated, body_len bytes */
	size_t		 body_len;
	int		 too_large;	/* CONTENT_LENGTH over HTTP_BODY_MAX */
};

struct http_resp {
	int		 status;	/* 200 unless set */
	char		*headers;	/* "Name: value\r\n" lines */
	size_t		 hlen;
	char		*body;
	size_t		 body_len;
	char		*content_type;	/* NULL: no body */
};

/* A request parameter ("HTTP_ACCEPT", ...), or NULL. */
const char	*http_param(const struct http_req *, const char *name);

/* Add a response header; value is printf-style.  Aborts on ENOMEM. */
void	 http_header(struct http_resp *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Set the body (copied) and its type. */
void	 http_body(struct http_resp *, int status, const char *content_type,
	    const void *body, size_t len);

/* Set a text/plain body of the NUL-terminated text. */
void	 http_text(struct http_resp *, int status, const char *text);

/* Set a JSON body (compact, sorted keys off) of type content_type. */
void	 http_json(struct http_resp *, int status, const char *content_type,
	    json_t *doc);

/* Write the response to the request's output stream. */
int	 http_send(struct http_req *, struct http_resp *);

/* Free what a response holds and reset it to an empty 200. */
void	 http_resp_reset(struct http_resp *);

/*
 * The request loop of a FastCGI program: accept on fd 0, read the request
 * (bounded body), call handler, send its response, then call after (when
 * not NULL) with the connection already finished, for work the client must
 * not wait for (challenge validation).  Returns when FCGX_Accept fails or
 * handler returns HTTP_EXIT (the store needs recovery: exit and be
 * restarted).
 */
#define HTTP_EXIT	(-2)
int	 http_serve(int (*handler)(struct http_req *, struct http_resp *,
	    void *), void (*after)(void *), void *arg);

#endif
