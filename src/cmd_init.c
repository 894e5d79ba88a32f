/*
 * pica init: a new root and intermediate, pica.json, the store.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "landing.h"
#include "log.h"
#include "p11.h"
#include "perm.h"
#include "util.h"
#include "web.h"

#define INIT_MAX_DNS	32

static void
init_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica init DIR --name NAME [--dns NAME]... [--url BASE_URL]\n"
	    "                 [--http-url URL] [--kty EC|RSA|OKP] [--size BITS]\n"
	    "                 [--key pkcs11:URI [--generate]] [--csr-only]\n"
	    "                 [--state SDIR] [--user USER [--key-group GROUP]]\n"
	    "       pica init DIR --intermediate-cert FILE --root-cert FILE\n"
	    "                 [--user USER [--key-group GROUP]]\n\n"
	    "Create a new CA in DIR: a root and an intermediate certificate\n"
	    "(keys in DIR/secrets, mode 0600), DIR/pica.json, the store in\n"
	    "DIR/db and the profile templates in DIR/templates.  Refuses a DIR\n"
	    "that already holds a CA.\n\n"
	    "  --name NAME      the CA's name (\"NAME Root CA\", ...)\n"
	    "  --dns NAME       a host name the CA is reached by (repeatable;\n"
	    "                   default without --url: this host's name)\n"
	    "  --url BASE_URL   externalURL, the HTTPS base of the ACME server\n"
	    "                   (default https://FIRST_DNS_NAME)\n"
	    "  --http-url URL   plain-HTTP base for CRL, OCSP and CA issuers\n"
	    "                   (default: http:// on the externalURL host)\n"
	    "  --kty EC|RSA|OKP key type of root and intermediate (EC;\n"
	    "                   OKP is Ed25519)\n"
	    "  --size BITS      256 or 384 for EC, 2048 to 8192 for RSA\n"
	    "  --key URI        the intermediate's key already on a PKCS#11\n"
	    "                   token (RFC 7512 pkcs11: URI with module-path;\n"
	    "                   PIN from pin-source=file:/PATH or\n"
	    "                   $PICA_PKCS11_PIN): it never leaves the token\n"
	    "  --generate       make that key on the token first (--kty EC\n"
	    "                   or RSA, --size), under the URI's object=\n"
	    "  --csr-only       no root here: write DIR/intermediate.csr for\n"
	    "                   `pica root sign` on the offline root's machine\n"
	    "  --state SDIR     the store, the web root and the OCSP responder's\n"
	    "                   certificate in SDIR (the package: /var/lib/pica),\n"
	    "                   pica.json and the keys in DIR (/etc/pica)\n"
	    "  --user USER      (root) hand the CA to the programs' user: the\n"
	    "                   store, web root and responder certificate\n"
	    "                   become USER's, pica.json root's and readable\n"
	    "                   by USER's group, the keys root's\n"
	    "  --key-group GROUP the signing keys readable by GROUP alone (the\n"
	    "                   package: pica-sign, the signing programs' group)\n"
	    "  --intermediate-cert FILE --root-cert FILE\n"
	    "                   complete a CA made with --csr-only: the signed\n"
	    "                   intermediate (checked against the CA's key and\n"
	    "                   the root), the root certificate\n");
}

/* Hand the CA in dir to user (perm_apply), when asked. */
static int
init_hand_over(const char *dir, const char *user, const char *key_group)
{
	struct pica_err	 err;
	struct conf	*cf = NULL;
	char		*path = NULL;
	int		 rc = -1;

	if (user == NULL)
		return 0;
	if ((path = util_path_join(dir, "pica.json")) == NULL) {
		log_error("init: out of memory");
		goto out;
	}
	if (conf_load(path, &cf, &err) == -1 ||
	    perm_apply(cf, user, key_group, &err) == -1) {
		log_error("init: %s", err.msg);
		log_error("init: the CA is made, but its files are still "
		    "root's: see OWNERSHIP in pica(8)");
		goto out;
	}
	if (key_group == NULL)
		log_warn("init: every program running as %s can read the "
		    "keys: --key-group GROUP keeps them to the signing "
		    "programs", user);
	rc = 0;
out:
	conf_free(cf);
	free(path);
	return rc;
}

