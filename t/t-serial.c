/*
 * t-serial.c: random serials, ASN1_INTEGER conversions, parsing.
 */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>

#include "test.h"
#include "serial.h"
#include "util.h"

#define NSERIALS	1000

static unsigned char	 serials[NSERIALS][SERIAL_LEN];

static int
cmp(const void *a, const void *b)
{
	return memcmp(a, b, SERIAL_LEN);
}

/* Generate, check shape, DER length and ASN1 round trip of each. */
static void
test_new(void)
{
	ASN1_INTEGER	*a;
	unsigned char	*der, back[SERIAL_LEN + 4];
	size_t		 len;
	int		 i, fail = 0, shape = 0, derlen = 0, trip = 0, dups = 0;
	int		 n;

	for (i = 0; i < NSERIALS; i++) {
		if (serial_new(serials[i]) != 0)
			fail++;
		if (serials[i][0] == 0 || (serials[i][0] & 0x80))
			shape++;
		if ((a = serial_to_asn1(serials[i], SERIAL_LEN)) == NULL) {
			derlen++;
			continue;
		}
		der = NULL;
		n = i2d_ASN1_INTEGER(a, &der);
		/* 02 14 <20 bytes>: a positive INTEGER of exactly 20 bytes */
		if (n != 22 || der[0] != 0x02 || der[1] != 20 ||
		    memcmp(der + 2, serials[i], SERIAL_LEN) != 0)
			derlen++;
		OPENSSL_free(der);
		if (serial_from_asn1(a, back, sizeof(back), &len) != 0 ||
		    len != SERIAL_LEN || memcmp(back, serials[i], len) != 0)
			trip++;
		ASN1_INTEGER_free(a);
	}
	is_int(fail, 0, "%d serials generated", NSERIALS);
	is_int(shape, 0, "all positive with a non-zero first byte");
	is_int(derlen, 0, "all encode as a 20-byte DER INTEGER");
	is_int(trip, 0, "all round trip through ASN1_INTEGER");
	qsort(serials, NSERIALS, SERIAL_LEN, cmp);
	for (i = 1; i < NSERIALS; i++)
		if (memcmp(serials[i - 1], serials[i], SERIAL_LEN) == 0)
			dups++;
	is_int(dups, 0, "all distinct");
}

static void
test_asn1(void)
{
	ASN1_INTEGER		*a;
	unsigned char		 buf[32], *der;
	static const unsigned char lead[] = { 0x00, 0x00, 0xab, 0xcd };
	size_t			 len;
	int			 n;

	ok(serial_to_asn1(lead, 0) == NULL, "empty serial refused");

	a = serial_to_asn1(lead, sizeof(lead));
	ok(a != NULL, "serial with leading zeros converts");
	der = NULL;
	n = i2d_ASN1_INTEGER(a, &der);
	ok(n == 5 && memcmp(der, "\x02\x03\x00\xab\xcd", 5) == 0,
	    "DER is minimal with a sign byte");
	OPENSSL_free(der);
	ok(serial_from_asn1(a, buf, sizeof(buf), &len) == 0 && len == 2 &&
	    buf[0] == 0xab && buf[1] == 0xcd, "magnitude without zeros back");
	is_int(serial_from_asn1(a, buf, 1, &len), -1, "too long for max");
	ASN1_INTEGER_free(a);

	a = ASN1_INTEGER_new();
	ASN1_INTEGER_set(a, -5);
	is_int(serial_from_asn1(a, buf, sizeof(buf), &len), -1,
	    "negative refused");
	ASN1_INTEGER_set(a, 0);
	ok(serial_from_asn1(a, buf, sizeof(buf), &len) == 0 && len == 1 &&
	    buf[0] == 0, "zero is one 0x00 byte");
	ASN1_INTEGER_set(a, 0x1234);
	ok(serial_from_asn1(a, buf, sizeof(buf), &len) == 0 && len == 2 &&
	    buf[0] == 0x12 && buf[1] == 0x34, "0x1234");
	ASN1_INTEGER_free(a);
	is_int(serial_from_asn1(NULL, buf, sizeof(buf), &len), -1, "NULL");
}

