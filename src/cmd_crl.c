/*
 * pica crl: make the CRL files now, or only when they need it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "crl.h"
#include "log.h"
#include "ocsp.h"
#include "store.h"

static void
crl_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] crl [--if-stale]\n\n"
	    "Sign a new CRL of every revoked certificate and write it into the\n"
	    "web root as DER (crl) and PEM (crl.pem), atomically.  Revocations\n"
	    "already make it when crl.generateOnRevoke is set; run this from a\n"
	    "timer so that the CRL never passes its nextUpdate.  The OCSP\n"
	    "responder's certificate (ocsp.cert) is renewed too when less than\n"
	    "a third of its life is left.\n\n"
	    "  --if-stale  only when the files are missing or past their\n"
	    "              renewal point (half of crl.cacheDuration before\n"
	    "              nextUpdate); quiet when there is nothing to do\n");
}

/* Publish the CRL and say what was made; -1 after printing the error. */
int
cmd_crl_publish(struct ca *ca, struct store *st, int quiet)
{
	struct crl_info	 info;
	struct pica_err	 err;
	char		 next[64];

	pica_err_clear(&err);
	if (crl_publish(ca, st, (int64_t)time(NULL), &info, &err) == -1) {
		log_error("%s", err.msg);
		return -1;
	}
	if (!quiet) {
		cmd_format_time(info.next_update, next, sizeof(next));
		printf("CRL %llu: %zu revoked certificates, %zu bytes, next "
		    "update %s\n", (unsigned long long)info.number,
		    info.entries, info.der_len, next);
	}
	return 0;
}

int
cmd_crl(int argc, char **argv, const char *cfg)
{
	int		 rc = EXIT_FAILURE, ch, if_stale = 0, stale, due;
	int		 renewed = 0;
	int64_t		 now;
	struct pica_err	 err;
	struct conf	*cf = NULL;
	struct ca	*ca = NULL;
	struct store	*st = NULL;
	static const struct option opts[] = {
		{ "if-stale", no_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if_stale = 1;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			crl_usage(stdout);
			return EXIT_SUCCESS;
		default:
			crl_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		crl_usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_open(cfg, 0, &cf, NULL, NULL) == -1)
		goto out;
	now = (int64_t)time(NULL);
	if (!cf->crl_enabled && !if_stale) {
		log_error("crl: crl.enabled is false in %s", cf->path);
		goto out;
	}
	/* The key is opened only when there is something to sign. */
	stale = cf->crl_enabled && (!if_stale || crl_is_stale(cf, now));
	due = ocsp_signer_due(cf, now);
	if (!stale && !due) {
		rc = EXIT_SUCCESS;
		goto out;
	}
	conf_free(cf);
	cf = NULL;
	if (cmd_open(cfg, 1, &cf, &ca, &st) == -1)
		goto out;
	if (due) {
		if (ocsp_signer_renew(ca, st, 0, now, &renewed, &err) == -1) {
			log_error("crl: %s", err.msg);
			goto out;
		}
		if (renewed)
			printf("OCSP responder certificate renewed: %s\n",
			    cf->ocsp_cert);
	}
	if (stale && cmd_crl_publish(ca, st, 0) == -1)
		goto out;
	rc = EXIT_SUCCESS;
out:
	cmd_close(cf, ca, st);
	return rc;
}