/*
 * The landing page of the CA just made in dir.  The CA works without it,
 * so a failure is a warning that says how to write it later.
 */
static void
init_landing(const char *dir)
{
	struct pica_err	 err;

	if (landing_write_dir(dir, NULL, &err) == -1)
		log_warn("init: no landing page: %s (`pica -c %s/pica.json "
		    "www` writes it)", err.msg, dir);
}

/* pica init DIR --intermediate-cert FILE --root-cert FILE */
static int
init_complete(const char *dir, const char *inter_cert, const char *root_cert,
    const char *user, const char *key_group)
{
	struct pica_err	 err;
	char		 fpr[128];

	if (inter_cert == NULL || root_cert == NULL) {
		log_error("init: --intermediate-cert and --root-cert go "
		    "together");
		return EXIT_USAGE;
	}
	if (ca_complete(dir, inter_cert, root_cert, fpr, sizeof(fpr),
	    &err) == -1) {
		log_error("init: %s", err.msg);
		return EXIT_FAILURE;
	}
	init_landing(dir);
	if (init_hand_over(dir, user, key_group) == -1)
		return EXIT_FAILURE;
	printf("Completed the CA in %s\n"
	    "Root certificate:         %s/certs/root.pem\n"
	    "Root fingerprint:         %s\n"
	    "Intermediate certificate: %s/certs/intermediate.pem\n"
	    "Store:                    %s/db\n", dir, dir, fpr, dir, dir);
	return EXIT_SUCCESS;
}

