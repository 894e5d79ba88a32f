#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

/*
 * A transcription of Go's time.ParseDuration (go/src/time/format.go):
 * [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0" with an optional sign.  The
 * magnitude is accumulated in a uint64 that may reach 1<<63 (for the most
 * negative duration); fractions go through a double exactly as Go does, so
 * that both agree to the nanosecond.
 */

#define DUR_LIMIT	((uint64_t)1 << 63)

static const struct {
	const char	*name;
	uint64_t	 ns;
} units[] = {
	{ "ns",		1 },
	{ "us",		1000 },
	{ "\xc2\xb5s",	1000 },		/* U+00B5 MICRO SIGN */
	{ "\xce\xbcs",	1000 },		/* U+03BC GREEK SMALL LETTER MU */
	{ "ms",		1000000 },
	{ "s",		1000000000 },
	{ "m",		60ULL * 1000000000 },
	{ "h",		3600ULL * 1000000000 },
};

static int
isdigit_c(char c)
{
	return c >= '0' && c <= '9';
}

/* Go's leadingInt: [0-9]*, -1 once the value exceeds 1<<63. */
static int
leading_int(const char **sp, uint64_t *out)
{
	const char	*s = *sp;
	uint64_t	 x = 0;

	for (; isdigit_c(*s); s++) {
		if (x > DUR_LIMIT / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > DUR_LIMIT)
			return -1;
	}
	*sp = s;
	*out = x;
	return 0;
}

/* Go's leadingFraction: [0-9]*, silently dropping digits on overflow. */
static void
leading_fraction(const char **sp, uint64_t *out, double *scale)
{
	const char	*s = *sp;
	uint64_t	 x = 0, y;
	int		 overflow = 0;

	*scale = 1;
	for (; isdigit_c(*s); s++) {
		if (overflow)
			continue;
		if (x > (DUR_LIMIT - 1) / 10) {
			overflow = 1;
			continue;
		}
		y = x * 10 + (uint64_t)(*s - '0');
		if (y > DUR_LIMIT) {
			overflow = 1;
			continue;
		}
		x = y;
		*scale *= 10;
	}
	*sp = s;
	*out = x;
}

static int
unit_lookup(const char *u, size_t len, uint64_t *ns)
{
	size_t	 i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == len &&
		    memcmp(units[i].name, u, len) == 0) {
			*ns = units[i].ns;
			return 0;
		}
	}
	return -1;
}

int
duration_parse(const char *s, int64_t *ns)
{
	int		 rc = -1, neg = 0, pre, post;
	uint64_t	 d = 0, v, f, unit;
	double		 scale;
	const char	*p, *u;

	if (*s == '-' || *s == '+') {
		neg = (*s == '-');
		s++;
	}
	if (strcmp(s, "0") == 0)
		s++;		/* "0" alone needs no unit */
	else if (*s == '\0')
		goto out;
	while (*s != '\0') {
		if (*s != '.' && !isdigit_c(*s))
			goto out;
		p = s;
		if (leading_int(&s, &v) == -1)
			goto out;
		pre = (s != p);
		post = 0;
		f = 0;
		scale = 1;
		if (*s == '.') {
			s++;
			p = s;
			leading_fraction(&s, &f, &scale);
			post = (s != p);
		}
		if (!pre && !post)
			goto out;
		for (u = s; *s != '\0' && *s != '.' && !isdigit_c(*s); s++)
			;
		if (s == u || unit_lookup(u, (size_t)(s - u), &unit) == -1)
			goto out;
		if (v > DUR_LIMIT / unit)
			goto out;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > DUR_LIMIT)
				goto out;
		}
		d += v;
		if (d > DUR_LIMIT)
			goto out;
	}
	if (neg)
		*ns = (d == DUR_LIMIT) ? INT64_MIN : -(int64_t)d;
	else if (d > DUR_LIMIT - 1)
		goto out;
	else
		*ns = (int64_t)d;
	rc = 0;
out:
	return rc;
}

int
duration_parse_sec(const char *s, int64_t *sec)
{
	int64_t	 ns;

	if (duration_parse(s, &ns) == -1)
		return -1;
	*sec = ns / 1000000000;
	return 0;
}

void
duration_format(int64_t sec, char *buf, size_t len)
{
	uint64_t	 u, h, m;
	const char	*sign = "";

	if (len == 0)
		return;
	if (sec < 0) {
		sign = "-";
		u = (uint64_t)0 - (uint64_t)sec;
	} else
		u = (uint64_t)sec;
	h = u / 3600;
	m = u / 60 % 60;
	u %= 60;
	if (h > 0)
		snprintf(buf, len, "%s%lluh%llum%llus", sign,
		    (unsigned long long)h, (unsigned long long)m,
		    (unsigned long long)u);
	else if (m > 0)
		snprintf(buf, len, "%s%llum%llus", sign,
		    (unsigned long long)m, (unsigned long long)u);
	else
		snprintf(buf, len, "%s%llus", sign, (unsigned long long)u);
}
