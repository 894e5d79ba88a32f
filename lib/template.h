/*
 * template.h: step-ca's certificate templates (Go text/template syntax).
 *
 * A template is text with {{ actions }}; rendering it against a data tree
 * gives a JSON document (profile.h turns that into certificate fields).
 * Supported, as step-ca users write them: field chains (.Subject.CommonName,
 * .SANs, .Insecure.CR), variables ($ and $x := ...), pipelines with |,
 * parentheses, string/number/bool/nil literals, {{- and -}} trimming,
 * comments ({{/- ... -/}} with slashes and stars), if / else if / else / end, range (with $i, $v :=),
 * with, and the functions toJson, index, len, eq, ne, lt, le, gt, ge, and,
 * or, not, print, printf, default, empty, lower, upper, trim, trimPrefix,
 * trimSuffix, hasPrefix, hasSuffix, contains, replace, join, split, first,
 * last, list, dict, quote, squote, toString, typeIs, fail.
 *
 * Field access looks a key up as written, then with its first letter
 * lower-cased, so Go-style .Subject.CommonName finds {"commonName": ...}
 * and (index .SANs 0).Value finds {"value": ...}.
 */
#ifndef PICA_TEMPLATE_H
#define PICA_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct template;

/* Parse template text; -1 with PICA_E_CONFIG naming name:line:col. */
int	 template_parse(const char *name, const char *text,
	    struct template **out, struct pica_err *err);

/* Read and parse a template file. */
int	 template_load(const char *path, struct template **out,
	    struct pica_err *err);

void	 template_free(struct template *);

/*
 * Render against data (borrowed); *out is a new NUL-terminated string.
 * Runtime errors (a "fail" call, index out of range, wrong argument types)
 * give PICA_E_CONFIG with the template name and position.  Output is
 * bounded (1 MiB) and range loops nest at most 16 deep.
 */
int	 template_render(const struct template *, json_t *data, char **out,
	    struct pica_err *err);

#endif
