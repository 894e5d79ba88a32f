#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "err.h"

static void
err_vset(struct pica_err *err, enum pica_errc code, const char *fmt,
    va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
pica_err_set(struct pica_err *err, enum pica_errc code, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
pica_err_ssl(struct pica_err *err, enum pica_errc code, const char *fmt, ...)
{
	va_list		 ap;
	unsigned long	 e;
	char		 buf[256];
	size_t		 len;

	e = ERR_peek_last_error();
	ERR_clear_error();
	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, " (%s)", buf);
	}
	return -1;
}

void
pica_err_clear(struct pica_err *err)
{
	if (err == NULL)
		return;
	err->code = PICA_E_NONE;
	err->msg[0] = '\0';
}
