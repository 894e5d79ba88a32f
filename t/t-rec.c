#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "../lib/rec.h"

/* A copy of exactly len bytes, so that the sanitizer sees any overread. */
static unsigned char *
dup_exact(const void *p, size_t len)
{
	unsigned char	*q;

	if ((q = malloc(len ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(q, p, len);
	return q;
}

/* Walk a record: the number of fields, or -1 when malformed. */
static int
count_fields(const void *data, size_t len)
{
	struct rec_reader	 rr;
	struct rec_field	 f;
	int			 n = 0, r;

	if (rec_open(&rr, data, len) == -1)
		return -1;
	while ((r = rec_next(&rr, &f)) == 1)
		n++;
	return r == -1 ? -1 : n;
}

static int
parse_raw(const unsigned char *raw, size_t len)
{
	unsigned char	*p = dup_exact(raw, len);
	int		 n;

	n = count_fields(p, len);
	free(p);
	return n;
}

static void
test_round_trip(void)
{
	struct rec_buf		 rb;
	struct rec_reader	 rr;
	struct rec_field	 f;
	unsigned char		 big[20000];
	char			*s = NULL;
	uint64_t		 u;
	int64_t			 i;
	size_t			 k;

	for (k = 0; k < sizeof(big); k++)
		big[k] = (unsigned char)(k * 7);
	rec_init(&rb, 42);
	rec_put_u64(&rb, 1, UINT64_MAX);
	rec_put_u64(&rb, 2, 0x0102030405060708ULL);
	rec_put_i64(&rb, 3, -1);
	rec_put_i64(&rb, 4, INT64_MIN);
	rec_put_i64(&rb, 5, INT64_MAX);
	rec_put_str(&rb, 6, "hello");
	rec_put_str(&rb, 7, NULL);		/* skipped */
	rec_put_str(&rb, 8, "");
	rec_put_bytes(&rb, 9, big, 200);	/* two-byte length */
	rec_put_bytes(&rb, 10, big, sizeof(big));	/* three bytes */
	rec_put_bytes(&rb, 11, NULL, 0);
	rec_put_i64(&rb, 255, 1234567);

	is_int(rb.data[0], REC_VERSION, "version byte first");
	is_int(rb.data[1], 42, "type byte second");
	ok(rec_open(&rr, rb.data, rb.len) == 0, "open");
	is_int(rr.type, 42, "type read back");

	ok(rec_next(&rr, &f) == 1 && f.tag == 1 && rec_get_u64(&f, &u) == 0 &&
	    u == UINT64_MAX, "u64 max");
	ok(rec_next(&rr, &f) == 1 && f.tag == 2 && f.len == 8 &&
	    memcmp(f.val, "\1\2\3\4\5\6\7\10", 8) == 0 &&
	    rec_get_u64(&f, &u) == 0 && u == 0x0102030405060708ULL,
	    "u64 is big-endian");
	ok(rec_next(&rr, &f) == 1 && f.tag == 3 && rec_get_i64(&f, &i) == 0 &&
	    i == -1, "i64 -1");
	ok(rec_next(&rr, &f) == 1 && f.tag == 4 && rec_get_i64(&f, &i) == 0 &&
	    i == INT64_MIN, "i64 min");
	ok(rec_next(&rr, &f) == 1 && f.tag == 5 && rec_get_i64(&f, &i) == 0 &&
	    i == INT64_MAX, "i64 max");
	ok(rec_next(&rr, &f) == 1 && f.tag == 6 && rec_get_str(&f, &s) == 0,
	    "string");
	is_str(s, "hello", "string value");
	free(s);
	s = NULL;
	ok(rec_next(&rr, &f) == 1 && f.tag == 8 && f.len == 0 &&
	    rec_get_str(&f, &s) == 0, "NULL string skipped, empty one kept");
	is_str(s, "", "empty string value");
	free(s);
	s = NULL;
	ok(rec_next(&rr, &f) == 1 && f.tag == 9 && f.len == 200 &&
	    memcmp(f.val, big, 200) == 0, "200 bytes");
	ok(rec_next(&rr, &f) == 1 && f.tag == 10 && f.len == sizeof(big) &&
	    memcmp(f.val, big, sizeof(big)) == 0, "20000 bytes");
	ok(rec_next(&rr, &f) == 1 && f.tag == 11 && f.len == 0,
	    "empty bytes");
	ok(rec_next(&rr, &f) == 1 && f.tag == 255 &&
	    rec_get_i64(&f, &i) == 0 && i == 1234567, "tag 255");
	is_int(rec_next(&rr, &f), 0, "end of record");
	is_int(rec_next(&rr, &f), 0, "end stays the end");

	ok(rec_find(rb.data, rb.len, 10, &f) == 1 && f.len == sizeof(big),
	    "find a field");
	is_int(rec_find(rb.data, rb.len, 12, &f), 0, "find a missing field");
	rec_free(&rb);
	ok(rb.data == NULL && rb.len == 0, "free clears");
}

static void
test_unknown_tags(void)
{
	struct rec_buf		 rb;
	struct rec_reader	 rr;
	struct rec_field	 f;
	int64_t			 v = 0;
	int			 r, got = 0;

	/* A newer writer's record: fields this reader knows nothing of. */
	rec_init(&rb, 1);
	rec_put_str(&rb, 200, "from the future");
	rec_put_i64(&rb, 3, 77);
	rec_put_bytes(&rb, 201, "\0\0\0", 3);
	ok(rec_open(&rr, rb.data, rb.len) == 0, "open newer-field record");
	while ((r = rec_next(&rr, &f)) == 1) {
		switch (f.tag) {
		case 3:
			got = rec_get_i64(&f, &v) == 0;
			break;
		default:
			break;
		}
	}
	ok(r == 0 && got && v == 77, "unknown tags skipped");
	ok(rec_find(rb.data, rb.len, 3, &f) == 1 && rec_get_i64(&f, &v) == 0 &&
	    v == 77, "find past unknown tags");
	rec_free(&rb);
}

static void
test_prefixes(void)
{
	struct rec_buf	 rb;
	unsigned char	 blob[300];
	size_t		 bounds[8], nb = 0, len, k;
	int		 bad = 0, want, got;

	rec_init(&rb, 7);
	bounds[nb++] = rb.len;
	rec_put_u64(&rb, 1, 5);
	bounds[nb++] = rb.len;
	rec_put_str(&rb, 2, "a string of some length");
	bounds[nb++] = rb.len;
	memset(blob, 0xab, sizeof(blob));
	rec_put_bytes(&rb, 3, blob, sizeof(blob));
	bounds[nb++] = rb.len;
	rec_put_bytes(&rb, 4, "", 0);
	bounds[nb++] = rb.len;

	/*
	 * Every prefix: one ending on a field boundary is a shorter valid
	 * record, any other is refused, and none is read past its end.
	 */
	for (len = 0; len <= rb.len; len++) {
		want = -1;
		for (k = 0; k < nb; k++)
			if (bounds[k] == len)
				want = (int)k;
		got = parse_raw(rb.data, len);
		if (got != want) {
			diag("prefix %zu: got %d, want %d", len, got, want);
			bad++;
		}
	}
	ok(bad == 0, "all %zu prefixes handled", rb.len + 1);
	is_int(parse_raw(rb.data, rb.len), 4, "whole record has 4 fields");
	rec_free(&rb);
}

static void
test_corrupt(void)
{
	struct rec_reader	 rr;
	struct rec_field	 f;
	char			*s = (char *)"x";
	uint64_t		 u;
	/* Length in five bytes: refused even though the bytes are there. */
	static const unsigned char varint5[] = { 1, 1, 9,
	    0x81, 0x80, 0x80, 0x80, 0x00, 'a' };
	/* Four bytes, all with the continuation bit. */
	static const unsigned char varint4c[] = { 1, 1, 9,
	    0x81, 0x80, 0x80, 0x80 };
	/* The largest four-byte length, with far fewer bytes behind it. */
	static const unsigned char varintmax[] = { 1, 1, 9,
	    0xff, 0xff, 0xff, 0x7f, 'a', 'b' };
	static const unsigned char pastend[] = { 1, 1, 9, 5, 'a', 'b' };
	static const unsigned char nolen[] = { 1, 1, 9 };
	static const unsigned char v2[] = { 2, 1, 9, 1, 'a' };
	static const unsigned char v0[] = { 0, 1 };
	static const unsigned char ok4[] = { 1, 1, 9, 0x81, 0x80, 0x80, 0x00,
	    'a' };
	static const unsigned char nul[] = { 1, 1, 9, 3, 'a', 0, 'b' };
	static const unsigned char short8[] = { 1, 1, 9, 7,
	    1, 2, 3, 4, 5, 6, 7 };
	unsigned char		*p;

	is_int(parse_raw(varint5, sizeof(varint5)), -1, "5-byte varint");
	is_int(parse_raw(varint4c, sizeof(varint4c)), -1,
	    "varint continued past 4 bytes");
	is_int(parse_raw(varintmax, sizeof(varintmax)), -1,
	    "huge length past the end");
	is_int(parse_raw(pastend, sizeof(pastend)), -1, "length past the end");
	is_int(parse_raw(nolen, sizeof(nolen)), -1, "tag without length");
	is_int(parse_raw(v2, sizeof(v2)), -1, "version 2 refused");
	is_int(parse_raw(v0, sizeof(v0)), -1, "version 0 refused");
	is_int(parse_raw(v0, 1), -1, "one byte refused");
	is_int(parse_raw(v0, 0), -1, "empty buffer refused");
	ok(rec_open(&rr, NULL, 0) == -1, "NULL refused");
	/* A non-minimal varint within 4 bytes is still a length. */
	is_int(parse_raw(ok4, sizeof(ok4)), 1, "4-byte varint of 1");

	p = dup_exact(pastend, sizeof(pastend));
	ok(rec_open(&rr, p, sizeof(pastend)) == 0 &&
	    rec_next(&rr, &f) == -1 && rec_next(&rr, &f) == -1,
	    "an error stays an error");
	is_int(rec_find(p, sizeof(pastend), 3, &f), -1, "find in bad record");
	free(p);

	p = dup_exact(nul, sizeof(nul));
	ok(rec_open(&rr, p, sizeof(nul)) == 0 && rec_next(&rr, &f) == 1 &&
	    rec_get_str(&f, &s) == -1 && s == NULL, "string with NUL refused");
	free(p);

	p = dup_exact(short8, sizeof(short8));
	ok(rec_open(&rr, p, sizeof(short8)) == 0 && rec_next(&rr, &f) == 1 &&
	    rec_get_u64(&f, &u) == -1, "7-byte integer refused");
	free(p);
}

int
main(void)
{
	plan(42);
	test_round_trip();
	test_unknown_tags();
	test_prefixes();
	test_corrupt();
	return done();
}