int
cmd_init(int argc, char **argv, const char *cfg)
{
	struct ca_init	 ci;
	struct pica_err	 err;
	const char	*dns[INIT_MAX_DNS];
	char		 host[256], fpr[128], *end;
	int		 ch, generate = 0;
	const char	*inter_cert = NULL, *root_cert = NULL;
	const char	*user = NULL, *key_group = NULL;
	long		 bits;
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "dns", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, 'u' },
		{ "http-url", required_argument, NULL, 'H' },
		{ "kty", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'K' },
		{ "generate", no_argument, NULL, 'g' },
		{ "csr-only", no_argument, NULL, 'C' },
		{ "intermediate-cert", required_argument, NULL, 'I' },
		{ "root-cert", required_argument, NULL, 'R' },
		{ "state", required_argument, NULL, 'S' },
		{ "user", required_argument, NULL, 'U' },
		{ "key-group", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	(void)cfg;
	memset(&ci, 0, sizeof(ci));
	ci.dns = dns;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			ci.name = optarg;
			break;
		case 'd':
			if (ci.n_dns == INIT_MAX_DNS) {
				log_error("at most %d --dns names",
				    INIT_MAX_DNS);
				return EXIT_USAGE;
			}
			dns[ci.n_dns++] = optarg;
			break;
		case 'u':
			ci.url = optarg;
			break;
		case 'H':
			ci.http_url = optarg;
			break;
		case 'k':
			ci.kty = optarg;
			break;
		case 's':
			bits = strtol(optarg, &end, 10);
			if (*end != '\0' || bits <= 0 || bits > 16384) {
				log_error("--size: \"%s\" is not a key size",
				    optarg);
				return EXIT_USAGE;
			}
			ci.bits = (int)bits;
			break;
		case 'K':
			if (strncmp(optarg, "pkcs11:", 7) != 0) {
				log_error("--key takes a pkcs11: URI (RFC "
				    "7512), not \"%.40s\"", optarg);
				return EXIT_USAGE;
			}
			ci.key = optarg;
			break;
		case 'g':
			generate = 1;
			break;
		case 'C':
			ci.csr_only = 1;
			break;
		case 'I':
			inter_cert = optarg;
			break;
		case 'R':
			root_cert = optarg;
			break;
		case 'S':
			ci.state = optarg;
			break;
		case 'U':
			user = optarg;
			break;
		case 'G':
			key_group = optarg;
			break;
		case 'h':
			init_usage(stdout);
			return EXIT_SUCCESS;
		default:
			init_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		init_usage(stderr);
		return EXIT_USAGE;
	}
	ci.dir = argv[optind];
	if (key_group != NULL && user == NULL) {
		log_error("init: --key-group goes with --user");
		return EXIT_USAGE;
	}
	/* Checked before anything is made. */
	if (user != NULL && perm_check(user, key_group, &err) == -1) {
		log_error("init: %s", err.msg);
		return EXIT_USAGE;
	}
	if (inter_cert != NULL || root_cert != NULL) {
		if (ci.state != NULL) {
			log_error("init: --state belongs to the first step "
			    "(the CA's pica.json names it)");
			return EXIT_USAGE;
		}
		return init_complete(ci.dir, inter_cert, root_cert, user,
		    key_group);
	}
	/* The programs write only under the state: never in DIR itself. */
	if (user != NULL && ci.state == NULL) {
		log_error("init: --user goes with --state SDIR (the programs' "
		    "user writes there, and nothing in %s)", ci.dir);
		return EXIT_USAGE;
	}
	if (ci.state != NULL && ci.state[0] != '/') {
		log_error("init: --state takes an absolute path, not \"%s\"",
		    ci.state);
		return EXIT_USAGE;
	}
	if (ci.name == NULL || ci.name[0] == '\0') {
		log_error("init: --name NAME is required");
		return EXIT_USAGE;
	}
	if (ci.n_dns == 0 && ci.url == NULL) {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		dns[ci.n_dns++] = host;
	}
	ci.template_src = web_template_dir();
	if (generate && ci.key == NULL) {
		log_error("init: --generate makes the key --key names");
		return EXIT_USAGE;
	}
	/* Refuse what ca_create would refuse before a key is made. */
	if (generate && ca_check_target(ci.dir, &err) == -1) {
		log_error("init: %s", err.msg);
		return EXIT_FAILURE;
	}
	if (generate && p11_key_generate(ci.key, NULL, ci.kty ? ci.kty : "EC",
	    ci.bits, &err) == -1) {
		log_error("init: %s", err.msg);
		return EXIT_FAILURE;
	}
	if (ca_create(&ci, fpr, sizeof(fpr), &err) == -1) {
		log_error("init: %s", err.msg);
		if (generate)
			log_error("init: the new key stays on the token: run "
			    "again with --key and without --generate");
		return EXIT_FAILURE;
	}
	/* The landing page first: the hand-over gives it to the user too. */
	if (!ci.csr_only)
		init_landing(ci.dir);
	if (init_hand_over(ci.dir, user, key_group) == -1)
		return EXIT_FAILURE;
	if (ci.csr_only) {
		printf("Created the CA \"%s\" in %s, waiting for its "
		    "intermediate certificate\n"
		    "CSR:  %s/%s\n"
		    "Next: on the root's machine, pica root sign %s/%s "
		    "--root ROOT_DIR --out intermediate.pem;\n"
		    "      here, pica init %s --intermediate-cert "
		    "intermediate.pem --root-cert root.pem\n",
		    ci.name, ci.dir, ci.dir, CA_CSR_FILE, ci.dir, CA_CSR_FILE,
		    ci.dir);
		return EXIT_SUCCESS;
	}
	printf("Created the CA \"%s\" in %s\n"
	    "Root certificate:         %s/certs/root.pem\n"
	    "Root fingerprint:         %s\n"
	    "Intermediate certificate: %s/certs/intermediate.pem\n"
	    "Keys:                     %s/secrets/ (keep them safe)%s\n"
	    "Configuration:            %s/pica.json\n"
	    "Store:                    %s/db\n",
	    ci.name, ci.dir, ci.dir, fpr, ci.dir, ci.dir,
	    ci.key != NULL ? "; the intermediate's on the token" : "",
	    ci.dir, ci.state != NULL ? ci.state : ci.dir);
	return EXIT_SUCCESS;
}
