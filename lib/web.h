#ifndef PICA_WEB_H
#define PICA_WEB_H

/*
 * The web server's side of pica: its configuration written from the
 * shipped templates, and its own TLS certificate from the CA.
 */

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "err.h"

struct ca;
struct store;

/* A template's @NAME@ and its value. */
struct web_var {
	const char	*name;
	const char	*value;
};

/* An @IF_NAME@ ... @END_NAME@ section of a template, and whether it stays. */
struct web_section {
	const char	*name;
	int		 on;
};

/* Where the shipped templates are: $PICA_TEMPLATE_DIR or the default. */
const char *web_template_dir(void);

/*
 * The template text (read from tpl, which errors name) with every @NAME@
 * replaced from vars through put (NULL: as it is; a NULL value: nothing),
 * and each @IF_X@ ... @END_X@ of secs kept or dropped, into *out
 * (NUL-terminated, *len bytes; the caller frees it).  An @NAME@ that is
 * neither a var nor a section's marker is an error naming it.
 */
int	 web_render_text(const char *tpl, const char *text,
	    const struct web_var *vars, size_t nv,
	    const struct web_section *secs, size_t ns,
	    void (*put)(FILE *, const char *), char **out, size_t *len,
	    struct pica_err *);

/* Largest template read. */
#define WEB_MAX_TEMPLATE	(64 * 1024)

/* web_render_text of the file tpl, values as they are, no sections. */
int	 web_render(const char *tpl, const struct web_var *vars, size_t n,
	    char **out, size_t *len, struct pica_err *);

/* web_render into the file out (mode 0644, atomically). */
int	 web_render_file(const char *tpl, const char *out,
	    const struct web_var *vars, size_t n, struct pica_err *);

/* Whether path can go into a web-server configuration unquoted. */
int	 web_safe_path(const char *path);

/*
 * The host (no brackets) and port of an http:// or https:// URL; the
 * port defaults to the scheme's.
 */
int	 web_url_host(const char *url, char *host, size_t len, int *port);

/*
 * Add name to names (at most max) typed as issue_typed_name types it
 * ("DNS:..." or "IP:..."), unless it is there already or not a name.
 */
void	 web_add_name(char **names, size_t *n, size_t max, const char *name);

/*
 * Whether the TLS certificate crt (key beside it) can be used as it is:
 * issued by the CA's intermediate, for every name (typed DNS:/IP:), with
 * more than margin seconds left.  *why says what is wrong.
 */
int	 web_tls_usable(const struct ca *, const char *crt, const char *key,
	    char **names, size_t n, time_t margin, const char **why);

/*
 * Issue a TLS server certificate for names with a new key: the key to
 * key_path (mode 0600), leaf and intermediate to crt.
 */
int	 web_tls_issue(struct ca *, struct store *, const char *crt,
	    const char *key_path, const char *cn, char **names, size_t n,
	    struct pica_err *);

#endif
