/*
 * log.h: diagnostics for operators, on standard error.
 *
 * Under spawn-fcgi and systemd standard error goes to the journal; on the
 * command line it is the terminal.  Never log key material or PINs.
 */
#ifndef PICA_LOG_H
#define PICA_LOG_H

/* Name the program in every line ("pica", "acme-order", ...). */
void	 log_init(const char *ident);

/* "ident: message" on standard error. */
void	 log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_error, then the OpenSSL error queue (which it clears). */
void	 log_ssl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Silence log_info (the CLI's --quiet, tests). */
void	 log_set_quiet(int quiet);

#endif
