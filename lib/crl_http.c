/*
 * crl_http.c: the crl FastCGI program.  The web server serves /crl and
 * /crl.pem from the web root itself and passes a request here only when
 * the file is not there (after a revocation by a program that holds no
 * key, or before the first `pica crl`); the program then signs a new CRL
 * if the published one is missing or stale, and answers with the file.
 *
 * It also answers GET /health (DESIGN.md section 2): the store opens, the
 * CA key loads, the CRL is not past its nextUpdate.  So that /health can
 * say why, a key that does not load at start-up (a token absent, a wrong
 * PIN) leaves the program running without it, trying again now and then.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ca.h"
#include "conf.h"
#include "crl.h"
#include "http.h"
#include "log.h"
#include "prog.h"
#include "store.h"
#include "util.h"

/* Far above any CRL this CA makes (100,000 entries are 5 MB). */
#define CRL_SERVE_MAX	(256 * 1024 * 1024)
/*
 * Between two attempts at a key that did not load: a token busy with
 * another process, absent, or its PIN file missing may come right.  A
 * PIN the token refused is never tried again (tokens lock after a few).
 */
#define CRL_KEY_RETRY	2

struct crl_prog {
	struct prog	 prog;
	char		 key_err[640];	/* why the key is not loaded */
	int64_t		 key_tried;
	int		 key_refused;	/* the token refused the PIN */
	int		 panic;		/* the store needs recovery */
};

/* The CA key, loaded now or before; NULL with p->key_err set. */
static EVP_PKEY *
crl_key(struct crl_prog *p, int64_t now)
{
	struct pica_err	 err;

	if (p->prog.ca->key != NULL)
		return p->prog.ca->key;
	if (p->key_refused ||
	    (p->key_tried != 0 && now - p->key_tried < CRL_KEY_RETRY))
		return NULL;
	p->key_tried = now;
	if (ca_load_key(p->prog.ca, &err) == -1) {
		if (strcmp(p->key_err, err.msg) != 0)
			log_error("%s", err.msg);
		p->key_refused = err.code == PICA_E_PIN;
		snprintf(p->key_err, sizeof(p->key_err), "%s%s", err.msg,
		    p->key_refused ? "; not tried again, so that the token "
		    "does not lock: set the right PIN and restart the program" :
		    "");
		return NULL;
	}
	if (p->key_err[0] != '\0')
		log_info("the CA key loads now");
	p->key_err[0] = '\0';
	return p->prog.ca->key;
}

static int
crl_health_store_fn(struct store_txn *t, void *arg)
{
	return store_counter_get(t, "crl", arg);
}

/* GET /health: 200 when all is well, 503 naming what is not. */
static void
crl_health(struct crl_prog *p, struct http_resp *resp, int64_t now)
{
	const struct conf	*cf = p->prog.conf;
	json_t			*doc;
	uint64_t		 n;
	int64_t			 next;
	int			 ok = 1, r;
	char			 buf[128];

	doc = json_object();
	if ((r = store_run(p->prog.store, crl_health_store_fn, &n)) == 0)
		json_object_set_new(doc, "store", json_string("ok"));
	else {
		ok = 0;
		json_object_set_new(doc, "store", json_string(r == STORE_PANIC ?
		    "needs recovery: the program restarts" : "failing"));
		if (r == STORE_PANIC)
			p->panic = 1;
	}
	if (crl_key(p, now) != NULL)
		json_object_set_new(doc, "key", json_string("ok"));
	else {
		ok = 0;
		json_object_set_new(doc, "key", json_string(p->key_err));
	}
	if (!cf->crl_enabled)
		json_object_set_new(doc, "crl", json_string("disabled"));
	else if (crl_next_update(cf, &next) == -1)
		json_object_set_new(doc, "crl", json_string("not published "
		    "yet: the first fetch of /crl makes it"));
	else if (now >= next) {
		ok = 0;
		snprintf(buf, sizeof(buf), "expired %lld s ago: run `pica "
		    "crl`", (long long)(now - next));
		json_object_set_new(doc, "crl", json_string(buf));
	} else
		json_object_set_new(doc, "crl", json_string("ok"));
	json_object_set_new(doc, "status", json_string(ok ? "ok" : "fail"));
	http_header(resp, "Cache-Control", "no-store");
	http_json(resp, ok ? 200 : 503, "application/json", doc);
	json_decref(doc);
}

static int
crl_http_handle(struct http_req *req, struct http_resp *resp, void *arg)
{
	struct crl_prog	*cp = arg;
	struct prog	*p = &cp->prog;
	struct pica_err	 err;
	const char	*file, *type;
	char		*path = NULL, *data = NULL;
	size_t		 len = 0;
	int64_t		 now = (int64_t)time(NULL);
	int		 r;

	if (strcmp(req->path, "/health") == 0 &&
	    (strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0)) {
		crl_health(cp, resp, now);
		goto out;
	}
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
	if (crl_is_stale(p->conf, now) && crl_key(cp, now) == NULL) {
		http_text(resp, 503, "no CRL: the CA key is not available; "
		    "/health says why\n");
		goto out;
	}
	if ((r = crl_refresh(p->ca, p->store, now, NULL, &err)) == -1) {
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
	return cp->panic ? HTTP_EXIT : 0;
}

int
crl_main(int argc, char *argv[])
{
	struct crl_prog	 p;
	const char	*config;
	int		 rc = 1;

	memset(&p, 0, sizeof(p));
	if (prog_options(argc, argv, "crl", &config) == -1)
		return 2;
	if (prog_open(&p.prog, config, PROG_NO_KEY) == -1)
		goto out;
	/* Logged in once, here; a failure is kept for /health. */
	(void)crl_key(&p, (int64_t)time(NULL));
	rc = prog_exit_status(http_serve(crl_http_handle, NULL, &p));
out:
	prog_close(&p.prog);
	return rc;
}
