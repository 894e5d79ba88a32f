/*
 * pica list: the certificates the CA issued.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "conf.h"
#include "duration.h"
#include "log.h"
#include "reason.h"
#include "store.h"
#include "util.h"

struct list_opts {
	int	 revoked;	/* only revoked ones */
	int64_t	 expiring;	/* only good ones expiring before this */
	int64_t	 now;
	json_t	*json;		/* --json: collect here */
	size_t	 count;
};

static void
list_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] list [--revoked] [--expiring DURATION] "
	    "[--json]\n\n"
	    "List the certificates in the store: serial, status, notAfter,\n"
	    "names.  --revoked lists only revoked ones (with time and reason),\n"
	    "--expiring 720h only valid ones that expire within that time,\n"
	    "--json prints a JSON array instead.\n");
}

static int
list_one(const struct cert_rec *rec, void *arg)
{
	struct list_opts	*o = arg;
	char			*hex, na[32], ra[32];
	json_t			*obj, *names;
	size_t			 i;

	if (o->revoked && rec->status != CERT_REVOKED)
		return 0;
	if (o->expiring && (rec->status != CERT_GOOD ||
	    rec->not_after < o->now || rec->not_after > o->expiring))
		return 0;
	if ((hex = util_hex(rec->serial, rec->serial_len)) == NULL)
		return -1;
	cmd_format_time(rec->not_after, na, sizeof(na));
	cmd_format_time(rec->revoked_at, ra, sizeof(ra));
	o->count++;
	if (o->json != NULL) {
		names = json_array();
		for (i = 0; i < rec->n_names; i++)
			json_array_append_new(names,
			    json_string(rec->names[i]));
		obj = json_pack("{s:s, s:s, s:s?, s:o, s:I, s:I, s:s?}",
		    "serial", hex,
		    "status", rec->status == CERT_REVOKED ? "revoked" : "good",
		    "subject", rec->subject,
		    "names", names,
		    "notBefore", (json_int_t)rec->not_before,
		    "notAfter", (json_int_t)rec->not_after,
		    "profile", rec->profile);
		if (obj != NULL && rec->status == CERT_REVOKED) {
			json_object_set_new(obj, "revokedAt",
			    json_integer(rec->revoked_at));
			json_object_set_new(obj, "reason",
			    json_string(reason_name(rec->reason)));
		}
		if (obj == NULL || json_array_append_new(o->json, obj) == -1) {
			free(hex);
			return -1;
		}
	} else {
		printf("%s  %-7s  %s", hex,
		    rec->status == CERT_REVOKED ? "revoked" : "good", na);
		if (rec->status == CERT_REVOKED)
			printf("  revoked %s %s", ra, reason_name(rec->reason));
		for (i = 0; i < rec->n_names; i++)
			printf("%s%s", i ? "," : "  ", rec->names[i]);
		printf("\n");
	}
	free(hex);
	return 0;
}

int
cmd_list(int argc, char **argv, const char *cfg)
{
	int			 rc = EXIT_FAILURE, ch, as_json = 0, r;
	struct conf		*cf = NULL;
	struct store		*st = NULL;
	struct list_opts	 o = { 0 };
	int64_t			 dur;
	static const struct option opts[] = {
		{ "revoked", no_argument, NULL, 'r' },
		{ "expiring", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	o.now = (int64_t)time(NULL);
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			o.revoked = 1;
			break;
		case 'e':
			if (duration_parse_sec(optarg, &dur) == -1 || dur <= 0) {
				log_error("list: --expiring \"%s\" is not a "
				    "positive duration (\"720h\")", optarg);
				return EXIT_USAGE;
			}
			o.expiring = o.now + dur;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			list_usage(stdout);
			return EXIT_SUCCESS;
		default:
			list_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		list_usage(stderr);
		return EXIT_USAGE;
	}
	if (o.revoked && o.expiring) {
		log_error("list: --revoked or --expiring, not both (a revoked "
		    "certificate does not expire into anything)");
		return EXIT_USAGE;
	}
	if (cmd_open(cfg, 0, &cf, NULL, &st) == -1)
		goto out;
	if (as_json && (o.json = json_array()) == NULL)
		goto out;
	r = store_cert_foreach(st, o.revoked ? STORE_BY_REVOCATION :
	    o.expiring ? STORE_BY_EXPIRY : STORE_BY_SERIAL, list_one, &o);
	if (r != 0) {
		log_error("list: reading the store failed");
		goto out;
	}
	if (o.json != NULL) {
		if (json_dumpf(o.json, stdout, JSON_INDENT(2)) == -1)
			goto out;
		printf("\n");
	}
	rc = EXIT_SUCCESS;
out:
	json_decref(o.json);
	cmd_close(cf, NULL, st);
	return rc;
}
