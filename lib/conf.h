/*
 * conf.h: pica.json, the CA's one configuration file (DESIGN.md section 4).
 *
 * Key names follow step-ca's ca.json where the meaning is the same.  The
 * reader is strict: an unknown key, a value of the wrong type or a bad
 * duration is an error naming the file and the key.  Relative paths are
 * resolved against the directory that holds the file, so a CA directory
 * can be moved or restored from a backup as a whole.
 */
#ifndef PICA_CONF_H
#define PICA_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct policy;

/* A named certificate profile: acme.profiles or the shipped templates. */
struct conf_profile {
	char	*name;
	char	*path;		/* absolute template path */
};

struct conf {
	char		*path;		/* the file read */
	char		*dir;		/* its directory */
	char		*name;		/* the CA's name (pica extension) */
	char		*root;		/* root certificate (PEM) */
	char		*crt;		/* intermediate certificate (PEM) */
	char		*key;		/* intermediate key: path or pkcs11: URI */
	char		**dns_names;
	size_t		 n_dns_names;
	char		*external_url;	/* https://host[:port], no trailing / */
	char		*http_url;	/* plain-HTTP base for CRL/OCSP/AIA */
	char		*db_dir;	/* db.dataSource */
	char		*www_dir;	/* static files: roots.pem, crl (pica) */
	char		*template_dir;	/* where profile names resolve (pica) */

	int		 crl_enabled;
	int64_t		 crl_cache_duration;	/* seconds */
	int		 crl_generate_on_revoke;
	char		*crl_idp_url;	/* CRL URL, also the certificates' CDP */

	int64_t		 claims_default_dur;	/* seconds */
	int64_t		 claims_min_dur;
	int64_t		 claims_max_dur;
	int64_t		 backdate;

	struct policy	*policy;

	struct conf_profile	*profiles;
	size_t		 n_profiles;
	char		*default_profile;
	char		**challenges;	/* "http-01", "dns-01", "tls-alpn-01" */
	size_t		 n_challenges;
	int		 http_port;
	int		 tls_port;
	char		*resolver;	/* host:port, NULL for the system one */
	int		 eab_required;
	/* acme.rateLimits: at most N per window; N 0 turns a limit off. */
	int64_t		 rl_orders_n;		/* new orders per account */
	int64_t		 rl_orders_window;	/* seconds */
	int64_t		 rl_accounts_n;		/* new accounts per IP */
	int64_t		 rl_accounts_window;

	char		*ocsp_cert;
	char		*ocsp_key;
	int64_t		 ocsp_validity;	/* seconds */
	char		*ocsp_url;	/* AIA OCSP URL put into certificates */
	char		*ca_issuers_url;/* AIA caIssuers URL */

	char		*pkcs11_module;	/* kms.uri's module-path, or NULL */
};

/* Read and check path; -1 with PICA_E_CONFIG naming file and key. */
int	 conf_load(const char *path, struct conf **out, struct pica_err *);

/* Parse a JSON text as if read from path (tests, `pica init`). */
int	 conf_parse(const char *path, const char *text, struct conf **out,
	    struct pica_err *);

void	 conf_free(struct conf *);

/*
 * The config file to use: the -c argument when given, else $PICA_CONFIG,
 * else the system default (/etc/pica/pica.json).
 */
const char	*conf_default_path(const char *arg);

/* The template path for a profile name, or NULL when unknown. */
const char	*conf_profile_path(const struct conf *, const char *name);

#endif
