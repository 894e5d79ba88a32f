#ifndef PICA_PERM_H
#define PICA_PERM_H

#include "err.h"

struct conf;

/*
 * Hand a CA made by root over to the programs' user: the store, the web
 * root and the OCSP responder's certificate become user's (the store's
 * directory setgid, so that files root's commands make there stay the
 * group's); pica.json and the CA's directory root's, readable by user's
 * group; the signing keys root's, readable by key_group alone (NULL:
 * user's group); the root's key, if here, root's alone.
 */
/* Whether perm_apply can run: root, user and key_group exist. */
int	 perm_check(const char *user, const char *key_group,
	    struct pica_err *);

int	 perm_apply(const struct conf *, const char *user,
	    const char *key_group, struct pica_err *);

#endif
