/*
 * duration.h: Go-style durations ("2160h", "90m", "1h30m", "1.5h", "-5m").
 */
#ifndef PICA_DURATION_H
#define PICA_DURATION_H

#include <stdint.h>

/*
 * Parse a Go time.ParseDuration string into nanoseconds.  Units ns, us
 * (and µs), ms, s, m, h; decimal fractions; an optional sign; "0" alone.
 * Returns -1 on syntax error or overflow of int64 nanoseconds.
 */
int	 duration_parse(const char *s, int64_t *ns);

/* The same, rounded toward zero to whole seconds. */
int	 duration_parse_sec(const char *s, int64_t *sec);

/* Format seconds the way Go prints a duration ("2160h0m0s"). */
void	 duration_format(int64_t sec, char *buf, size_t len);

#endif