static void
parse_is(const char *text, const char *hex)
{
	unsigned char	 buf[SERIAL_LEN];
	size_t		 len = 0;
	char		*got = NULL;

	if (serial_parse(text, buf, sizeof(buf), &len) == 0)
		got = util_hex(buf, len);
	is_str(got, hex, "parse \"%s\"", text);
	free(got);
}

static void
test_parse(void)
{
	static const char *const bad[] = {
		"", "0x", "serial=", "xyz", "g0", "-12", "+12", "12 34", " 12",
		"12\n", "12:3", "1:23", "12::34", ":12", "12:", "1234:56",
		"0x-1", "d:1234", "12.34",
		/* 21 bytes */
		"0102030405060708090a0b0c0d0e0f101112131415",
		/* 41 significant digits */
		"10102030405060708090a0b0c0d0e0f1011121314",
	};
	unsigned char	 buf[SERIAL_LEN], s[SERIAL_LEN];
	char		*hex, colon[3 * SERIAL_LEN], upper[2 * SERIAL_LEN + 8];
	size_t		 i, len, o;
	int		 r;
	BIO		*bio;
	ASN1_INTEGER	*a;
	char		*mem;
	long		 mlen;

	parse_is("0a1b2c", "0a1b2c");
	parse_is("0A1B2C", "0a1b2c");
	parse_is("0x0A1B2C", "0a1b2c");
	parse_is("0a:1b:2c", "0a1b2c");
	parse_is("0A:1B:2C", "0a1b2c");
	parse_is("serial=0A1B2C", "0a1b2c");
	parse_is("abc", "0abc");
	parse_is("0", "00");
	parse_is("00:00", "00");
	parse_is("00ff", "ff");
	parse_is("000ff", "ff");
	parse_is("00:01:02", "0102");
	/* 20 bytes, or 21 with a leading zero byte: fine */
	parse_is("7f0102030405060708090a0b0c0d0e0f10111213",
	    "7f0102030405060708090a0b0c0d0e0f10111213");
	parse_is("00:7f:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12"
	    ":13", "7f0102030405060708090a0b0c0d0e0f10111213");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = 12345;
		r = serial_parse(bad[i], buf, sizeof(buf), &len);
		ok(r == -1 && len == 12345, "junk #%zu refused", i);
	}
	is_int(serial_parse("0102", buf, 1, &len), -1, "longer than max");

	/* round trips: pica list (hex), openssl -text (colons), -serial */
	if (serial_new(s) != 0)
		diag("serial_new failed");
	hex = util_hex(s, sizeof(s));
	r = serial_parse(hex, buf, sizeof(buf), &len);
	ok(r == 0 && len == SERIAL_LEN && memcmp(buf, s, len) == 0,
	    "hex round trip (%s)", hex);
	for (i = 0, o = 0; i < SERIAL_LEN; i++)
		o += (size_t)snprintf(colon + o, sizeof(colon) - o, "%s%.2s",
		    i ? ":" : "", hex + 2 * i);
	r = serial_parse(colon, buf, sizeof(buf), &len);
	ok(r == 0 && len == SERIAL_LEN && memcmp(buf, s, len) == 0,
	    "colon-hex round trip (%s)", colon);
	a = serial_to_asn1(s, sizeof(s));
	bio = BIO_new(BIO_s_mem());
	BIO_puts(bio, "serial=");
	i2a_ASN1_INTEGER(bio, a);
	BIO_write(bio, "", 1);
	mlen = BIO_get_mem_data(bio, &mem);
	snprintf(upper, sizeof(upper), "%s", mlen > 0 ? mem : "");
	r = serial_parse(upper, buf, sizeof(buf), &len);
	ok(r == 0 && len == SERIAL_LEN && memcmp(buf, s, len) == 0,
	    "openssl x509 -serial form round trip (%s)", upper);
	BIO_free(bio);
	ASN1_INTEGER_free(a);
	free(hex);
}

int
main(void)
{
	plan(5 + 9 + 14 + 21 + 4);
	test_new();
	test_asn1();
	test_parse();
	return done();
}
