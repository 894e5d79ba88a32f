/*
 * t-duration.c: duration_parse against Go's own time.ParseDuration test
 * vectors (go/src/time/time_test.go), duration_format against
 * Duration.String.
 */
#include "config.h"

#include <stdint.h>

#include "test.h"
#include "duration.h"

#define SEC	1000000000LL
#define MS	1000000LL
#define US	1000LL
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)

static const struct {
	const char	*in;
	int64_t		 ns;
} good[] = {
	{ "0",			0 },
	{ "5s",			5 * SEC },
	{ "30s",		30 * SEC },
	{ "1478s",		1478 * SEC },
	{ "-5s",		-5 * SEC },
	{ "+5s",		5 * SEC },
	{ "-0",			0 },
	{ "+0",			0 },
	{ "5.0s",		5 * SEC },
	{ "5.6s",		5 * SEC + 600 * MS },
	{ "5.s",		5 * SEC },
	{ ".5s",		500 * MS },
	{ "1.0s",		SEC },
	{ "1.00s",		SEC },
	{ "1.004s",		SEC + 4 * MS },
	{ "1.0040s",		SEC + 4 * MS },
	{ "100.00100s",		100 * SEC + MS },
	{ "10ns",		10 },
	{ "11us",		11 * US },
	{ "12\xc2\xb5s",	12 * US },	/* U+00B5 */
	{ "12\xce\xbcs",	12 * US },	/* U+03BC */
	{ "13ms",		13 * MS },
	{ "14s",		14 * SEC },
	{ "15m",		15 * MIN },
	{ "16h",		16 * HOUR },
	{ "3h30m",		3 * HOUR + 30 * MIN },
	{ "10.5s4m",		4 * MIN + 10 * SEC + 500 * MS },
	{ "-2m3.4s",		-(2 * MIN + 3 * SEC + 400 * MS) },
	{ "1h2m3s4ms5us6ns",	HOUR + 2 * MIN + 3 * SEC + 4 * MS + 5 * US + 6 },
	{ "39h9m14.425s",	39 * HOUR + 9 * MIN + 14 * SEC + 425 * MS },
	{ "52763797000ns",	52763797000LL },
	{ "0.3333333333333333333h", 20 * MIN },
	{ "9007199254740993ns",	(1LL << 53) + 1 },
	{ "9223372036854775807ns", INT64_MAX },
	{ "9223372036854775.807us", INT64_MAX },
	{ "9223372036s854ms775us807ns", INT64_MAX },
	{ "-9223372036854775808ns", INT64_MIN },
	{ "-9223372036854775.808us", INT64_MIN },
	{ "-9223372036s854ms775us808ns", INT64_MIN },
	{ "-2562047h47m16.854775808s", INT64_MIN },
	{ "0.100000000000000000000h", 6 * MIN },
	{ "0.830103483285477580700h", 49 * MIN + 48 * SEC + 372539827 },
	/* pica's own uses */
	{ "2160h",		2160 * HOUR },
	{ "1.5h",		90 * MIN },
	{ "1h30m",		90 * MIN },
	{ "-5m",		-5 * MIN },
	{ "0s",			0 },
	{ "0.5ms",		500 * US },
	{ "1h0m0s",		HOUR },
};

static const char *const bad[] = {
	"",
	"3",
	"10",
	"-",
	"+",
	"s",
	".",
	"-.",
	".s",
	"+.s",
	"1d",
	"1h-5m",
	"1h+5m",
	"1hm",
	"1 h",
	" 1h",
	"1h ",
	"1H",
	"5S",
	"1.5",
	"--1s",
	"00",
	"\x85\x85",
	"\xff" "ff",
	"hello \xff" "ff world",
	"\xef\xbf\xbd",				/* U+FFFD */
	"\xc2\xb5",				/* micro sign alone */
	"1\xc2s",				/* half a micro sign */
	"9223372036854775810ns",
	"9223372036854775808ns",
	"-9223372036854775809ns",
	"9223372036854776us",
	"3000000h",
	"9223372036854775.808us",
	"9223372036854ms775us808ns",
	"99999999999999999999999h",
};

static const struct {
	int64_t		 sec;
	const char	*out;
} fmt[] = {
	{ 0,			"0s" },
	{ 1,			"1s" },
	{ 59,			"59s" },
	{ 60,			"1m0s" },
	{ 90,			"1m30s" },
	{ 3600,			"1h0m0s" },
	{ 3661,			"1h1m1s" },
	{ 2160 * 3600,		"2160h0m0s" },
	{ -300,			"-5m0s" },
	{ -1,			"-1s" },
	{ -3601,		"-1h0m1s" },
	{ 9223372036LL,		"2562047h47m16s" },
	{ INT64_MAX,		"2562047788015215h30m7s" },
	{ INT64_MIN,		"-2562047788015215h30m8s" },
};

static const struct {
	const char	*in;
	int64_t		 sec;
} secs[] = {
	{ "90m",		5400 },
	{ "1.9s",		1 },
	{ "-1.9s",		-1 },
	{ "999ms",		0 },
	{ "2160h",		7776000 },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

int
main(void)
{
	size_t	 i;
	int64_t	 v;
	int	 r;
	char	 buf[64];

	plan((int)(NELEM(good) * 2 + NELEM(bad) + NELEM(fmt) +
	    NELEM(secs) * 2 + 3));

	for (i = 0; i < NELEM(good); i++) {
		v = 12345;
		r = duration_parse(good[i].in, &v);
		is_int(r, 0, "parse \"%s\" succeeds", good[i].in);
		is_int(v, good[i].ns, "parse \"%s\" = %lld ns", good[i].in,
		    (long long)good[i].ns);
	}
	for (i = 0; i < NELEM(bad); i++) {
		v = 12345;
		r = duration_parse(bad[i], &v);
		ok(r == -1 && v == 12345, "parse bad #%zu (\"%s\") fails, "
		    "output untouched", i, bad[i]);
	}
	for (i = 0; i < NELEM(fmt); i++) {
		duration_format(fmt[i].sec, buf, sizeof(buf));
		is_str(buf, fmt[i].out, "format %lld", (long long)fmt[i].sec);
	}
	for (i = 0; i < NELEM(secs); i++) {
		v = 12345;
		r = duration_parse_sec(secs[i].in, &v);
		is_int(r, 0, "parse_sec \"%s\" succeeds", secs[i].in);
		is_int(v, secs[i].sec, "parse_sec \"%s\" = %lld", secs[i].in,
		    (long long)secs[i].sec);
	}
	is_int(duration_parse_sec("10", &v), -1, "parse_sec \"10\" fails");

	/* round trip through the formatter */
	duration_format(5400, buf, sizeof(buf));
	r = duration_parse_sec(buf, &v);
	ok(r == 0 && v == 5400, "format/parse round trip (%s)", buf);

	/* a short buffer is truncated, still terminated */
	duration_format(2160 * 3600, buf, 5);
	is_str(buf, "2160", "format into a 5-byte buffer truncates");

	return done();
}
