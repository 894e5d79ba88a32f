#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "reason.h"

static const char *const reason_names[] = {
	"unspecified",			/* 0 */
	"keyCompromise",		/* 1 */
	"cACompromise",			/* 2 */
	"affiliationChanged",		/* 3 */
	"superseded",			/* 4 */
	"cessationOfOperation",		/* 5 */
	"certificateHold",		/* 6 */
	NULL,				/* 7: not assigned */
	"removeFromCRL",		/* 8 */
	"privilegeWithdrawn",		/* 9 */
	"aACompromise",			/* 10 */
};

#define REASON_MAX	10

int
reason_usable(int code)
{
	return code >= 0 && code <= REASON_MAX && code != 6 && code != 7 &&
	    code != 8;
}

/* Compare ignoring case and the '-' and '_' of kebab or snake spellings. */
static int
reason_same(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-' || *a == '_' || *a == ' ')
			a++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

int
reason_parse(const char *s)
{
	char	*end;
	long	 n;
	int	 i;

	if (s[0] >= '0' && s[0] <= '9') {
		n = strtol(s, &end, 10);
		if (*end != '\0' || n > REASON_MAX)
			return -1;
		return reason_usable((int)n) ? (int)n : -1;
	}
	for (i = 0; i <= REASON_MAX; i++)
		if (reason_names[i] != NULL && reason_same(s, reason_names[i]))
			return reason_usable(i) ? i : -1;
	return -1;
}

const char *
reason_name(int code)
{
	if (code < 0 || code > REASON_MAX || reason_names[code] == NULL)
		return "unspecified";
	return reason_names[code];
}
