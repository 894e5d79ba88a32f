#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

/*
 * Matching rules.
 *
 * A DNS rule is either exact ("example.com": that name only) or a subtree
 * ("*.example.com" or ".example.com": every name strictly below
 * example.com, at any depth, but not example.com itself).
 *
 * A wildcard SAN "*.B" stands for the set of names "x.B", x any one label
 * (RFC 6125: the wildcard covers exactly one label).  It is
 *  - allowed when every name of that set is allowed: only a subtree rule
 *    can cover the set, and one does when B is the rule's domain or below
 *    it ("*.a.example.com" and "*.example.com" are allowed by
 *    "*.example.com"; nothing is allowed by an exact rule);
 *  - denied when any name of that set is denied: by a subtree rule whose
 *    domain is B or above B (as for allow), and by an exact rule "x.B"
 *    ("*.example.com" is denied by "bad.example.com", but not by
 *    "example.com" nor by "a.b.example.com").
 * Wildcard SANs are refused outright after policy_set_wildcards(p, 0).
 *
 * IP rules follow Go's net.IPNet: an IPv4-mapped IPv6 address
 * (::ffff:10.0.0.1) is checked as the IPv4 address it maps, a rule
 * written as a mapped range with a prefix of 96 or more
 * (::ffff:10.0.0.0/104) is the IPv4 range 10.0.0.0/8, and IPv6 rules
 * never match IPv4 addresses (a deny rule "::/0" leaves IPv4 alone).
 * Host bits of a range are ignored ("10.1.2.3/8" is 10.0.0.0/8).
 *
 * "With no allow rule of a kind": the kinds are DNS and IP; an allow rule
 * for IPv6 alone makes every IPv4 address not allowed.
 */

#define POLICY_MAX_RULES	256
#define DNS_MAX			253
#define LABEL_MAX		63
#define QUOTE_MAX		104	/* bytes of a name shown in a message */
#define LIST_MAX		256	/* characters of the allowed list */

struct dns_rule {
	char	*text;		/* as written, for messages */
	char	*domain;	/* lower case, without "*." or "." */
	int	 subtree;
};

struct ip_rule {
	char		*text;
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* masked network address */
	unsigned int	 prefix;
};

struct dns_rules {
	struct dns_rule	 r[POLICY_MAX_RULES];
	size_t		 n;
};

struct ip_rules {
	struct ip_rule	 r[POLICY_MAX_RULES];
	size_t		 n;
};

struct policy {
	struct dns_rules	 dns_allow, dns_deny;
	struct ip_rules		 ip_allow, ip_deny;
	int			 wildcards;
};

/* A name as it may be shown: printable ASCII, the rest \xNN, bounded. */
static void
quote(const char *s, char *buf, size_t len)
{
	size_t		 o = 0;
	unsigned char	 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (o + 4 + 4 > len) {
			snprintf(buf + o, len - o, "...");
			return;
		}
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = '\0';
}

static int
ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * Check host name syntax and copy it in lower case into out (DNS_MAX + 1
 * bytes).  *wild is set for a leading "*." label, which is kept in out.
 * Sets err (code, naming what and shown) on a malformed name.
 */
static int
dns_syntax(const char *name, const char *shown, char *out, int *wild,
    enum pica_errc code, const char *what, struct pica_err *err)
{
	int		 rc = -1;
	char		 q[QUOTE_MAX];
	const char	*p, *label;
	size_t		 len, i, n;
	struct in_addr	 a4;

