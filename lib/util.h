/*
 * util.h: small file and string helpers shared by lib/ and src/.
 */
#ifndef PICA_UTIL_H
#define PICA_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Read a whole file (at most max bytes) into a NUL-terminated buffer. */
int	 util_read_file(const char *path, size_t max, char **out, size_t *len,
	    struct pica_err *err);

/*
 * Write data to path atomically: a temporary file in the same directory,
 * fsync, rename.  The file gets mode; an existing file is replaced only
 * when replace is set (otherwise PICA_E_EXISTS).
 */
int	 util_write_file(const char *path, const void *data, size_t len,
	    mode_t mode, int replace, struct pica_err *err);

/* mkdir -p with mode for the directories it creates. */
int	 util_mkdirs(const char *path, mode_t mode, struct pica_err *err);

/* dir + "/" + name, or name itself when absolute; NULL on ENOMEM. */
char	*util_path_join(const char *dir, const char *name);

/* The directory part of path ("." when none); NULL on ENOMEM. */
char	*util_dirname(const char *path);

/* Lower-case hex of len bytes into a new string; NULL on ENOMEM. */
char	*util_hex(const unsigned char *buf, size_t len);

/* The value of one hex digit, or -1. */
int	 util_hexval(int c);

/* Remove a file or a directory tree (symbolic links are not followed). */
void	 util_remove_tree(const char *path);

/* Parse hex (colons allowed) into at most max bytes; -1 on bad input. */
int	 util_unhex(const char *hex, unsigned char *buf, size_t max,
	    size_t *len);

/* Like strdup, NULL stays NULL; aborts on ENOMEM. */
char	*xstrdup(const char *s);

/* calloc that aborts on ENOMEM (small, bounded allocations only). */
void	*xcalloc(size_t n, size_t size);

#endif
