/*
 * policy.h: which names the CA issues for (authority.policy in pica.json,
 * step-ca's x509 allow/deny policy).
 *
 * Deny rules win over allow rules.  With no allow rule of a kind, every
 * name of that kind not denied is allowed; with at least one, a name must
 * match one.  DNS rules: "example.com" matches exactly that name,
 * "*.example.com" (or ".example.com") any name below example.com.  IP rules:
 * an address or a CIDR range, IPv4 or IPv6.  Names compare case-insensitively.
 */
#ifndef PICA_POLICY_H
#define PICA_POLICY_H

#include <stddef.h>

#include "err.h"

struct policy;

/* A new, empty policy (allows everything, wildcards included). */
struct policy	*policy_new(void);
void		 policy_free(struct policy *);

/* Add a rule; -1 with err naming the bad rule when it does not parse. */
int	 policy_allow_dns(struct policy *, const char *rule, struct pica_err *);
int	 policy_deny_dns(struct policy *, const char *rule, struct pica_err *);
int	 policy_allow_ip(struct policy *, const char *cidr, struct pica_err *);
int	 policy_deny_ip(struct policy *, const char *cidr, struct pica_err *);

/* Whether "*.name" SANs may be issued at all (step-ca allowWildcardNames). */
void	 policy_set_wildcards(struct policy *, int allowed);

/*
 * Check one DNS name (which must also be a syntactically valid host name:
 * LDH labels of 1..63, total <= 253, optional leading "*." label).
 * 0 when allowed; -1 with PICA_E_REJECTED (or PICA_E_USAGE for a malformed
 * name) and a message naming the name and the rule that refused it.
 */
int	 policy_check_dns(const struct policy *, const char *name,
	    struct pica_err *);

/* Check one IP address in text form (IPv4 or IPv6). */
int	 policy_check_ip(const struct policy *, const char *ip,
	    struct pica_err *);

#endif
