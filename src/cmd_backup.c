/*
 * pica backup: a consistent hot backup of the whole CA, and its check.
 *
 * A backup is a CA directory of its own: the store (Berkeley DB hot
 * backup, taken while the CA keeps working), the certificates, the keys
 * (unless --no-keys), the templates, a pica.json whose paths point
 * inside the backup, and backup.json saying what it holds.  `pica -c BACKUP/pica.json ...` works on it as it is;
 * restoring is copying it back.  --verify proves that a backup restores.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define BACKUP_MAX_FILE	(1024 * 1024)

static void
backup_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pica [-c FILE] backup DIR [--no-keys]\n"
	    "       pica backup --verify DIR\n\n"
	    "Make a consistent backup of the running CA in DIR (which must not\n"
	    "exist or be empty): the store, certificates, keys, templates and a\n"
	    "pica.json pointing inside DIR.  --no-keys leaves the private keys\n"
	    "out.  --verify checks a backup: every database file verifies, the\n"
	    "store opens (in a scratch copy) with at least the certificates\n"
	    "counted when it was made, and the keys match the certificates.\n");
}

static int
backup_count_one(const struct cert_rec *rec, void *arg)
{
	(void)rec;
	(*(size_t *)arg)++;
	return 0;
}

/* Copy one file, keeping a private mode for private files. */
static int
backup_copy(const char *from, const char *to, mode_t mode)
{
	struct pica_err	 err;
	char		*data = NULL;
	size_t		 len;
	int		 rc = -1;

	if (util_read_file(from, BACKUP_MAX_FILE, &data, &len, &err) == -1 ||
	    util_write_file(to, data, len, mode, 0, &err) == -1) {
		log_error("backup: %s", err.msg);
		goto out;
	}
	rc = 0;
out:
	free(data);
	return rc;
}

/* Copy a file named by the config into sub/ and point key at it. */
static int
backup_file(json_t *obj, const char *key, const char *path, const char *dir,
    const char *sub, mode_t mode)
{
	char	 rel[512], *to = NULL;
	const char *base;
	int	 rc = -1;

	if (path == NULL || strncmp(path, "pkcs11:", 7) == 0)
		return 0;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(rel, sizeof(rel), "%s/%s", sub, base);
	if ((to = util_path_join(dir, rel)) == NULL)
		goto out;
	if (backup_copy(path, to, mode) == -1)
		goto out;
	json_object_set_new(obj, key, json_string(rel));
	rc = 0;
out:
	free(to);
	return rc;
}

/*
 * The root key is not in pica.json (only offline steps need it), but
 * `pica init` keeps it beside the intermediate's: back it up when there.
 */
static int
backup_root_key(const struct conf *cf, const char *dir)
{
	char	*kdir = NULL, *from = NULL, *to = NULL;
	int	 rc = -1;

	if (strncmp(cf->key, "pkcs11:", 7) == 0)
		return 0;
	if ((kdir = util_dirname(cf->key)) == NULL ||
	    (from = util_path_join(kdir, "root.key")) == NULL ||
	    (to = util_path_join(dir, "secrets/root.key")) == NULL)
		goto out;
	if (access(from, F_OK) == 0 && strcmp(from, cf->key) != 0 &&
	    backup_copy(from, to, 0600) == -1)
		goto out;
	rc = 0;
out:
	free(kdir);
	free(from);
	free(to);
	return rc;
}

/* Copy the *.tpl files of the template directory. */
static int
backup_templates(const struct conf *cf, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		*from, *to, rel[300];
	size_t		 len;
	int		 rc = 0;

	if ((d = opendir(cf->template_dir)) == NULL)
		return 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".tpl") != 0)
			continue;
		snprintf(rel, sizeof(rel), "templates/%s", de->d_name);
		from = util_path_join(cf->template_dir, de->d_name);
		to = util_path_join(dir, rel);
		if (from == NULL || to == NULL ||
		    backup_copy(from, to, 0644) == -1)
			rc = -1;
		free(from);
		free(to);
	}
	closedir(d);
	return rc;
}

