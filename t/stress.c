/*
 * stress: issue certificates in a loop through the library, as a
 * long-running signing process does.  Used by the concurrency and crash
 * tests and by bench/issue (the library path).
 *
 *	stress [-r] CONFIG COUNT [PREFIX]
 *
 * Prints each serial on standard output once it is committed (one write
 * per line, so a SIGKILL never leaves half a serial), and the rate on
 * standard error.  With -r each certificate is revoked once issued (the
 * reasons taking turns), to fill a CRL.  When the store reports that it
 * needs recovery (another process died inside a transaction), it closes
 * and reopens it, as a supervisor restarting the program would.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "conf.h"
#include "issue.h"
#include "log.h"
#include "reason.h"
#include "serial.h"
#include "signer.h"
#include "store.h"
#include "util.h"

#define STRESS_REOPENS	50

static double
now_sec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct conf	*cf = NULL;
	struct ca	*ca = NULL;
	struct store	*st = NULL;
	struct pica_err	 err;
	struct issue_req req;
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL;
	unsigned char	 sbuf[STORE_SERIAL_MAX];
	size_t		 slen;
	char		 name[300], san[310], line[128], *hex, *sans[1];
	const char	*prefix;
	long		 count, i, reopens = 0;
	double		 t0;
	int		 rc = 1, n, ch, revoke = 0, reason = 0;

	log_init("stress");
	while ((ch = getopt(argc, argv, "r")) != -1) {
		if (ch != 'r')
			goto usage;
		revoke = 1;
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 3) {
usage:
		fprintf(stderr, "usage: stress [-r] CONFIG COUNT [PREFIX]\n");
		return 2;
	}
	count = strtol(argv[1], NULL, 10);
	prefix = argc == 3 ? argv[2] : "s";
	if (conf_load(argv[0], &cf, &err) == -1 ||
	    ca_open(cf, 1, &ca, &err) == -1 ||
	    signer_keygen("EC", 256, &key, &err) == -1) {
		log_error("%s", err.msg);
		goto out;
	}
	if (store_open(cf->db_dir, &st) != 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.pubkey = key;
	req.sans = sans;
	req.n_sans = 1;
	sans[0] = san;
	t0 = now_sec();
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s-%ld.stress.test", prefix, i);
		snprintf(san, sizeof(san), "DNS:%s", name);
		req.common_name = name;
		if (issue_cert(ca, st, &req, &cert, &err) == -1) {
			/* Recovery by another process: reopen, retry. */
			if (strstr(err.msg, "recovery") == NULL ||
			    ++reopens > STRESS_REOPENS) {
				log_error("%s", err.msg);
				goto out;
			}
			store_close(st);
			st = NULL;
			if (store_open(cf->db_dir, &st) != 0)
				goto out;
			i--;
			continue;
		}
		if (serial_from_asn1(X509_get0_serialNumber(cert), sbuf,
		    sizeof(sbuf), &slen) == -1 ||
		    (hex = util_hex(sbuf, slen)) == NULL)
			goto out;
		if (revoke) {
			do
				reason = (reason + 1) % 11;
			while (!reason_usable(reason));
			if (store_cert_set_revoked(st, sbuf, slen, reason,
			    (int64_t)time(NULL)) != 0) {
				log_error("revoking %s failed", hex);
				free(hex);
				goto out;
			}
		}
		n = snprintf(line, sizeof(line), "%s\n", hex);
		free(hex);
		if (write(STDOUT_FILENO, line, (size_t)n) != n)
			goto out;
		X509_free(cert);
		cert = NULL;
	}
	fprintf(stderr, "stress: %ld certificates%s in %.3f s: %.1f/s "
	    "(%ld reopens)\n", count, revoke ? " issued and revoked" : "",
	    now_sec() - t0, (double)count / (now_sec() - t0), reopens);
	rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	store_close(st);
	ca_free(ca);
	conf_free(cf);
	return rc;
}
