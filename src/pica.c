/*
 * pica: the command-line tool of the pica certificate authority.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "duration.h"
#include "log.h"
#include "store.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **, const char *);
	const char	*summary;
} verbs[] = {
	{ "init", cmd_init, "create a new CA (root, intermediate, store)" },
	{ "issue", cmd_issue, "issue a certificate offline" },
	{ "revoke", cmd_revoke, "revoke a certificate" },
	{ "crl", cmd_crl, "sign and publish the CRL" },
	{ "list", cmd_list, "list certificates" },
	{ "show", cmd_show, "show one certificate" },
	{ "backup", cmd_backup, "hot backup of the CA, or verify one" },
	{ "eab", cmd_eab, "External Account Binding keys for ACME clients" },
	{ "demo", cmd_demo, "run the whole CA on loopback (nginx or lighttpd)" },
	{ "root", cmd_root, "the offline root: make it, sign an intermediate" },
	{ "web-config", cmd_webconfig, "print the nginx or lighttpd site for this CA" },
	{ "www", cmd_www, "write the CA's landing page (www/index.html)" },
};

static void
usage(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "usage: pica [-c FILE] COMMAND [ARGS]\n\n"
	    "  -c FILE   the CA's pica.json (default: $PICA_CONFIG, then "
	    "%s)\n\ncommands:\n", PICA_SYSCONF_CONFIG);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(fp, "  %-10s  %s\n", verbs[i].name, verbs[i].summary);
	fprintf(fp, "\n-c FILE may also follow the command (but init, demo and root, which\n"
	    "take the CA's directory).  `pica COMMAND --help`"
	    " describes each;\nsee pica(8).\n");
}

int
cmd_open(const char *cfg, int with_key, struct conf **cf, struct ca **ca,
    struct store **st)
{
	struct pica_err	 err;
	int		 r;

	*cf = NULL;
	if (ca != NULL)
		*ca = NULL;
	if (st != NULL)
		*st = NULL;
	if (conf_load(conf_default_path(cfg), cf, &err) == -1) {
		log_error("%s", err.msg);
		return -1;
	}
	if (ca != NULL && ca_open(*cf, with_key, ca, &err) == -1) {
		log_error("%s", err.msg);
		goto fail;
	}
	if (st != NULL && (r = store_open((*cf)->db_dir, st)) != 0) {
		log_error("%s: cannot open the store", (*cf)->db_dir);
		goto fail;
	}
	return 0;
fail:
	cmd_close(*cf, ca ? *ca : NULL, NULL);
	*cf = NULL;
	if (ca != NULL)
		*ca = NULL;
	return -1;
}

void
cmd_close(struct conf *cf, struct ca *ca, struct store *st)
{
	store_close(st);
	ca_free(ca);
	conf_free(cf);
}

void
cmd_format_time(int64_t t, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

int
main(int argc, char *argv[])
{
	const char	*cfg = NULL;
	size_t		 i;
	int		 ch;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	log_init("pica");
	/* "+": stop at the verb; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("pica %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[0], verbs[i].name) == 0) {
			optind = 0;
			return verbs[i].fn(argc, argv, cfg);
		}
	log_error("unknown command \"%s\" (see pica --help)", argv[0]);
	return EXIT_USAGE;
}

int
cmd_parse_time(const char *arg, int64_t now, int64_t *out)
{
	int64_t		 sec;
	struct tm	 tm;
	const char	*end;

	if (duration_parse_sec(arg, &sec) == 0) {
		*out = now + sec;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(arg, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || (strcmp(end, "Z") != 0 && strcmp(end, "z") != 0))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}
