/*
 * pica show: one certificate, from the store.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "reason.h"
#include "serial.h"
#include "store.h"
#include "util.h"

static void
show_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] show SERIAL [--pem]\n\n"
	    "Show what the store knows of the certificate with SERIAL: status,\n"
	    "names, validity, profile, revocation, then the certificate in PEM.\n"
	    "--pem prints the PEM alone.\n");
}

int
cmd_show(int argc, char **argv, const char *cfg)
{
	int			 rc = EXIT_FAILURE, ch, pem_only = 0, r;
	struct conf		*cf = NULL;
	struct store		*st = NULL;
	struct cert_rec		 rec = { 0 };
	unsigned char		 serial[STORE_SERIAL_MAX];
	size_t			 len, i;
	char			*hex = NULL, t[32];
	X509			*cert = NULL;
	const unsigned char	*p;
	static const struct option opts[] = {
		{ "pem", no_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			pem_only = 1;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			show_usage(stdout);
			return EXIT_SUCCESS;
		default:
			show_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (serial_parse(argv[optind], serial, sizeof(serial), &len) == -1) {
		log_error("show: \"%s\" is not a serial number", argv[optind]);
		return EXIT_USAGE;
	}
	if (cmd_open(cfg, 0, &cf, NULL, &st) == -1)
		goto out;
	if ((r = store_cert_lookup(st, serial, len, &rec)) != 0) {
		if (r == STORE_NOTFOUND)
			log_error("show: no certificate with serial %s",
			    argv[optind]);
		else
			log_error("show: reading the store failed");
		goto out;
	}
	p = rec.der;
	if ((cert = d2i_X509(NULL, &p, (long)rec.der_len)) == NULL) {
		log_ssl("show: the stored certificate does not parse");
		goto out;
	}
	if (!pem_only) {
		hex = util_hex(rec.serial, rec.serial_len);
		printf("Serial:      %s\n", hex ? hex : "?");
		printf("Status:      %s\n",
		    rec.status == CERT_REVOKED ? "revoked" : "good");
		if (rec.status == CERT_REVOKED) {
			cmd_format_time(rec.revoked_at, t, sizeof(t));
			printf("Revoked:     %s (%s)\n", t,
			    reason_name(rec.reason));
		}
		printf("Subject:     %s\n", rec.subject ? rec.subject : "");
		for (i = 0; i < rec.n_names; i++)
			printf("%s%s\n", i ? "             " : "Names:       ",
			    rec.names[i]);
		cmd_format_time(rec.not_before, t, sizeof(t));
		printf("Not before:  %s\n", t);
		cmd_format_time(rec.not_after, t, sizeof(t));
		printf("Not after:   %s\n", t);
		cmd_format_time(rec.issued_at, t, sizeof(t));
		printf("Issued:      %s\n", t);
		if (rec.profile != NULL)
			printf("Profile:     %s\n", rec.profile);
		if (rec.account != NULL)
			printf("Account:     %s\n", rec.account);
		if (rec.order != NULL)
			printf("Order:       %s\n", rec.order);
	}
	if (!PEM_write_X509(stdout, cert))
		goto out;
	rc = EXIT_SUCCESS;
out:
	free(hex);
	X509_free(cert);
	cert_rec_free(&rec);
	cmd_close(cf, NULL, st);
	return rc;
}
