/*
 * cmd.h: the verbs of the pica command, one file each.
 */
#ifndef PICA_CMD_H
#define PICA_CMD_H

#include <stdint.h>

struct conf;
struct ca;
struct store;

/* Exit statuses: EXIT_SUCCESS, EXIT_FAILURE, and this for bad usage. */
#define EXIT_USAGE	2

/* Each verb: argv[0] is the verb; cfg is -c FILE given before it, or NULL. */
int	 cmd_init(int argc, char **argv, const char *cfg);
int	 cmd_issue(int argc, char **argv, const char *cfg);
int	 cmd_revoke(int argc, char **argv, const char *cfg);
int	 cmd_crl(int argc, char **argv, const char *cfg);
int	 cmd_list(int argc, char **argv, const char *cfg);
int	 cmd_show(int argc, char **argv, const char *cfg);
int	 cmd_backup(int argc, char **argv, const char *cfg);
int	 cmd_eab(int argc, char **argv, const char *cfg);
int	 cmd_demo(int argc, char **argv, const char *cfg);
int	 cmd_root(int argc, char **argv, const char *cfg);
int	 cmd_webconfig(int argc, char **argv, const char *cfg);
int	 cmd_www(int argc, char **argv, const char *cfg);

/*
 * Load the configuration, the CA (with its key when with_key) and the
 * store; any of ca and st may be NULL when not needed.  Prints the error.
 */
int	 cmd_open(const char *cfg, int with_key, struct conf **cf,
	    struct ca **ca, struct store **st);

/* Sign and write the CRL files; quiet prints nothing but errors. */
int	 cmd_crl_publish(struct ca *ca, struct store *st, int quiet);

/* Close what cmd_open opened. */
void	 cmd_close(struct conf *cf, struct ca *ca, struct store *st);

/* Parse a duration or an RFC 3339 time into seconds since the epoch. */
int	 cmd_parse_time(const char *arg, int64_t now, int64_t *out);

/* Format seconds since the epoch as RFC 3339 UTC. */
void	 cmd_format_time(int64_t t, char *buf, size_t len);

#endif
