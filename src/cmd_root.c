/*
 * pica root: the offline root, on the machine that keeps it.
 *
 *	pica root init DIR --name NAME [--key URI [--generate]]
 *	    [--kty EC|RSA|OKP] [--size BITS] [--not-after DURATION]
 *	pica root sign CSR --root DIR --out FILE [--path-len N]
 *	    [--not-after DURATION]
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "duration.h"
#include "log.h"
#include "p11.h"
#include "root.h"

static void
root_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica root init DIR --name NAME [--key URI [--generate]]\n"
	    "                 [--kty EC|RSA|OKP] [--size BITS]\n"
	    "                 [--not-after DURATION]\n"
	    "       pica root sign CSR --root DIR --out FILE [--path-len N]\n"
	    "                 [--not-after DURATION]\n\n"
	    "The offline root, on a machine that never serves.  `root init`\n"
	    "makes it in DIR (root.json, certs/root.pem and, for a file key,\n"
	    "secrets/root.key, mode 0600; or the key on a PKCS#11 token).\n"
	    "`root sign` signs an intermediate's CSR (from `pica init --csr-only`)\n"
	    "into FILE, for `pica init DIR --intermediate-cert FILE --root-cert\n"
	    "certs/root.pem` on the online machine.\n\n"
	    "  --name NAME          the CA's name (\"NAME Root CA\")\n"
	    "  --key URI            the root key on a token (pkcs11: URI)\n"
	    "  --generate           make that key on the token first\n"
	    "  --kty, --size        the key type and size (EC 256 by default;\n"
	    "                       OKP is Ed25519, file keys only)\n"
	    "  --not-after DURATION the validity (root 175200h, intermediate\n"
	    "                       87600h and never past the root's end)\n"
	    "  --path-len N         the intermediate's path length (default 0)\n");
}

static int
root_duration(const char *arg, int64_t *out)
{
	if (duration_parse_sec(arg, out) == -1 || *out <= 0) {
		log_error("root: --not-after: \"%s\" is not a positive "
		    "duration (\"87600h\")", arg);
		return -1;
	}
	return 0;
}

static int
root_cmd_init(int argc, char **argv)
{
	struct root_init ri;
	struct pica_err	 err;
	char		 fpr[128], *end;
	int		 ch, generate = 0;
	long		 n;
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'K' },
		{ "generate", no_argument, NULL, 'g' },
		{ "kty", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "not-after", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&ri, 0, sizeof(ri));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			ri.name = optarg;
			break;
		case 'K':
			if (strncmp(optarg, "pkcs11:", 7) != 0) {
				log_error("root: --key takes a pkcs11: URI");
				return EXIT_USAGE;
			}
			ri.key = optarg;
			break;
		case 'g':
			generate = 1;
			break;
		case 'k':
			ri.kty = optarg;
			break;
		case 's':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n <= 0 || n > 16384) {
				log_error("root: --size: \"%s\" is not a key "
				    "size", optarg);
				return EXIT_USAGE;
			}
			ri.bits = (int)n;
			break;
		case 'a':
			if (root_duration(optarg, &ri.lifetime) == -1)
				return EXIT_USAGE;
			break;
		case 'h':
			root_usage(stdout);
			return EXIT_SUCCESS;
		default:
			root_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || ri.name == NULL || ri.name[0] == '\0') {
		root_usage(stderr);
		return EXIT_USAGE;
	}
	ri.dir = argv[optind];
	if (generate && ri.key == NULL) {
		log_error("root: --generate makes the key --key names");
		return EXIT_USAGE;
	}
	if (generate && p11_key_generate(ri.key, NULL, ri.kty ? ri.kty : "EC",
	    ri.bits, &err) == -1) {
		log_error("root: %s", err.msg);
		return EXIT_FAILURE;
	}
	if (root_create(&ri, fpr, sizeof(fpr), &err) == -1) {
		log_error("root: %s", err.msg);
		return EXIT_FAILURE;
	}
	printf("Created the root \"%s Root CA\" in %s\n"
	    "Root certificate: %s/certs/root.pem\n"
	    "Root fingerprint: %s\n"
	    "Key:              %s\n",
	    ri.name, ri.dir, ri.dir, fpr, ri.key != NULL ? "on the token" :
	    "secrets/root.key (keep it offline)");
	return EXIT_SUCCESS;
}

static int
root_cmd_sign(int argc, char **argv)
{
	struct pica_err	 err;
	const char	*dir = NULL, *out = NULL;
	char		*end;
	int		 ch, pathlen = 0;
	long		 n;
	int64_t		 lifetime = 0;
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "path-len", required_argument, NULL, 'p' },
		{ "not-after", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			dir = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 0 || n > 8) {
				log_error("root: --path-len: 0 to 8, not "
				    "\"%s\"", optarg);
				return EXIT_USAGE;
			}
			pathlen = (int)n;
			break;
		case 'a':
			if (root_duration(optarg, &lifetime) == -1)
				return EXIT_USAGE;
			break;
		case 'h':
			root_usage(stdout);
			return EXIT_SUCCESS;
		default:
			root_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || dir == NULL || out == NULL) {
		root_usage(stderr);
		return EXIT_USAGE;
	}
	if (root_sign(dir, argv[optind], out, pathlen, lifetime, &err) == -1) {
		log_error("root: sign: %s", err.msg);
		return EXIT_FAILURE;
	}
	printf("Signed %s: the intermediate certificate is %s\n",
	    argv[optind], out);
	return EXIT_SUCCESS;
}

int
cmd_root(int argc, char **argv, const char *cfg)
{
	(void)cfg;
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return root_cmd_init(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return root_cmd_sign(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		root_usage(stdout);
		return EXIT_SUCCESS;
	}
	root_usage(stderr);
	return EXIT_USAGE;
}
