/*
 * landing.h: the CA's landing page (www/index.html, DESIGN.md section 2):
 * its name, its certificates and their fingerprints, its URLs, and how to
 * trust it and get certificates from it, made from templates/landing.html.in.
 */
#ifndef PICA_LANDING_H
#define PICA_LANDING_H

#include "err.h"

struct conf;

/* What landing_write writes into the www directory, NULL-terminated. */
extern const char *const landing_files[];

/*
 * Write index.html (from template_dir/landing.html.in), pica.css (copied
 * from template_dir) and the DER forms of the root and the intermediate
 * (root.crt, intermediate.crt) into cf->www_dir, each atomically with
 * mode 0644.  template_dir NULL: $PICA_TEMPLATE_DIR, else the installed
 * templates.
 */
int	 landing_write(const struct conf *cf, const char *template_dir,
	    struct pica_err *err);

/* landing_write for the CA in dir (its dir/pica.json). */
int	 landing_write_dir(const char *dir, const char *template_dir,
	    struct pica_err *err);

#endif
