/*
 * rec.h: the compact, versioned encoding of store records.
 *
 * A record is a version byte (REC_VERSION), a type byte, then fields:
 * tag (1 byte), length (LEB128 varint, at most 4 bytes), value.  Integers
 * are stored as 8-byte big-endian values.  Readers skip tags they do not
 * know, so a field can be added without rewriting old records; a record
 * whose version is newer than REC_VERSION is refused.
 */
#ifndef PICA_REC_H
#define PICA_REC_H

#include <stddef.h>
#include <stdint.h>

#define REC_VERSION	1

/* A record being written; grows as fields are added. */
struct rec_buf {
	unsigned char	*data;
	size_t		 len;
	size_t		 cap;
};

/* Start a record of type; every rec_put_* aborts only on ENOMEM. */
void	 rec_init(struct rec_buf *, uint8_t type);
void	 rec_put_bytes(struct rec_buf *, uint8_t tag, const void *, size_t);
void	 rec_put_str(struct rec_buf *, uint8_t tag, const char *);	/* NULL skipped */
void	 rec_put_u64(struct rec_buf *, uint8_t tag, uint64_t);
void	 rec_put_i64(struct rec_buf *, uint8_t tag, int64_t);
void	 rec_free(struct rec_buf *);

/* A field as read back: points into the record's buffer. */
struct rec_field {
	uint8_t			 tag;
	const unsigned char	*val;
	size_t			 len;
};

/* A record being read. */
struct rec_reader {
	const unsigned char	*p;
	const unsigned char	*end;
	uint8_t			 type;
};

/* Check version and header; -1 when malformed or too new. */
int	 rec_open(struct rec_reader *, const void *data, size_t len);

/* Next field: 1 when one was read, 0 at the end, -1 when malformed. */
int	 rec_next(struct rec_reader *, struct rec_field *);

/* Field value helpers; -1 when the length is wrong. */
int	 rec_get_u64(const struct rec_field *, uint64_t *);
int	 rec_get_i64(const struct rec_field *, int64_t *);
/* A new NUL-terminated copy; -1 when the value holds a NUL. */
int	 rec_get_str(const struct rec_field *, char **);

/* Find the first field with tag; 1 found, 0 not, -1 malformed. */
int	 rec_find(const void *data, size_t len, uint8_t tag, struct rec_field *);

#endif
