/*
 * prog.h: what every FastCGI program of cgi-bin/ does around serving:
 * its options, opening the configuration, the CA and the store, and the
 * exit status its supervisor understands.
 */
#ifndef PICA_PROG_H
#define PICA_PROG_H

struct ca;
struct conf;
struct store;

/* Which key a program loads with the CA's certificates. */
enum prog_key {
	PROG_NO_KEY,		/* none: the program does not sign */
	PROG_CA_KEY,		/* the intermediate's */
	PROG_OCSP_KEY,		/* the intermediate's unless ocsp.cert is set */
};

/* What a program holds open while it serves. */
struct prog {
	struct conf	*conf;
	struct ca	*ca;
	struct store	*store;
};

/*
 * Start the log as ident and parse the options (-c FILE): the
 * configuration path in *config (NULL: the default).  0, or -1 after
 * printing the usage.
 */
int	 prog_options(int argc, char *argv[], const char *ident,
	    const char **config);

/* Load the configuration, the CA and the store; errors are logged. */
int	 prog_open(struct prog *, const char *config, enum prog_key);
void	 prog_close(struct prog *);

/*
 * The exit status for what http_serve returned: 75 (EX_TEMPFAIL) when
 * the store needs recovery, so that the supervisor starts the program
 * again; 0 or 1 otherwise.
 */
int	 prog_exit_status(int serve_rc);

#endif
