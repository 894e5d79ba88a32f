/*
 * The packaged CA's ownership: the FastCGI programs run as one user and
 * must not be able to change the configuration or read the keys; those
 * that sign also run with the key group, which reads the key files.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "perm.h"
#include "util.h"

/* nftw has no argument for its callback: the owner it sets. */
static uid_t	perm_uid;
static gid_t	perm_gid;

static int
perm_chown_one(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return lchown(path, perm_uid, perm_gid) == -1 ? -1 : 0;
}

/* chown -R uid:gid path; a path that is not there is left alone. */
static int
perm_chown_tree(const char *path, uid_t uid, gid_t gid, struct pica_err *err)
{
	if (access(path, F_OK) == -1)
		return 0;
	perm_uid = uid;
	perm_gid = gid;
	if (nftw(path, perm_chown_one, 16, FTW_PHYS) != 0)
		return pica_err_set(err, PICA_E_INTERNAL, "%s: chown: %s",
		    path, strerror(errno));
	return 0;
}

/* chown and chmod one file (or directory) that must be there. */
static int
perm_set(const char *path, uid_t uid, gid_t gid, mode_t mode,
    struct pica_err *err)
{
	if (chown(path, uid, gid) == -1 || chmod(path, mode) == -1)
		return pica_err_set(err, PICA_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
	return 0;
}

/* A key reference that is a file (not a pkcs11: URI), and its directory. */
static int
perm_key(const char *key, gid_t kg, struct pica_err *err)
{
	char	*dir = NULL;
	int	 rc = -1;

	if (key == NULL || strncmp(key, "pkcs11:", 7) == 0)
		return 0;
	if ((dir = util_dirname(key)) == NULL) {
		pica_err_set(err, PICA_E_INTERNAL, "out of memory");
		goto out;
	}
	if (perm_set(dir, 0, kg, 0750, err) == -1 ||
	    perm_set(key, 0, kg, 0640, err) == -1)
		goto out;
	rc = 0;
out:
	free(dir);
	return rc;
}

/* The user's IDs and the key group's, checked. */
static int
perm_lookup(const char *user, const char *key_group, uid_t *uid, gid_t *gid,
    gid_t *kg, struct pica_err *err)
{
	struct passwd	*pw;
	struct group	*gr;

	if (geteuid() != 0)
		return pica_err_set(err, PICA_E_USAGE, "--user: only root "
		    "can hand files to another user");
	if ((pw = getpwnam(user)) == NULL)
		return pica_err_set(err, PICA_E_USAGE, "--user: no user "
		    "\"%s\"", user);
	if (pw->pw_uid == 0)
		return pica_err_set(err, PICA_E_USAGE, "--user: \"%s\" is "
		    "root; the programs run as an unprivileged user", user);
	*uid = pw->pw_uid;
	*gid = *kg = pw->pw_gid;
	if (key_group != NULL) {
		if ((gr = getgrnam(key_group)) == NULL)
			return pica_err_set(err, PICA_E_USAGE, "--key-group: "
			    "no group \"%s\"", key_group);
		*kg = gr->gr_gid;
	}
	return 0;
}

int
perm_check(const char *user, const char *key_group, struct pica_err *err)
{
	uid_t	 uid;
	gid_t	 gid, kg;

	return perm_lookup(user, key_group, &uid, &gid, &kg, err);
}

int
perm_apply(const struct conf *cf, const char *user, const char *key_group,
    struct pica_err *err)
{
	uid_t		 uid;
	gid_t		 gid, kg;
	char		*dir = NULL, *root_key = NULL;
	int		 rc = -1;

	if (perm_lookup(user, key_group, &uid, &gid, &kg, err) == -1)
		goto out;

	/* What the programs write. */
	/* (Not there yet after --csr-only: the completing step makes them.) */
	if (perm_chown_tree(cf->db_dir, uid, gid, err) == -1 ||
	    (access(cf->db_dir, F_OK) == 0 &&
	    perm_set(cf->db_dir, uid, gid, 02770, err) == -1) ||
	    perm_chown_tree(cf->www_dir, uid, gid, err) == -1)
		goto out;
	if (cf->ocsp_cert != NULL) {
		if ((dir = util_dirname(cf->ocsp_cert)) == NULL)
			goto oom;
		if (perm_chown_tree(dir, uid, gid, err) == -1)
			goto out;
	}

	/* What they read and must not change. */
	if (perm_set(cf->dir, 0, gid, 0750, err) == -1 ||
	    perm_set(cf->path, 0, gid, 0640, err) == -1 ||
	    perm_key(cf->key, kg, err) == -1 ||
	    perm_key(cf->ocsp_key, kg, err) == -1)
		goto out;
	/* The root's key, when this is not an offline-root CA: root alone. */
	if ((root_key = util_path_join(cf->dir, "secrets/root.key")) == NULL)
		goto oom;
	if (access(root_key, F_OK) == 0 &&
	    perm_set(root_key, 0, 0, 0600, err) == -1)
		goto out;
	rc = 0;
	goto out;
oom:
	pica_err_set(err, PICA_E_INTERNAL, "out of memory");
out:
	free(dir);
	free(root_key);
	return rc;
}
