/*
 * pica eab: External Account Binding keys for ACME clients.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "conf.h"
#include "eab.h"
#include "jws.h"
#include "log.h"
#include "store.h"

static void
eab_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] eab add [--name TEXT]\n"
	    "       pica [-c FILE] eab list [--json]\n"
	    "       pica [-c FILE] eab remove KID\n\n"
	    "External Account Binding keys (RFC 8555 7.3.4).  `add` makes a\n"
	    "key and prints its kid and HMAC key (base64url) once: hand both\n"
	    "to the ACME client (certbot --eab-kid KID --eab-hmac-key KEY,\n"
	    "lego --eab --kid KID --hmac KEY).  A key binds one account.  With\n"
	    "acme.eabRequired, new accounts need one.  `list` shows the keys\n"
	    "(never their secrets) and the accounts they bound; `remove`\n"
	    "deletes one (accounts it bound stay).\n");
}

int
cmd_eab(int argc, char **argv, const char *cfg)
{
	int		 rc = EXIT_FAILURE, ch, as_json = 0, r;
	const char	*name = NULL, *verb;
	struct conf	*cf = NULL;
	struct store	*st = NULL;
	struct eab_key	 k;
	json_t		*list = NULL, *e;
	char		*hmac = NULL, t[32];
	size_t		 i;
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&k, 0, sizeof(k));
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			eab_usage(stdout);
			return EXIT_SUCCESS;
		default:
			eab_usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		eab_usage(stderr);
		return EXIT_USAGE;
	}
	verb = argv[0];
	if ((strcmp(verb, "remove") == 0) != (argc == 2) || argc > 2 ||
	    (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "remove") != 0)) {
		eab_usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_open(cfg, 0, &cf, NULL, &st) == -1)
		goto out;
	if (strcmp(verb, "add") == 0) {
		if (eab_add(st, name, &k) != 0) {
			log_error("eab: the store failed");
			goto out;
		}
		if ((hmac = b64url_encode(k.key, EAB_KEY_LEN)) == NULL)
			goto out;
		printf("kid:      %s\nhmac key: %s\n", k.kid, hmac);
		rc = EXIT_SUCCESS;
	} else if (strcmp(verb, "list") == 0) {
		if (eab_list(st, &list) != 0) {
			log_error("eab: the store failed");
			goto out;
		}
		if (as_json) {
			json_dumpf(list, stdout, JSON_INDENT(2));
			printf("\n");
		} else
			json_array_foreach(list, i, e) {
				cmd_format_time(json_integer_value(
				    json_object_get(e, "created")), t, sizeof(t));
				printf("%s  %s  %s  %s\n",
				    json_string_value(json_object_get(e, "kid")),
				    t, json_is_string(json_object_get(e,
				    "account")) ? "bound" : "unbound",
				    json_is_string(json_object_get(e, "name")) ?
				    json_string_value(json_object_get(e,
				    "name")) : "");
			}
		rc = EXIT_SUCCESS;
	} else {
		r = eab_remove(st, argv[1]);
		if (r == STORE_NOTFOUND)
			log_error("eab: no key %s", argv[1]);
		else if (r != 0)
			log_error("eab: the store failed");
		else {
			printf("removed %s\n", argv[1]);
			rc = EXIT_SUCCESS;
		}
	}
out:
	free(hmac);
	eab_key_free(&k);
	json_decref(list);
	cmd_close(cf, NULL, st);
	return rc;
}
