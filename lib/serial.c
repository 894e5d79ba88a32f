#include "config.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/rand.h>

#include "serial.h"
#include "util.h"

/* Draws before giving up on an RNG that keeps returning a zero byte. */
#define SERIAL_TRIES	16

int
serial_new(unsigned char serial[SERIAL_LEN])
{
	int	 rc = -1, i;

	for (i = 0; i < SERIAL_TRIES; i++) {
		if (RAND_priv_bytes(serial, SERIAL_LEN) != 1)
			goto out;
		serial[0] &= 0x7f;
		if (serial[0] != 0)
			break;
	}
	if (i == SERIAL_TRIES)
		goto out;
	rc = 0;
out:
	return rc;
}

ASN1_INTEGER *
serial_to_asn1(const unsigned char *s, size_t len)
{
	ASN1_INTEGER	*a = NULL;
	BIGNUM		*bn = NULL;

	if (len == 0 || len > INT_MAX)
		goto out;
	if ((bn = BN_bin2bn(s, (int)len, NULL)) == NULL)
		goto out;
	a = BN_to_ASN1_INTEGER(bn, NULL);
out:
	BN_free(bn);
	return a;
}

int
serial_from_asn1(const ASN1_INTEGER *a, unsigned char *buf, size_t max,
    size_t *len)
{
	int			 rc = -1;
	const unsigned char	*d;
	size_t			 n;

	if (a == NULL || ASN1_STRING_type(a) != V_ASN1_INTEGER)
		goto out;
	d = ASN1_STRING_get0_data(a);
	n = (size_t)ASN1_STRING_length(a);
	while (n > 0 && d[0] == 0) {
		d++;
		n--;
	}
	if (n == 0) {
		if (max < 1)
			goto out;
		buf[0] = 0;
		*len = 1;
	} else {
		if (n > max)
			goto out;
		memcpy(buf, d, n);
		*len = n;
	}
	rc = 0;
out:
	return rc;
}


/*
 * Whether s is all hex digits, or byte pairs separated by single colons;
 * *ndig is set to the number of digits.
 */
static int
hex_syntax(const char *s, size_t *ndig)
{
	int		 rc = -1;
	size_t		 n = 0;
	const char	*p;

	if (strchr(s, ':') == NULL) {
		for (p = s; *p != '\0'; p++, n++)
			if (util_hexval(*p) < 0)
				goto out;
	} else {
		for (p = s; ; p += 3, n += 2) {
			if (util_hexval(p[0]) < 0 || util_hexval(p[1]) < 0)
				goto out;
			if (p[2] == '\0')
				break;
			if (p[2] != ':')
				goto out;
		}
		n += 2;
	}
	if (n == 0)
		goto out;
	*ndig = n;
	rc = 0;
out:
	return rc;
}

int
serial_parse(const char *text, unsigned char *buf, size_t max, size_t *len)
{
	int		 rc = -1, half;
	size_t		 ndig, sig, nbytes, b;
	const char	*p;

	if (strncasecmp(text, "serial=", 7) == 0)
		text += 7;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		text += 2;
	if (hex_syntax(text, &ndig) == -1)
		goto out;
	/* Skip leading zero digits; sig digits remain. */
	for (p = text, sig = ndig; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (*p != '0')
			break;
		sig--;
	}
	nbytes = sig == 0 ? 1 : (sig + 1) / 2;	/* zero is one 0x00 byte */
	if (nbytes > max)
		goto out;
	buf[0] = 0;
	b = 0;
	half = (int)(sig % 2);
	for (; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (!half)
			buf[b] = (unsigned char)(util_hexval(*p) << 4);
		else
			buf[b++] |= (unsigned char)util_hexval(*p);
		half = !half;
	}
	*len = nbytes;
	rc = 0;
out:
	return rc;
}
