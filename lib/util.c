#include "config.h"

#include <sys/stat.h>

#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* The least util_read_file allocates, so that a small file is one read. */
#define UTIL_READ_MIN	4096

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

int
util_read_file(const char *path, size_t max, char **out, size_t *len,
    struct pica_err *err)
{
	int		 rc = -1, fd = -1;
	char		*buf = NULL, *p;
	size_t		 have = 0, size;
	ssize_t		 n = 0;
	struct stat	 st;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		pica_err_set(err, errno == ENOENT ? PICA_E_NOTFOUND :
		    PICA_E_INTERNAL, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		pica_err_set(err, PICA_E_USAGE, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		pica_err_set(err, PICA_E_USAGE, "%s: larger than %zu bytes",
		    path, max);
		goto out;
	}
	/*
	 * Size the buffer by the file, not by max: a buffer of max bytes
	 * (1 MB for the configuration) is a mapping made and dropped on
	 * every call, and it raises malloc's mmap threshold so that later
	 * large blocks come from the heap and stay there.  One byte more
	 * than the file sees its end in the same buffer; it grows, up to
	 * max, only if the file grew since fstat.
	 */
	size = (size_t)st.st_size < UTIL_READ_MIN ? UTIL_READ_MIN :
	    (size_t)st.st_size + 1;
	if (size > max)
		size = max;
	buf = xcalloc(1, size + 1);
	for (;;) {
		if (have == size) {
			if (size == max)
				break;
			size = size > max / 2 ? max : size * 2;
			if ((p = realloc(buf, size + 1)) == NULL) {
				fprintf(stderr, "out of memory\n");
				abort();
			}
			buf = p;
		}
		if ((n = read(fd, buf + have, size - have)) <= 0)
			break;
		have += (size_t)n;
	}
	if (n == -1) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	buf[have] = '\0';
	*out = buf;
	buf = NULL;
	if (len != NULL)
		*len = have;
	rc = 0;
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

int
util_write_file(const char *path, const void *data, size_t len, mode_t mode,
    int replace, struct pica_err *err)
{
	int		 rc = -1, fd = -1;
	char		*tmp = NULL;
	const char	*p = data;
	ssize_t		 n;
	size_t		 tmplen;

	if (!replace && access(path, F_OK) == 0) {
		pica_err_set(err, PICA_E_EXISTS, "%s: already exists", path);
		goto out;
	}
	tmplen = strlen(path) + 16;
	tmp = xcalloc(1, tmplen);
	snprintf(tmp, tmplen, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		pica_err_set(err, PICA_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) == -1)
		goto syserr;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto syserr;
	}
	fd = -1;
	/* link() refuses to replace, so a racing writer cannot be clobbered. */
	if (!replace) {
		if (link(tmp, path) == -1)
			goto syserr;
		unlink(tmp);
	} else if (rename(tmp, path) == -1)
		goto syserr;
	free(tmp);
	tmp = NULL;
	rc = 0;
	goto out;
syserr:
	pica_err_set(err, errno == EEXIST ? PICA_E_EXISTS : PICA_E_INTERNAL,
	    "%s: %s", path, strerror(errno));
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}

int
util_mkdirs(const char *path, mode_t mode, struct pica_err *err)
{
	int	 rc = -1;
	char	*p = NULL, *s;

	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		int last = (*s == '\0');
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			pica_err_set(err, PICA_E_INTERNAL, "%s: %s", p,
			    strerror(errno));
			goto out;
		}
		if (last)
			break;
		*s = '/';
	}
	rc = 0;
out:
	free(p);
	return rc;
}

char *
util_path_join(const char *dir, const char *name)
{
	char	*p;
	size_t	 len;

	if (name[0] == '/' || dir == NULL || dir[0] == '\0')
		return strdup(name);
	len = strlen(dir) + strlen(name) + 2;
	if ((p = malloc(len)) == NULL)
		return NULL;
	snprintf(p, len, "%s/%s", dir, name);
	return p;
}

char *
util_dirname(const char *path)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

char *
util_hex(const unsigned char *buf, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	char			*s;
	size_t			 i;

	if ((s = malloc(len * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		s[2 * i] = digits[buf[i] >> 4];
		s[2 * i + 1] = digits[buf[i] & 0xf];
	}
	s[2 * len] = '\0';
	return s;
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *hex, unsigned char *buf, size_t max, size_t *len)
{
	size_t	 n = 0;
	int	 hi, lo;

	while (*hex != '\0') {
		if (*hex == ':') {
			hex++;
			continue;
		}
		if ((hi = util_hexval(hex[0])) < 0 ||
		    (lo = util_hexval(hex[1])) < 0)
			return -1;
		if (n == max)
			return -1;
		buf[n++] = (unsigned char)(hi << 4 | lo);
		hex += 2;
	}
	if (n == 0)
		return -1;
	*len = n;
	return 0;
}

void
util_remove_tree(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*p;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if ((p = util_path_join(path, de->d_name)) != NULL) {
				util_remove_tree(p);
				free(p);
			}
		}
		closedir(d);
	}
	rmdir(path);
}