	quote(shown, q, sizeof(q));
	*wild = 0;
	len = strlen(name);
	if (len == 0) {
		if (*shown != '\0')
			pica_err_set(err, code, "%s \"%s\": no domain", what, q);
		else
			pica_err_set(err, code, "empty %s", what);
		goto out;
	}
	if (len > DNS_MAX) {
		pica_err_set(err, code, "%s \"%s\": longer than %d characters",
		    what, q, DNS_MAX);
		goto out;
	}
	p = name;
	if (p[0] == '*' && p[1] == '.') {
		*wild = 1;
		p += 2;
	}
	if (*p == '\0') {
		pica_err_set(err, code, "%s \"%s\": no domain after the "
		    "wildcard", what, q);
		goto out;
	}
	for (label = p; ; p++) {
		if (*p != '.' && *p != '\0') {
			if (*p == '*') {
				pica_err_set(err, code, "%s \"%s\": a wildcard "
				    "may only be the whole first label", what, q);
				goto out;
			}
			if (!ldh(*p)) {
				pica_err_set(err, code, "%s \"%s\": only letters, "
				    "digits, '-' and '.' may appear in a host "
				    "name", what, q);
				goto out;
			}
			continue;
		}
		n = (size_t)(p - label);
		if (n == 0) {
			pica_err_set(err, code, "%s \"%s\": %s", what, q,
			    *p == '\0' ? "trailing dot not allowed" :
			    "empty label");
			goto out;
		}
		if (n > LABEL_MAX) {
			pica_err_set(err, code, "%s \"%s\": label longer than "
			    "%d characters", what, q, LABEL_MAX);
			goto out;
		}
		if (label[0] == '-' || p[-1] == '-') {
			pica_err_set(err, code, "%s \"%s\": label \"%.*s\" "
			    "starts or ends with '-'", what, q, (int)n, label);
			goto out;
		}
		if (*p == '\0')
			break;
		label = p + 1;
	}
	if (!*wild && inet_pton(AF_INET, name, &a4) == 1) {
		pica_err_set(err, code, "%s \"%s\": an IP address, not a host "
		    "name", what, q);
		goto out;
	}
	for (i = 0; i <= len; i++)
		out[i] = (name[i] >= 'A' && name[i] <= 'Z') ?
		    (char)(name[i] - 'A' + 'a') : name[i];
	rc = 0;
out:
	return rc;
}

/* name is strictly below dom (both lower case). */
static int
below(const char *name, const char *dom)
{
	size_t	 n = strlen(name), d = strlen(dom);

	return n > d + 1 && name[n - d - 1] == '.' &&
	    strcmp(name + n - d, dom) == 0;
}

/* name is dom or below it. */
static int
at_or_below(const char *name, const char *dom)
{
	return strcmp(name, dom) == 0 || below(name, dom);
}

/* name is "x.dom" for one label x. */
static int
child(const char *name, const char *dom)
{
	size_t	 n = strlen(name), d = strlen(dom);

	return below(name, dom) && memchr(name, '.', n - d - 1) == NULL;
}

/* Every name lc (lower case, maybe "*.B") stands for matches the rule. */
static int
dns_covers(const struct dns_rule *r, const char *lc, int wild)
{
	if (!wild)
		return r->subtree ? below(lc, r->domain) :
		    strcmp(lc, r->domain) == 0;
	return r->subtree && at_or_below(lc + 2, r->domain);
}

/* Some name lc stands for matches the rule. */
static int
dns_touches(const struct dns_rule *r, const char *lc, int wild)
{
	if (!wild)
		return dns_covers(r, lc, wild);
	return r->subtree ? at_or_below(lc + 2, r->domain) :
	    child(r->domain, lc + 2);
}

/*
 * Append rule text t (the i-th of n) to the list in buf ("a, b, c, ... and
 * 4 more"), o bytes used; 0 when the list is full and was closed.
 */
static int
list_add(char *buf, size_t len, size_t *o, const char *t, size_t i, size_t n)
{
	size_t	 tl = strlen(t);

	if (*o + tl + 2 > LIST_MAX || *o + tl + 32 > len) {
		snprintf(buf + *o, len - *o, "%s... and %zu more",
		    i ? ", " : "", n - i);
		return 0;
	}
	*o += (size_t)snprintf(buf + *o, len - *o, "%s%s", i ? ", " : "", t);
	return 1;
}

static void
dns_list(const struct dns_rules *rs, char *buf, size_t len)
{
	size_t	 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < rs->n; i++)
		if (!list_add(buf, len, &o, rs->r[i].text, i, rs->n))
			break;
}

static void
ip_list(const struct ip_rules *rs, char *buf, size_t len)
{
	size_t	 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < rs->n; i++)
		if (!list_add(buf, len, &o, rs->r[i].text, i, rs->n))
			break;
}

struct policy *
policy_new(void)
{
	struct policy	*p;

	p = xcalloc(1, sizeof(*p));
	p->wildcards = 1;
	return p;
}