static int
backup_make(const char *cfg, const char *dir, int with_keys)
{
	int		 rc = -1;
	struct conf	*cf = NULL;
	struct store	*st = NULL;
	struct pica_err	 err;
	json_t		*doc = NULL, *obj;
	json_error_t	 jerr;
	char		*p = NULL, *text = NULL, *out_text = NULL;
	size_t		 count = 0;
	static const char *const subdirs[] = { "certs", "templates", NULL };
	size_t		 i;

	if (rmdir(dir) == -1 && errno != ENOENT) {
		log_error("backup: %s: %s (it must not exist or be empty)",
		    dir, strerror(errno));
		goto out;
	}
	if (cmd_open(cfg, 0, &cf, NULL, &st) == -1)
		goto out;
	if (util_read_file(cf->path, BACKUP_MAX_FILE, &text, NULL, &err) == -1 ||
	    (doc = json_loads(text, 0, &jerr)) == NULL) {
		log_error("backup: %s: cannot read", cf->path);
		goto out;
	}
	if (util_mkdirs(dir, 0700, &err) == -1) {
		log_error("backup: %s", err.msg);
		goto out;
	}
	for (i = 0; subdirs[i] != NULL; i++) {
		p = util_path_join(dir, subdirs[i]);
		if (p == NULL || util_mkdirs(p, 0755, &err) == -1) {
			log_error("backup: %s", p ? err.msg : "out of memory");
			goto out;
		}
		free(p);
		p = NULL;
	}
	if (store_cert_foreach(st, STORE_BY_SERIAL, backup_count_one,
	    &count) != 0) {
		log_error("backup: reading the store failed");
		goto out;
	}
	if ((p = util_path_join(dir, "db")) == NULL ||
	    store_backup(st, p) != 0) {
		log_error("backup: %s: the store backup failed", p ? p : dir);
		goto out;
	}
	free(p);
	p = NULL;
	json_object_set_new(doc, "db", json_pack("{s:s, s:s}", "type", "bdb",
	    "dataSource", "db"));
	json_object_set_new(doc, "templates", json_string("templates"));
	json_object_del(doc, "www");
	if (backup_file(doc, "root", cf->root, dir, "certs", 0644) == -1 ||
	    backup_file(doc, "crt", cf->crt, dir, "certs", 0644) == -1 ||
	    backup_templates(cf, dir) == -1)
		goto out;
	obj = json_object_get(doc, "ocsp");
	if (json_is_object(obj) &&
	    backup_file(obj, "cert", cf->ocsp_cert, dir, "certs", 0644) == -1)
		goto out;
	if (with_keys) {
		p = util_path_join(dir, "secrets");
		if (p == NULL || util_mkdirs(p, 0700, &err) == -1) {
			log_error("backup: %s", p ? err.msg : "out of memory");
			goto out;
		}
		if (backup_file(doc, "key", cf->key, dir, "secrets",
		    0600) == -1 || (json_is_object(obj) && backup_file(obj,
		    "key", cf->ocsp_key, dir, "secrets", 0600) == -1) ||
		    backup_root_key(cf, dir) == -1)
			goto out;
	}
	free(p);
	p = util_path_join(dir, "pica.json");
	out_text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (p == NULL || out_text == NULL ||
	    util_write_file(p, out_text, strlen(out_text), 0644, 0,
	    &err) == -1) {
		log_error("backup: %s", p && out_text ? err.msg :
		    "out of memory");
		goto out;
	}
	/* What --verify expects to find again, at least. */
	json_decref(doc);
	free(out_text);
	free(p);
	doc = json_pack("{s:I, s:I, s:b}", "certificates", (json_int_t)count,
	    "created", (json_int_t)time(NULL), "keys", with_keys);
	p = util_path_join(dir, "backup.json");
	out_text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	if (p == NULL || out_text == NULL ||
	    util_write_file(p, out_text, strlen(out_text), 0644, 0,
	    &err) == -1) {
		log_error("backup: %s", p && out_text ? err.msg :
		    "out of memory");
		goto out;
	}
	printf("backed up %zu certificates to %s%s\n", count, dir,
	    with_keys ? "" : " (without private keys)");
	rc = 0;
out:
	free(p);
	free(text);
	free(out_text);
	json_decref(doc);
	cmd_close(cf, NULL, st);
	return rc;
}

