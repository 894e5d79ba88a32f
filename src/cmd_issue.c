/*
 * pica issue: offline issuance, like `step ca certificate --offline`.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "csr.h"
#include "duration.h"
#include "issue.h"
#include "log.h"
#include "serial.h"
#include "signer.h"
#include "store.h"
#include "util.h"

#define ISSUE_MAX_SANS	100

static void
issue_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] issue SUBJECT CRT_FILE KEY_FILE [--san NAME|IP]...\n"
	    "                  [--not-before TIME] [--not-after TIME]\n"
	    "                  [--profile NAME] [--template FILE]\n"
	    "                  [--kty EC|RSA|OKP] [--size BITS] [--force]\n"
	    "       pica [-c FILE] issue --csr FILE CRT_FILE [options]\n\n"
	    "Issue a certificate without the ACME server.  With SUBJECT, a new\n"
	    "key is made and written to KEY_FILE (mode 0600); SUBJECT is the\n"
	    "common name, and the only SAN when no --san is given.  With --csr,\n"
	    "names and key come from the request.  CRT_FILE gets the leaf then\n"
	    "the intermediate.  The serial is printed on standard output.\n\n"
	    "  --san NAME|IP    a DNS name, IP address, email or URI (repeatable)\n"
	    "  --not-before T   a duration from now (\"-5m\", \"1h\") or an RFC 3339\n"
	    "                   time (\"2027-01-01T00:00:00Z\"); default: now\n"
	    "                   (less authority.backdate)\n"
	    "  --not-after T    the same; a duration counts from the start;\n"
	    "                   default: the start plus\n"
	    "                   authority.claims.defaultTLSCertDuration\n"
	    "  --profile NAME   a profile of the CA (default: acme.defaultProfile)\n"
	    "  --template FILE  a step-ca template file instead of a profile\n"
	    "  --kty, --size    the new key: EC 256|384 (default P-256),\n"
	    "                   RSA 2048..8192, OKP (Ed25519); not with --csr\n"
	    "  --force          replace existing CRT_FILE and KEY_FILE\n");
}

int
cmd_issue(int argc, char **argv, const char *cfg)
{
	int		 rc = EXIT_FAILURE, ch, force = 0, bits = 0, kty_set = 0;
	struct conf	*cf = NULL;
	struct ca	*ca = NULL;
	struct store	*st = NULL;
	struct issue_req req;
	struct pica_err	 err;
	const char	*csr_path = NULL, *kty = "EC", *crt_path, *key_path = NULL;
	const char	*nb_arg = NULL, *na_arg = NULL;
	char		*sans[ISSUE_MAX_SANS], *csr_text = NULL, buf[1100], *end;
	size_t		 n_sans = 0, i, csr_len;
	X509_REQ	*csr = NULL;
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL, *chain[2];
	unsigned char	 sbuf[STORE_SERIAL_MAX];
	size_t		 slen;
	char		*hex = NULL;
	int64_t		 now = (int64_t)time(NULL);
	long		 lbits;
	static const struct option opts[] = {
		{ "csr", required_argument, NULL, 'C' },
		{ "san", required_argument, NULL, 'S' },
		{ "not-before", required_argument, NULL, 'b' },
		{ "not-after", required_argument, NULL, 'a' },
		{ "profile", required_argument, NULL, 'p' },
		{ "template", required_argument, NULL, 't' },
		{ "kty", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&req, 0, sizeof(req));
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			csr_path = optarg;
			break;
		case 'S':
			if (n_sans == ISSUE_MAX_SANS) {
				log_error("issue: at most %d --san",
				    ISSUE_MAX_SANS);
				rc = EXIT_USAGE;
				goto out;
			}
			if (issue_typed_name(optarg, buf, sizeof(buf)) == -1) {
				log_error("issue: --san too long");
				rc = EXIT_USAGE;
				goto out;
			}
			sans[n_sans++] = xstrdup(buf);
			break;
		case 'b':
			nb_arg = optarg;
			break;
		case 'a':
			na_arg = optarg;
			break;
		case 'p':
			req.profile = optarg;
			break;
		case 't':
			req.template_path = optarg;
			break;
		case 'k':
			kty = optarg;
			kty_set = 1;
			break;
		case 's':
			lbits = strtol(optarg, &end, 10);
			if (*end != '\0' || lbits <= 0 || lbits > 16384) {
				log_error("issue: --size: \"%s\" is not a key "
				    "size", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			bits = (int)lbits;
			break;
		case 'f':
			force = 1;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			issue_usage(stdout);
			rc = EXIT_SUCCESS;
			goto out;
		default:
			issue_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if ((csr_path != NULL && argc != 1) || (csr_path == NULL && argc != 3)) {
		issue_usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (csr_path != NULL && (kty_set || bits != 0)) {
		log_error("issue: with --csr the key comes from the CSR "
		    "(no --kty or --size)");
		rc = EXIT_USAGE;
		goto out;
	}
	if (csr_path != NULL && n_sans > 0) {
		log_error("issue: with --csr the names come from the CSR "
		    "(no --san)");
		rc = EXIT_USAGE;
		goto out;
	}
	if (req.profile != NULL && req.template_path != NULL) {
		log_error("issue: --profile or --template, not both");
		rc = EXIT_USAGE;
		goto out;
	}
	if (nb_arg != NULL &&
	    cmd_parse_time(nb_arg, now, &req.not_before) == -1) {
		log_error("issue: --not-before \"%s\" is neither a duration "
		    "(\"-5m\") nor an RFC 3339 time (\"2027-01-01T00:00:00Z\")",
		    nb_arg);
		rc = EXIT_USAGE;
		goto out;
	}
	/*
	 * A duration is a lifetime, counted by the library from the
	 * notBefore it sets, so that the clock ticking in between does not
	 * shorten it; a time is a time.
	 */
	if (na_arg != NULL && duration_parse_sec(na_arg, &req.lifetime) == 0) {
		if (req.lifetime <= 0) {
			log_error("issue: --not-after %s: not in the future",
			    na_arg);
			rc = EXIT_USAGE;
			goto out;
		}
	} else if (na_arg != NULL &&
	    cmd_parse_time(na_arg, now, &req.not_after) == -1) {
		log_error("issue: --not-after \"%s\" is neither a duration "
		    "(\"2160h\") nor an RFC 3339 time (\"2027-01-01T00:00:00Z\")",
		    na_arg);
		rc = EXIT_USAGE;
		goto out;
	}
	crt_path = argv[csr_path != NULL ? 0 : 1];
	if (csr_path == NULL)
		key_path = argv[2];
	/* Refuse to clobber before any work is done (and any cert stored). */
	if (!force && (access(crt_path, F_OK) == 0 ||
	    (key_path != NULL && access(key_path, F_OK) == 0))) {
		log_error("issue: %s exists (use --force to replace it)",
		    access(crt_path, F_OK) == 0 ? crt_path : key_path);
		goto out;
	}

	if (csr_path != NULL) {
		if (util_read_file(csr_path, CSR_MAX_SIZE, &csr_text, &csr_len,
		    &err) == -1 || csr_parse(csr_text, csr_len, &csr,
		    &err) == -1) {
			log_error("issue: %s: %s", csr_path, err.msg);
			goto out;
		}
		req.csr = csr;
	} else {
		if (signer_keygen(kty, bits, &key, &err) == -1) {
			log_error("issue: %s", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
		req.pubkey = key;
		req.common_name = argv[0];
		req.sans = n_sans ? sans : NULL;
		req.n_sans = n_sans;
	}
	if (cmd_open(cfg, 1, &cf, &ca, &st) == -1)
		goto out;
	if (issue_cert(ca, st, &req, &cert, &err) == -1) {
		log_error("issue: %s", err.msg);
		goto out;
	}
	if (serial_from_asn1(X509_get0_serialNumber(cert), sbuf, sizeof(sbuf),
	    &slen) == -1 || (hex = util_hex(sbuf, slen)) == NULL) {
		log_error("issue: serial");
		goto out;
	}
	/* The certificate is in the store now; say so before writing. */
	printf("%s\n", hex);
	fflush(stdout);
	if (key != NULL) {
		if (force)
			unlink(key_path);
		if (signer_write_key(key_path, key, &err) == -1) {
			log_error("issue: %s", err.msg);
			goto out;
		}
	}
	chain[0] = cert;
	chain[1] = ca->cert;
	if (ca_write_pem(crt_path, chain, 2, force, &err) == -1) {
		log_error("issue: %s", err.msg);
		goto out;
	}
	rc = EXIT_SUCCESS;
out:
	for (i = 0; i < n_sans; i++)
		free(sans[i]);
	free(hex);
	free(csr_text);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	X509_free(cert);
	cmd_close(cf, ca, st);
	return rc;
}
