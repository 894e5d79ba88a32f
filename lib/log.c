#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "log.h"

static const char	*log_ident = "pica";
static int		 log_quiet;

void
log_init(const char *ident)
{
	log_ident = ident;
}

void
log_set_quiet(int quiet)
{
	log_quiet = quiet;
}

static void
log_v(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", log_ident, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_v("warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

static int
log_ssl_line(const char *str, size_t len, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s:   %.*s", log_ident, (int)len, str);
	return 1;
}

void
log_ssl(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
	ERR_print_errors_cb(log_ssl_line, NULL);
}
