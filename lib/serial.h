/*
 * serial.h: certificate serial numbers.
 *
 * A serial is handled as its big-endian magnitude without leading zero
 * bytes (the store's key, what `pica list` prints in lower-case hex).
 */
#ifndef PICA_SERIAL_H
#define PICA_SERIAL_H

#include <stddef.h>

#include <openssl/asn1.h>

#define SERIAL_LEN	20

/*
 * A new random serial: SERIAL_LEN bytes from RAND_priv_bytes, positive with
 * a non-zero first byte (a DER INTEGER of exactly 20 content bytes, 159
 * random bits); -1 on RNG failure.
 */
int		 serial_new(unsigned char serial[SERIAL_LEN]);

/* A new ASN1_INTEGER for the len (>= 1) bytes at s; NULL on failure. */
ASN1_INTEGER	*serial_to_asn1(const unsigned char *s, size_t len);

/*
 * The magnitude of a non-negative ASN1_INTEGER, without leading zero bytes
 * (zero is one 0x00 byte), into at most max bytes; -1 if negative or too
 * long.
 */
int		 serial_from_asn1(const ASN1_INTEGER *a, unsigned char *buf,
		    size_t max, size_t *len);

/*
 * Parse a serial as typed on the command line, in hexadecimal of any case:
 * plain ("3f9a...", what `pica list` prints; an odd digit count gets a
 * leading 0), colon-separated byte pairs ("3f:9a:...", `openssl x509
 * -text`), with an optional "0x" or "serial=" (`openssl x509 -serial`)
 * prefix.  Decimal is not accepted.  Leading zero bytes are dropped, as in
 * serial_from_asn1; -1 on junk or more than max bytes.
 */
int		 serial_parse(const char *text, unsigned char *buf, size_t max,
		    size_t *len);

#endif
