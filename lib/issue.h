/*
 * issue.h: turn a request (a CSR, or a key and names) into a certificate,
 * committed to the store before anyone sees it.
 */
#ifndef PICA_ISSUE_H
#define PICA_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "err.h"

struct ca;
struct store;

struct issue_req {
	X509_REQ	*csr;		/* optional: names and key from it */
	EVP_PKEY	*pubkey;	/* the key to certify; NULL: the CSR's */
	const char	*common_name;	/* NULL: the CSR's */
	char *const	*sans;		/* "DNS:x", "IP:y", ...; NULL: the CSR's */
	size_t		 n_sans;
	const char	*profile;	/* NULL: the default profile */
	const char	*template_path;	/* a template file instead of a profile */
	int64_t		 not_before;	/* 0: now less authority.backdate */
	int64_t		 not_after;	/* 0: not_before + lifetime */
	int64_t		 lifetime;	/* 0: defaultTLSCertDuration */
	const char	*account;	/* ACME account id, or NULL */
	const char	*order;		/* ACME order id, or NULL */
	int		 ca_own;	/* the CA's own (OCSP responder): a
					   subject without names is fine */
};

/*
 * Check the request against the key rules, the name policy and the
 * claims, build the certificate from its profile, sign it with the CA's
 * key and commit it to the store.  *out is the certificate, already in
 * the store; on error nothing was stored.  Error classes: PICA_E_BADCSR,
 * PICA_E_BADPUBKEY, PICA_E_REJECTED, PICA_E_PROFILE, PICA_E_USAGE (bad
 * validity), PICA_E_CONFIG (template), PICA_E_INTERNAL.
 */
int	 issue_cert(struct ca *, struct store *, const struct issue_req *,
	    X509 **out, struct pica_err *);

/* Check one "TYPE:value" name against syntax and policy. */
int	 issue_check_name(const struct ca *, const char *name,
	    struct pica_err *);

/*
 * Give an untyped name from the command line its type: an IP address
 * becomes "IP:addr", one with '@' "email:", one with "://" "URI:", any
 * other "DNS:".  A name already typed is copied.  -1 when buf is short.
 */
int	 issue_typed_name(const char *name, char *buf, size_t len);

#endif
