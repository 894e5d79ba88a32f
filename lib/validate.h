/*
 * validate.h: checking ACME challenges (RFC 8555 section 8, RFC 8737 for
 * tls-alpn-01, RFC 8738 for IP identifiers).
 *
 * Each returns 0 when the challenge is met, or -1 with err set to
 * PICA_E_CONNECTION, PICA_E_DNS, PICA_E_INCORRECT, PICA_E_TLS or
 * PICA_E_UNAUTHORIZED and a detail fit for the client to read.  Names
 * resolve through the system resolver (so /etc/hosts counts) unless
 * opts->resolver names a DNS server ("127.0.0.1:8053").  Every network
 * wait is bounded by opts->timeout.
 *
 * opts->resolver is an IPv4 address with an optional port; pica sends
 * its queries itself (UDP, TCP when truncated), so a server that sets
 * neither RA nor AA, like pebble-challtestsrv, works.  An https redirect
 * target's certificate is not verified, as with Let's Encrypt.  Redirect
 * refusals and too many redirects are PICA_E_CONNECTION; an answer other
 * than 200 PICA_E_UNAUTHORIZED; a wrong body, TXT value or acmeIdentifier
 * digest PICA_E_INCORRECT; a missing TXT record, a wrong SAN, a missing
 * or non-critical acmeIdentifier or no "acme-tls/1" PICA_E_UNAUTHORIZED.
 */
#ifndef PICA_VALIDATE_H
#define PICA_VALIDATE_H

#include "err.h"

struct validate_opts {
	int		 http_port;	/* acme.httpPort, default 80 */
	int		 tls_port;	/* acme.tlsPort, default 443 */
	const char	*resolver;	/* acme.resolver or NULL */
	int		 timeout;	/* seconds for each step, default 10 */
};

/*
 * http-01: GET http://ID:http_port/.well-known/acme-challenge/TOKEN must
 * answer 200 with key_authz (trailing whitespace ignored).  Redirects are
 * followed to http or https on ports 80 and 443 only, at most 10; the body
 * read is capped (8 KiB).  type is "dns" or "ip".
 */
int	 validate_http01(const struct validate_opts *, const char *type,
	    const char *id, const char *token, const char *key_authz,
	    struct pica_err *);

/*
 * dns-01: a TXT record at _acme-challenge.DOMAIN must hold
 * base64url(SHA-256(key_authz)).  domain has no "*." prefix.
 */
int	 validate_dns01(const struct validate_opts *, const char *domain,
	    const char *key_authz, struct pica_err *);

/*
 * tls-alpn-01: a TLS connection to ID:tls_port offering only ALPN
 * "acme-tls/1" (SNI ID, or the reverse-DNS name for an IP) must get a
 * self-signed certificate whose only SAN is ID and whose critical
 * acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holds
 * SHA-256(key_authz).
 */
int	 validate_tlsalpn01(const struct validate_opts *, const char *type,
	    const char *id, const char *key_authz, struct pica_err *);

#endif