/* Copy every regular file of from into the new directory to. */
static int
backup_copy_dir(const char *from, const char *to)
{
	DIR		*d;
	struct dirent	*de;
	char		*a, *b;
	struct stat	 sb;
	int		 rc = 0;

	if ((d = opendir(from)) == NULL) {
		log_error("backup: %s: %s", from, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		a = util_path_join(from, de->d_name);
		b = util_path_join(to, de->d_name);
		if (a == NULL || b == NULL)
			rc = -1;
		else if (lstat(a, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    strncmp(de->d_name, "__db.", 5) != 0) {
			struct pica_err	 err;
			char		*data = NULL;
			size_t		 len;

			/* Database files may be large: no 1 MiB cap here. */
			if (util_read_file(a, (size_t)sb.st_size, &data, &len,
			    &err) == -1 ||
			    util_write_file(b, data, len, 0600, 0, &err) == -1) {
				log_error("backup: %s", err.msg);
				rc = -1;
			}
			free(data);
		}
		free(a);
		free(b);
	}
	closedir(d);
	return rc;
}

static int
backup_verify(const char *dir)
{
	int		 rc = -1;
	struct conf	*cf = NULL;
	struct ca	*ca = NULL;
	struct store	*st = NULL;
	struct pica_err	 err;
	char		*cfgpath = NULL, *text = NULL, *scratch = NULL;
	char		 tmpl[] = "/tmp/pica-verify.XXXXXX";
	json_t		*info = NULL;
	json_error_t	 jerr;
	size_t		 count = 0, want = 0;
	int		 keys = 1;

	if ((cfgpath = util_path_join(dir, "backup.json")) == NULL)
		goto out;
	if (util_read_file(cfgpath, BACKUP_MAX_FILE, &text, NULL, &err) == -1 ||
	    (info = json_loads(text, 0, &jerr)) == NULL ||
	    !json_is_object(info)) {
		log_error("backup: %s: not a pica backup (no backup.json)", dir);
		goto out;
	}
	want = (size_t)json_integer_value(json_object_get(info,
	    "certificates"));
	keys = json_is_true(json_object_get(info, "keys"));
	free(cfgpath);
	if ((cfgpath = util_path_join(dir, "pica.json")) == NULL)
		goto out;
	if (conf_load(cfgpath, &cf, &err) == -1) {
		log_error("backup: %s", err.msg);
		goto out;
	}
	if (store_verify(cf->db_dir) != 0) {
		log_error("backup: %s: the store does not verify", cf->db_dir);
		goto out;
	}
	if (ca_open(cf, keys, &ca, &err) == -1) {
		log_error("backup: %s", err.msg);
		goto out;
	}
	/* Open a scratch copy: recovery must not touch the backup itself. */
	if (mkdtemp(tmpl) == NULL) {
		log_error("backup: %s: %s", tmpl, strerror(errno));
		goto out;
	}
	scratch = xstrdup(tmpl);
	if (backup_copy_dir(cf->db_dir, scratch) == -1)
		goto out;
	if (store_open(scratch, &st) != 0) {
		log_error("backup: the store in %s does not open", cf->db_dir);
		goto out;
	}
	if (store_cert_foreach(st, STORE_BY_SERIAL, backup_count_one,
	    &count) != 0) {
		log_error("backup: reading the restored store failed");
		goto out;
	}
	if (count < want) {
		log_error("backup: %zu certificates restored, %zu expected",
		    count, want);
		goto out;
	}
	printf("backup %s verifies: %zu certificates, store sound, %s\n", dir,
	    count, keys ? "keys match their certificates" :
	    "no private keys in it");
	rc = 0;
out:
	store_close(st);
	if (scratch != NULL)
		util_remove_tree(scratch);
	free(scratch);
	free(cfgpath);
	free(text);
	json_decref(info);
	ca_free(ca);
	conf_free(cf);
	return rc;
}

int
cmd_backup(int argc, char **argv, const char *cfg)
{
	int		 ch, verify = 0, keys = 1;
	static const struct option opts[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "no-keys", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			verify = 1;
			break;
		case 'n':
			keys = 0;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			backup_usage(stdout);
			return EXIT_SUCCESS;
		default:
			backup_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		backup_usage(stderr);
		return EXIT_USAGE;
	}
	if (verify)
		return backup_verify(argv[optind]) == 0 ? EXIT_SUCCESS :
		    EXIT_FAILURE;
	return backup_make(cfg, argv[optind], keys) == 0 ? EXIT_SUCCESS :
	    EXIT_FAILURE;
}
