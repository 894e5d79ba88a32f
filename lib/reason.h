/*
 * reason.h: RFC 5280 CRLReason codes and their names.
 */
#ifndef PICA_REASON_H
#define PICA_REASON_H

/*
 * The code for a reason given as a number or a name ("keyCompromise",
 * "key-compromise", "keycompromise"); -1 when unknown or not one a CA
 * may use (7 is unassigned, removeFromCRL only means something in delta
 * CRLs, and pica does not put certificates on hold).
 */
int		 reason_parse(const char *);

/* Whether a CA may give code (the numbers reason_parse accepts). */
int		 reason_usable(int code);

/* The RFC 5280 name of a code ("unspecified" for unknown ones). */
const char	*reason_name(int code);

#endif