void
policy_free(struct policy *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->dns_allow.n; i++) {
		free(p->dns_allow.r[i].text);
		free(p->dns_allow.r[i].domain);
	}
	for (i = 0; i < p->dns_deny.n; i++) {
		free(p->dns_deny.r[i].text);
		free(p->dns_deny.r[i].domain);
	}
	for (i = 0; i < p->ip_allow.n; i++)
		free(p->ip_allow.r[i].text);
	for (i = 0; i < p->ip_deny.n; i++)
		free(p->ip_deny.r[i].text);
	free(p);
}

static int
dns_add(struct dns_rules *rs, const char *kind, const char *rule,
    struct pica_err *err)
{
	int		 rc = -1, wild;
	char		 lc[DNS_MAX + 1], q[QUOTE_MAX];
	const char	*dom = rule;
	struct dns_rule	*r;

	quote(rule, q, sizeof(q));
	if (rs->n == POLICY_MAX_RULES) {
		pica_err_set(err, PICA_E_CONFIG, "policy rule \"%s\": more "
		    "than %d %s DNS rules", q, POLICY_MAX_RULES, kind);
		goto out;
	}
	if (dom[0] == '.')
		dom++;
	if (dns_syntax(dom, rule, lc, &wild, PICA_E_CONFIG, "DNS policy rule",
	    err) == -1)
		goto out;
	if (dom != rule && wild) {
		pica_err_set(err, PICA_E_CONFIG, "DNS policy rule \"%s\": "
		    "a wildcard may only be the whole first label", q);
		goto out;
	}
	r = &rs->r[rs->n++];
	r->text = xstrdup(rule);
	r->domain = xstrdup(wild ? lc + 2 : lc);
	r->subtree = (dom != rule || wild);
	rc = 0;
out:
	return rc;
}

int
policy_allow_dns(struct policy *p, const char *rule, struct pica_err *err)
{
	return dns_add(&p->dns_allow, "allow", rule, err);
}

int
policy_deny_dns(struct policy *p, const char *rule, struct pica_err *err)
{
	return dns_add(&p->dns_deny, "deny", rule, err);
}

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Parse an address; a mapped IPv6 address becomes IPv4. */
static int
ip_parse(const char *s, int *af, unsigned char addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*af = AF_INET6;
		return 0;
	}
	return -1;
}

static void
ip_mask(unsigned char addr[16], unsigned int prefix)
{
	unsigned int	 i;

	for (i = 0; i < 16; i++) {
		if (prefix >= 8)
			prefix -= 8;
		else {
			addr[i] &= (unsigned char)(0xff00 >> prefix);
			prefix = 0;
		}
	}
}

static int
ip_add(struct ip_rules *rs, const char *kind, const char *cidr,
    struct pica_err *err)
{
	int		 rc = -1, af;
	char		 a[INET6_ADDRSTRLEN + 1], q[QUOTE_MAX];
	const char	*slash, *d;
	size_t		 alen;
	unsigned int	 prefix, max;
	unsigned char	 addr[16];
	struct ip_rule	*r;

	quote(cidr, q, sizeof(q));
	if (rs->n == POLICY_MAX_RULES) {
		pica_err_set(err, PICA_E_CONFIG, "policy rule \"%s\": more "
		    "than %d %s IP rules", q, POLICY_MAX_RULES, kind);
		goto out;
	}
	slash = strchr(cidr, '/');
	alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	if (alen >= sizeof(a)) {
		pica_err_set(err, PICA_E_CONFIG, "IP policy rule \"%s\": not an "
		    "IP address or CIDR range", q);
		goto out;
	}
	memcpy(a, cidr, alen);
	a[alen] = '\0';
	if (ip_parse(a, &af, addr) == -1) {
		pica_err_set(err, PICA_E_CONFIG, "IP policy rule \"%s\": not an "
		    "IP address or CIDR range", q);
		goto out;
	}
	max = af == AF_INET ? 32 : 128;
	prefix = max;
	if (slash != NULL) {
		d = slash + 1;
		if (*d == '\0' || strlen(d) > 3 || (d[0] == '0' && d[1] != '\0'))
			goto badprefix;
		for (prefix = 0; *d != '\0'; d++) {
			if (*d < '0' || *d > '9')
				goto badprefix;
			prefix = prefix * 10 + (unsigned int)(*d - '0');
		}
		if (prefix > max)
			goto badprefix;
	}
	ip_mask(addr, prefix);
	if (af == AF_INET6 && prefix >= 96 &&
	    memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		af = AF_INET;
		prefix -= 96;
	}
	r = &rs->r[rs->n++];
	r->text = xstrdup(cidr);
	r->af = af;
	memcpy(r->addr, addr, sizeof(r->addr));
	r->prefix = prefix;
	rc = 0;
	goto out;
badprefix:
	pica_err_set(err, PICA_E_CONFIG, "IP policy rule \"%s\": prefix "
	    "length must be 0 to %u", q, max);
out:
	return rc;
}

