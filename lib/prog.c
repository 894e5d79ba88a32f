/*
 * prog.c: the frame of the FastCGI programs (see prog.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "prog.h"
#include "store.h"

int
prog_options(int argc, char *argv[], const char *ident, const char **config)
{
	int	 ch;

	log_init(ident);
	*config = NULL;
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			*config = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-c pica.json]\n", ident);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: %s [-c pica.json]\n", ident);
		return -1;
	}
	return 0;
}

int
prog_open(struct prog *p, const char *config, enum prog_key key)
{
	struct pica_err	 err;
	int		 with_key;

	memset(p, 0, sizeof(*p));
	if (conf_load(conf_default_path(config), &p->conf, &err) == -1) {
		log_error("%s", err.msg);
		return -1;
	}
	with_key = key == PROG_CA_KEY ||
	    (key == PROG_OCSP_KEY && p->conf->ocsp_cert == NULL);
	if (ca_open(p->conf, with_key, &p->ca, &err) == -1) {
		log_error("%s", err.msg);
		return -1;
	}
	if (store_open(p->conf->db_dir, &p->store) != 0)
		return -1;
	return 0;
}

void
prog_close(struct prog *p)
{
	store_close(p->store);
	ca_free(p->ca);
	conf_free(p->conf);
	memset(p, 0, sizeof(*p));
}

int
prog_exit_status(int serve_rc)
{
	return serve_rc == HTTP_EXIT ? 75 : serve_rc == 0 ? 0 : 1;
}
