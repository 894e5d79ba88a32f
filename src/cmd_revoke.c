/*
 * pica revoke: mark a certificate revoked in the store.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd.h"
#include "ca.h"
#include "conf.h"
#include "log.h"
#include "reason.h"
#include "serial.h"
#include "store.h"

static void
revoke_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] revoke SERIAL [--reason NAME]\n\n"
	    "Revoke the certificate with SERIAL (hex, as `pica list` prints it,\n"
	    "or colon-separated as openssl prints it).  The revocation is\n"
	    "committed to the store at once, and the CRL files are made again\n"
	    "when crl.generateOnRevoke is set.\n\n"
	    "  --reason NAME  an RFC 5280 reason: unspecified (default),\n"
	    "                 keyCompromise, cACompromise, affiliationChanged,\n"
	    "                 superseded, cessationOfOperation,\n"
	    "                 privilegeWithdrawn, aACompromise, or its number\n");
}

int
cmd_revoke(int argc, char **argv, const char *cfg)
{
	int		 rc = EXIT_FAILURE, ch, reason = 0, r;
	struct conf	*cf = NULL;
	struct ca	*ca = NULL;
	struct store	*st = NULL;
	int		 publish;
	unsigned char	 serial[STORE_SERIAL_MAX];
	size_t		 len;
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if ((reason = reason_parse(optarg)) == -1) {
				log_error("revoke: unknown reason \"%s\" (see "
				    "pica revoke --help)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			revoke_usage(stdout);
			return EXIT_SUCCESS;
		default:
			revoke_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		revoke_usage(stderr);
		return EXIT_USAGE;
	}
	if (serial_parse(argv[optind], serial, sizeof(serial), &len) == -1) {
		log_error("revoke: \"%s\" is not a serial number",
		    argv[optind]);
		return EXIT_USAGE;
	}
	if (cmd_open(cfg, 0, &cf, NULL, NULL) == -1)
		goto out;
	/* The key is loaded before the revocation, so that a CRL can follow. */
	publish = cf->crl_enabled && cf->crl_generate_on_revoke;
	conf_free(cf);
	cf = NULL;
	if (cmd_open(cfg, publish, &cf, publish ? &ca : NULL, &st) == -1)
		goto out;
	r = store_cert_set_revoked(st, serial, len, reason,
	    (int64_t)time(NULL));
	switch (r) {
	case 0:
		printf("revoked %s (%s)\n", argv[optind], reason_name(reason));
		if (publish && cmd_crl_publish(ca, st, 1) == -1) {
			log_error("revoke: the revocation is in the store; "
			    "run `pica crl` to publish it");
			break;
		}
		rc = EXIT_SUCCESS;
		break;
	case STORE_NOTFOUND:
		log_error("revoke: no certificate with serial %s",
		    argv[optind]);
		break;
	case STORE_ALREADY:
		log_error("revoke: %s is already revoked", argv[optind]);
		break;
	default:
		log_error("revoke: the store failed");
		break;
	}
out:
	cmd_close(cf, ca, st);
	return rc;
}
