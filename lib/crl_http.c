/*
 * crl_http.c: the crl FastCGI program.  The web server serves /crl and
 * /crl.pem from the web root itself and passes a request here only when
 * the file is not there (after a revocation by a program that holds no
 * key, or before the first `pica crl`); the program then signs a new CRL
 * if the published one is missing or stale, and answers with the file.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "ca.h"
#include "conf.h"
#include "crl.h"
#include "http.h"
#include "log.h"
#include "prog.h"
#include "store.h"
#include "util.h"

/* Far above any CRL this CA makes (100,000 entries are 4 MB). */
#define CRL_SERVE_MAX	(256 * 1024 * 1024)

static int
crl_http_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	struct prog	*p = arg;
	struct pica_err	 err;
	const char	*file, *type;
	char		*path = NULL, *data = NULL;
	size_t		 len = 0;
	int		 r;

	if (strcmp(req->path, "/" CRL_FILE_DER) == 0) {
		file = CRL_FILE_DER;
		type = "application/pkix-crl";
	} else if (strcmp(req->path, "/" CRL_FILE_PEM) == 0) {
		file = CRL_FILE_PEM;
		type = "application/x-pem-file";
	} else {
		http_text(resp, 404, "not found\n");
		return 0;
	}
	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		http_header(resp, "Allow", "GET, HEAD");
		http_text(resp, 405, "GET or HEAD\n");
		return 0;
	}
	if (!p->conf->crl_enabled) {
		http_text(resp, 404, "this CA publishes no CRL (crl.enabled "
		    "is false)\n");
		return 0;
	}
	if ((r = crl_refresh(p->ca, p->store, (int64_t)time(NULL), NULL,
	    &err)) == -1) {
		log_error("%s", err.msg);
		http_text(resp, 500, "the CRL could not be made; the CA's "
		    "log says why\n");
		goto out;
	}
	if (r == 1)
		log_info("published a new CRL on request for %s", req->path);
	if ((path = util_path_join(p->conf->www_dir, file)) == NULL ||
	    util_read_file(path, CRL_SERVE_MAX, &data, &len, &err) == -1) {
		log_error("%s", path == NULL ? "out of memory" : err.msg);
		http_text(resp, 500, "the CRL could not be read; the CA's "
		    "log says why\n");
		goto out;
	}
	/*
	 * A new CRL may come with the next revocation: let caches ask.  For
	 * HEAD the web server drops the body and keeps its length.
	 */
	http_header(resp, "Cache-Control", "no-cache");
	http_body(resp, 200, type, data, len);
out:
	free(data);
	free(path);
	return 0;
}

int
crl_main(int argc, char *argv[])
{
	struct prog	 p;
	const char	*config;
	int		 rc = 1;

	if (prog_options(argc, argv, "crl", &config) == -1)
		return 2;
	if (prog_open(&p, config, PROG_CA_KEY) == -1)
		goto out;
	rc = prog_exit_status(http_serve(crl_http_handle, NULL, &p));
out:
	prog_close(&p);
	return rc;
}
