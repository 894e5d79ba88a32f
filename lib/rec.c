#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

/*
 * Four 7-bit groups: a field is at most 2^28 - 1 bytes, far beyond any
 * record the store keeps, and a reader never has to guess how long a
 * length may be.
 */
#define REC_VARINT_MAX		4
#define REC_LEN_MAX		((1UL << (7 * REC_VARINT_MAX)) - 1)

static void
rec_oom(void)
{
	fprintf(stderr, "out of memory\n");
	abort();
}

static void
rec_grow(struct rec_buf *rb, size_t need)
{
	unsigned char	*p;
	size_t		 cap;

	if (need <= rb->cap - rb->len)
		return;
	if (need > SIZE_MAX / 2 - rb->len)
		rec_oom();
	cap = rb->cap ? rb->cap : 64;
	while (cap - rb->len < need)
		cap *= 2;
	if ((p = realloc(rb->data, cap)) == NULL)
		rec_oom();
	rb->data = p;
	rb->cap = cap;
}

void
rec_init(struct rec_buf *rb, uint8_t type)
{
	rb->data = NULL;
	rb->len = rb->cap = 0;
	rec_grow(rb, 2);
	rb->data[rb->len++] = REC_VERSION;
	rb->data[rb->len++] = type;
}

void
rec_put_bytes(struct rec_buf *rb, uint8_t tag, const void *val, size_t len)
{
	size_t	 n;

	/* The caller's bug, not bad input: a record cannot say this length. */
	if (len > REC_LEN_MAX) {
		fprintf(stderr, "rec: field of %zu bytes is too long\n", len);
		abort();
	}
	rec_grow(rb, 1 + REC_VARINT_MAX + len);
	rb->data[rb->len++] = tag;
	n = len;
	do {
		rb->data[rb->len] = n & 0x7f;
		n >>= 7;
		if (n != 0)
			rb->data[rb->len] |= 0x80;
		rb->len++;
	} while (n != 0);
	if (len > 0)
		memcpy(rb->data + rb->len, val, len);
	rb->len += len;
}

void
rec_put_str(struct rec_buf *rb, uint8_t tag, const char *s)
{
	if (s != NULL)
		rec_put_bytes(rb, tag, s, strlen(s));
}

void
rec_put_u64(struct rec_buf *rb, uint8_t tag, uint64_t v)
{
	unsigned char	 b[8];
	int		 i;

	for (i = 7; i >= 0; i--) {
		b[i] = v & 0xff;
		v >>= 8;
	}
	rec_put_bytes(rb, tag, b, sizeof(b));
}

void
rec_put_i64(struct rec_buf *rb, uint8_t tag, int64_t v)
{
	rec_put_u64(rb, tag, (uint64_t)v);
}

void
rec_free(struct rec_buf *rb)
{
	if (rb == NULL)
		return;
	free(rb->data);
	rb->data = NULL;
	rb->len = rb->cap = 0;
}

int
rec_open(struct rec_reader *rr, const void *data, size_t len)
{
	const unsigned char	*p = data;

	rr->p = rr->end = NULL;
	rr->type = 0;
	if (p == NULL || len < 2)
		return -1;
	/* Version 0 was never written; a newer one may mean other things. */
	if (p[0] == 0 || p[0] > REC_VERSION)
		return -1;
	rr->type = p[1];
	rr->p = p + 2;
	rr->end = p + len;
	return 0;
}

int
rec_next(struct rec_reader *rr, struct rec_field *f)
{
	const unsigned char	*p = rr->p;
	size_t			 len = 0, left;
	int			 i;

	if (p == NULL || p > rr->end)
		return -1;
	if (p == rr->end)
		return 0;
	f->tag = *p++;
	for (i = 0; ; i++) {
		if (i == REC_VARINT_MAX || p == rr->end)
			return -1;
		len |= (size_t)(*p & 0x7f) << (7 * i);
		if ((*p++ & 0x80) == 0)
			break;
	}
	left = (size_t)(rr->end - p);
	if (len > left)
		return -1;
	f->val = p;
	f->len = len;
	/* Only a well-formed field moves on: an error stays an error. */
	rr->p = p + len;
	return 1;
}

int
rec_get_u64(const struct rec_field *f, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (f->len != 8)
		return -1;
	for (i = 0; i < 8; i++)
		v = v << 8 | f->val[i];
	*out = v;
	return 0;
}

int
rec_get_i64(const struct rec_field *f, int64_t *out)
{
	uint64_t	 v;

	if (rec_get_u64(f, &v) == -1)
		return -1;
	/* Two's complement on every platform pica runs on. */
	*out = (int64_t)v;
	return 0;
}

int
rec_get_str(const struct rec_field *f, char **out)
{
	char	*s;

	*out = NULL;
	if (f->len > 0 && memchr(f->val, '\0', f->len) != NULL)
		return -1;
	if ((s = malloc(f->len + 1)) == NULL)
		rec_oom();
	if (f->len > 0)
		memcpy(s, f->val, f->len);
	s[f->len] = '\0';
	*out = s;
	return 0;
}

int
rec_find(const void *data, size_t len, uint8_t tag, struct rec_field *out)
{
	struct rec_reader	 rr;
	struct rec_field	 f;
	int			 r;

	if (rec_open(&rr, data, len) == -1)
		return -1;
	while ((r = rec_next(&rr, &f)) == 1) {
		if (f.tag == tag) {
			*out = f;
			return 1;
		}
	}
	return r;
}
