/*
 * pica www: write the CA's landing page again (after an edit of pica.json,
 * a new intermediate, or an upgrade of the shipped template).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "conf.h"
#include "landing.h"
#include "log.h"
#include "util.h"

static void
www_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] www\n\n"
	    "Write the CA's landing page into its web root (\"www\" in\n"
	    "pica.json, default DIR/www): index.html with the CA's name, its\n"
	    "root and intermediate certificates and their SHA-256\n"
	    "fingerprints, the ACME directory, CRL and OCSP URLs and how to\n"
	    "use them with common ACME clients and systems; pica.css; the\n"
	    "certificates in DER (root.crt, intermediate.crt).  Each file is\n"
	    "replaced atomically.  `pica init` and `pica demo` do this too.\n\n"
	    "The template is landing.html.in in $PICA_TEMPLATE_DIR, default\n"
	    "  %s\n", PICA_TEMPLATE_DIR);
}

int
cmd_www(int argc, char **argv, const char *cfg)
{
	int		 rc = EXIT_FAILURE, ch;
	struct conf	*cf = NULL;
	struct pica_err	 err;
	char		*path = NULL;
	size_t		 i;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			www_usage(stdout);
			return EXIT_SUCCESS;
		default:
			www_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		www_usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_open(cfg, 0, &cf, NULL, NULL) == -1)
		goto out;
	if (landing_write(cf, NULL, &err) == -1) {
		log_error("www: %s", err.msg);
		goto out;
	}
	for (i = 0; landing_files[i] != NULL; i++) {
		if ((path = util_path_join(cf->www_dir, landing_files[i])) ==
		    NULL) {
			log_error("www: out of memory");
			goto out;
		}
		printf("Wrote %s\n", path);
		free(path);
		path = NULL;
	}
	rc = EXIT_SUCCESS;
out:
	free(path);
	conf_free(cf);
	return rc;
}