int
policy_allow_ip(struct policy *p, const char *cidr, struct pica_err *err)
{
	return ip_add(&p->ip_allow, "allow", cidr, err);
}

int
policy_deny_ip(struct policy *p, const char *cidr, struct pica_err *err)
{
	return ip_add(&p->ip_deny, "deny", cidr, err);
}

void
policy_set_wildcards(struct policy *p, int allowed)
{
	p->wildcards = allowed != 0;
}

int
policy_check_dns(const struct policy *p, const char *name,
    struct pica_err *err)
{
	int	 rc = -1, wild;
	char	 lc[DNS_MAX + 1], q[QUOTE_MAX], list[LIST_MAX + 32];
	size_t	 i;

	if (dns_syntax(name, name, lc, &wild, PICA_E_USAGE, "DNS name",
	    err) == -1)
		goto out;
	quote(name, q, sizeof(q));
	if (wild && !p->wildcards) {
		pica_err_set(err, PICA_E_REJECTED, "\"%s\": wildcard names are "
		    "not allowed by the policy", q);
		goto out;
	}
	for (i = 0; i < p->dns_deny.n; i++) {
		if (dns_touches(&p->dns_deny.r[i], lc, wild)) {
			pica_err_set(err, PICA_E_REJECTED, "\"%s\" is denied by "
			    "policy rule \"%s\"", q, p->dns_deny.r[i].text);
			goto out;
		}
	}
	if (p->dns_allow.n > 0) {
		for (i = 0; i < p->dns_allow.n; i++)
			if (dns_covers(&p->dns_allow.r[i], lc, wild))
				break;
		if (i == p->dns_allow.n) {
			dns_list(&p->dns_allow, list, sizeof(list));
			pica_err_set(err, PICA_E_REJECTED, "\"%s\" is not "
			    "allowed by the policy (allowed: %s)", q, list);
			goto out;
		}
	}
	rc = 0;
out:
	return rc;
}

static int
ip_match(const struct ip_rule *r, int af, const unsigned char addr[16])
{
	unsigned char	 a[16];

	if (r->af != af)
		return 0;
	memcpy(a, addr, sizeof(a));
	ip_mask(a, r->prefix);
	return memcmp(a, r->addr, sizeof(a)) == 0;
}

int
policy_check_ip(const struct policy *p, const char *ip, struct pica_err *err)
{
	int		 rc = -1, af;
	char		 q[QUOTE_MAX], list[LIST_MAX + 32];
	unsigned char	 addr[16];
	size_t		 i;

	quote(ip, q, sizeof(q));
	if (ip_parse(ip, &af, addr) == -1) {
		pica_err_set(err, PICA_E_USAGE, "\"%s\": not an IP address", q);
		goto out;
	}
	if (af == AF_INET6 && memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		af = AF_INET;
	}
	for (i = 0; i < p->ip_deny.n; i++) {
		if (ip_match(&p->ip_deny.r[i], af, addr)) {
			pica_err_set(err, PICA_E_REJECTED, "\"%s\" is denied by "
			    "policy rule \"%s\"", q, p->ip_deny.r[i].text);
			goto out;
		}
	}
	if (p->ip_allow.n > 0) {
		for (i = 0; i < p->ip_allow.n; i++)
			if (ip_match(&p->ip_allow.r[i], af, addr))
				break;
		if (i == p->ip_allow.n) {
			ip_list(&p->ip_allow, list, sizeof(list));
			pica_err_set(err, PICA_E_REJECTED, "\"%s\" is not "
			    "allowed by the policy (allowed: %s)", q, list);
			goto out;
		}
	}
	rc = 0;
out:
	return rc;
}
