/*
 * t-policy.c: DNS and IP allow/deny policy.
 */
#include "config.h"

#include "test.h"
#include "policy.h"

static struct pica_err	 err;

/* policy_check_dns gives want (0 or -1), and the error class code. */
static void
dns(const struct policy *p, const char *name, int want, enum pica_errc code)
{
	int	 r;

	pica_err_clear(&err);
	r = policy_check_dns(p, name, &err);
	if (want == 0)
		ok(r == 0, "dns \"%s\" allowed%s%s", name, r ? ": " : "",
		    r ? err.msg : "");
	else
		ok(r == -1 && err.code == code && err.msg[0] != '\0',
		    "dns \"%s\" refused (%s)", name, err.msg);
}

static void
ip(const struct policy *p, const char *addr, int want, enum pica_errc code)
{
	int	 r;

	pica_err_clear(&err);
	r = policy_check_ip(p, addr, &err);
	if (want == 0)
		ok(r == 0, "ip \"%s\" allowed%s%s", addr, r ? ": " : "",
		    r ? err.msg : "");
	else
		ok(r == -1 && err.code == code && err.msg[0] != '\0',
		    "ip \"%s\" refused (%s)", addr, err.msg);
}

static void
msg_has(const char *want)
{
	if (!ok(strstr(err.msg, want) != NULL, "message has '%s'", want))
		diag("message: %s", err.msg);
}

#define OK	0
#define NO	-1
#define REJ	PICA_E_REJECTED
#define BAD	PICA_E_USAGE

static void
test_syntax(void)
{
	struct policy	*p = policy_new();
	char		 name[400];
	int		 i;

	dns(p, "example.com", OK, 0);
	dns(p, "localhost", OK, 0);
	dns(p, "a-b.x1.example.com", OK, 0);
	dns(p, "xn--bcher-kva.example", OK, 0);
	dns(p, "*.example.com", OK, 0);
	dns(p, "*.com", OK, 0);
	dns(p, "", NO, BAD);
	dns(p, "a..b", NO, BAD);
	msg_has("empty label");
	dns(p, ".a.com", NO, BAD);
	dns(p, "-a.com", NO, BAD);
	msg_has("\"-a\"");
	dns(p, "a-.com", NO, BAD);
	dns(p, "a.com.", NO, BAD);
	msg_has("trailing dot");
	dns(p, "*.a.com.", NO, BAD);
	dns(p, "*.*.a.com", NO, BAD);
	dns(p, "a.*.com", NO, BAD);
	dns(p, "*a.com", NO, BAD);
	dns(p, "a*.com", NO, BAD);
	dns(p, "*", NO, BAD);
	dns(p, "*.", NO, BAD);
	dns(p, "under_score.com", NO, BAD);
	dns(p, "sp ace.com", NO, BAD);
	dns(p, "\xc3\xa9.com", NO, BAD);
	msg_has("\\xc3\\xa9.com");
	dns(p, "a\x7f.com", NO, BAD);
	dns(p, "a/b.com", NO, BAD);
	dns(p, "10.0.0.1", NO, BAD);
	msg_has("IP address");
	dns(p, "10.0.0.1.example.com", OK, 0);

	/* a 63-character label, then 64 */
	memset(name, 'a', 63);
	strcpy(name + 63, ".com");
	dns(p, name, OK, 0);
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	dns(p, name, NO, BAD);
	msg_has("label longer than 63");

	/* 253 characters in all, then 254 */
	for (i = 0; i < 4; i++) {
		memset(name + i * 64, 'b', 63);
		name[i * 64 + 63] = '.';
	}
	name[253] = '\0';	/* 3 x 64 + 61 */
	name[252] = 'c';
	is_int(strlen(name), 253, "253-character name built");
	dns(p, name, OK, 0);
	name[253] = 'd';
	name[254] = '\0';
	dns(p, name, NO, BAD);
	msg_has("longer than 253");
	is_int(strlen(err.msg) < 250, 1, "long name shown truncated");
	policy_free(p);
}

static void
test_dns(void)
{
	struct policy	*p = policy_new();

	/* no rules: everything goes */
	dns(p, "anything.example.org", OK, 0);
	dns(p, "*.anything.example.org", OK, 0);

	ok(policy_allow_dns(p, "*.example.com", &err) == 0, "allow *.example.com");
	ok(policy_allow_dns(p, "Exact.Example.NET", &err) == 0,
	    "allow Exact.Example.NET");
	ok(policy_deny_dns(p, "bad.example.com", &err) == 0,
	    "deny bad.example.com");
	ok(policy_deny_dns(p, ".Internal.Example.Com", &err) == 0,
	    "deny .Internal.Example.Com");

	dns(p, "www.example.com", OK, 0);
	dns(p, "WWW.EXAMPLE.COM", OK, 0);
	dns(p, "a.b.c.example.com", OK, 0);
	dns(p, "example.com", NO, REJ);		/* subtree excludes the apex */
	msg_has("\"example.com\" is not allowed by the policy (allowed: "
	    "*.example.com, Exact.Example.NET)");
	dns(p, "x.other.com", NO, REJ);
	msg_has("\"x.other.com\" is not allowed by the policy");
	dns(p, "badexample.com", NO, REJ);
	dns(p, "exact.example.net", OK, 0);
	dns(p, "EXACT.example.Net", OK, 0);
	dns(p, "sub.exact.example.net", NO, REJ);

	/* deny wins over allow */
	dns(p, "bad.example.com", NO, REJ);
	is_str(err.msg, "\"bad.example.com\" is denied by policy rule "
	    "\"bad.example.com\"", "deny message");
	dns(p, "BAD.Example.com", NO, REJ);
	dns(p, "sub.bad.example.com", OK, 0);	/* exact deny only */
	dns(p, "internal.example.com", OK, 0);	/* subtree deny excludes apex */
	dns(p, "db.internal.example.com", NO, REJ);
	is_str(err.msg, "\"db.internal.example.com\" is denied by policy rule "
	    "\".Internal.Example.Com\"", "deny message names the rule as written");
	dns(p, "X.DB.Internal.example.com", NO, REJ);

	/* wildcard names: allowed when all they stand for is */
	dns(p, "*.a.example.com", OK, 0);
	dns(p, "*.A.Example.COM", OK, 0);
	dns(p, "*.com", NO, REJ);
	dns(p, "*.exact.example.net", NO, REJ);	/* exact allow covers no set */
	dns(p, "*.example.net", NO, REJ);
	/* ... denied when anything they stand for is */
	dns(p, "*.internal.example.com", NO, REJ);
	dns(p, "*.x.internal.example.com", NO, REJ);
	dns(p, "*.bad.example.com", OK, 0);	/* bad.example.com exact only */
	/* it stands for bad.example.com, which is denied */
	dns(p, "*.Example.com", NO, REJ);
	is_str(err.msg, "\"*.Example.com\" is denied by policy rule "
	    "\"bad.example.com\"", "wildcard denied via one of its names");
	policy_free(p);

	/* a wildcard stands for bad.example.com: an exact deny refuses it */
	p = policy_new();
	ok(policy_deny_dns(p, "bad.example.com", &err) == 0, "deny exact");
	dns(p, "*.example.com", NO, REJ);
	is_str(err.msg, "\"*.example.com\" is denied by policy rule "
	    "\"bad.example.com\"", "wildcard denied via one of its names");
	dns(p, "*.bad.example.com", OK, 0);
	dns(p, "*.com", OK, 0);			/* bad.example.com is 2 down */
	dns(p, "good.example.com", OK, 0);
	ok(policy_deny_dns(p, "*.corp.example", &err) == 0, "deny subtree");
	dns(p, "*.corp.example", NO, REJ);
	dns(p, "*.a.corp.example", NO, REJ);
	dns(p, "*.example", OK, 0);		/* corp.example is not below */
	dns(p, "corp.example", OK, 0);
	policy_free(p);

	/* wildcards disabled */
	p = policy_new();
	policy_set_wildcards(p, 0);
	dns(p, "*.example.com", NO, REJ);
	msg_has("wildcard");
	dns(p, "www.example.com", OK, 0);
	dns(p, "*.*.example.com", NO, BAD);	/* syntax is checked first */
	policy_set_wildcards(p, 1);
	dns(p, "*.example.com", OK, 0);
	policy_free(p);
}

static void
test_dns_rules(void)
{
	struct policy	*p = policy_new();
	static const char *const badrules[] = {
		"", ".", "*", "*.", "..example.com", ".*.example.com",
		"a.*.example.com", "*.*.example.com", "example.com.",
		"under_score.com", "-x.com", "10.0.0.1",
	};
	char		 rule[32];
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(badrules) / sizeof(badrules[0]); i++) {
		pica_err_clear(&err);
		r = policy_allow_dns(p, badrules[i], &err);
		ok(r == -1 && err.code == PICA_E_CONFIG && err.msg[0] != '\0',
		    "bad allow rule \"%s\" refused (%s)", badrules[i], err.msg);
	}
	pica_err_clear(&err);
	r = policy_deny_dns(p, "a..b", &err);
	ok(r == -1 && strstr(err.msg, "\"a..b\"") != NULL,
	    "bad deny rule named (%s)", err.msg);
	pica_err_clear(&err);
	r = policy_deny_dns(p, ".a..b", &err);
	ok(r == -1 && strstr(err.msg, "\".a..b\"") != NULL,
	    "bad subtree rule named as written (%s)", err.msg);

	/* 256 rules at most; the list in messages is truncated */
	for (i = 0, r = 0; i < 256; i++) {
		snprintf(rule, sizeof(rule), "host%zu.example.com", i);
		r |= policy_allow_dns(p, rule, &err);
	}
	is_int(r, 0, "256 allow rules accepted");
	pica_err_clear(&err);
	r = policy_allow_dns(p, "one-more.example.com", &err);
	ok(r == -1 && strstr(err.msg, "256") != NULL, "257th refused (%s)",
	    err.msg);
	dns(p, "host255.example.com", OK, 0);
	dns(p, "host256.example.com", NO, REJ);
	msg_has("(allowed: host0.example.com, host1.example.com, ");
	msg_has(" more)");
	ok(strlen(err.msg) < 400, "message bounded (%zu bytes)",
	    strlen(err.msg));
	for (i = 0, r = 0; i < 256; i++)
		r |= policy_deny_dns(p, "x.example.com", &err);
	is_int(r, 0, "256 deny rules accepted");
	is_int(policy_deny_dns(p, "x.example.com", &err), -1,
	    "257th deny refused");
	policy_free(p);
}

static void
test_ip(void)
{
	struct policy	*p = policy_new();
	static const char *const badrules[] = {
		"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1",
		"10.0.0.0/8x", "10.0.0", "10.0.0.256", "::/129", "::/1234",
		"fe80::1%eth0", "example.com", "/8", "10.0.0.0/8/8",
		"010.0.0.0/8", " 10.0.0.0/8",
	};
	size_t		 i;
	int		 r;

	ip(p, "192.0.2.1", OK, 0);
	ip(p, "2001:db8::1", OK, 0);
	ip(p, "not-an-ip", NO, BAD);
	ip(p, "", NO, BAD);
	ip(p, "10.0.0.1/32", NO, BAD);
	ip(p, "10.1", NO, BAD);

	for (i = 0; i < sizeof(badrules) / sizeof(badrules[0]); i++) {
		pica_err_clear(&err);
		r = policy_allow_ip(p, badrules[i], &err);
		ok(r == -1 && err.code == PICA_E_CONFIG && err.msg[0] != '\0',
		    "bad IP rule \"%s\" refused (%s)", badrules[i], err.msg);
	}

	ok(policy_allow_ip(p, "10.0.0.0/8", &err) == 0, "allow 10.0.0.0/8");
	ok(policy_allow_ip(p, "192.168.1.7", &err) == 0, "allow 192.168.1.7");
	ok(policy_allow_ip(p, "2001:DB8::/32", &err) == 0,
	    "allow 2001:DB8::/32");
	ok(policy_deny_ip(p, "10.9.0.0/16", &err) == 0, "deny 10.9.0.0/16");
	ok(policy_deny_ip(p, "2001:db8:bad::/48", &err) == 0,
	    "deny 2001:db8:bad::/48");
	ok(policy_deny_ip(p, "10.1.2.3/31", &err) == 0,
	    "deny 10.1.2.3/31 (host bits ignored)");

	ip(p, "10.0.0.1", OK, 0);
	ip(p, "10.255.255.255", OK, 0);
	ip(p, "11.0.0.0", NO, REJ);
	is_str(err.msg, "\"11.0.0.0\" is not allowed by the policy (allowed: "
	    "10.0.0.0/8, 192.168.1.7, 2001:DB8::/32)", "not-allowed message");
	ip(p, "9.255.255.255", NO, REJ);
	ip(p, "192.168.1.7", OK, 0);
	ip(p, "192.168.1.8", NO, REJ);
	ip(p, "10.9.1.1", NO, REJ);
	is_str(err.msg, "\"10.9.1.1\" is denied by policy rule "
	    "\"10.9.0.0/16\"", "deny message");
	ip(p, "10.1.2.2", NO, REJ);
	ip(p, "10.1.2.3", NO, REJ);
	ip(p, "10.1.2.4", OK, 0);
	ip(p, "2001:db8::1", OK, 0);
	ip(p, "2001:0DB8:0:0::ffff", OK, 0);
	ip(p, "2001:db9::1", NO, REJ);
	ip(p, "2001:db8:bad:1::1", NO, REJ);
	ip(p, "2001:db8:bae::1", OK, 0);

	/* IPv4-mapped addresses are checked as IPv4 */
	ip(p, "::ffff:10.0.0.1", OK, 0);
	ip(p, "::FFFF:a00:1", OK, 0);
	ip(p, "::ffff:10.9.0.1", NO, REJ);
	ip(p, "::ffff:11.0.0.1", NO, REJ);
	ip(p, "::10.0.0.1", NO, REJ);		/* IPv4-compatible: IPv6 */
	policy_free(p);

	/* mapped rules are IPv4 rules; IPv6 rules never match IPv4 */
	p = policy_new();
	ok(policy_deny_ip(p, "::ffff:192.0.2.0/120", &err) == 0,
	    "deny ::ffff:192.0.2.0/120");
	ok(policy_deny_ip(p, "::/0", &err) == 0, "deny ::/0");
	ip(p, "192.0.2.99", NO, REJ);
	ip(p, "::ffff:192.0.2.99", NO, REJ);
	ip(p, "192.0.3.1", OK, 0);
	ip(p, "::ffff:192.0.3.1", OK, 0);
	ip(p, "::1", NO, REJ);
	policy_free(p);

	/* allow IPv6 only: IPv4 is not allowed; /0 */
	p = policy_new();
	ok(policy_allow_ip(p, "::/0", &err) == 0, "allow ::/0");
	ip(p, "2001:db8::1", OK, 0);
	ip(p, "192.0.2.1", NO, REJ);
	ok(policy_allow_ip(p, "0.0.0.0/0", &err) == 0, "allow 0.0.0.0/0");
	ip(p, "192.0.2.1", OK, 0);
	ok(policy_deny_ip(p, "::ffff:0:0/96", &err) == 0,
	    "deny ::ffff:0:0/96 (all of IPv4)");
	ip(p, "192.0.2.1", NO, REJ);
	ip(p, "2001:db8::1", OK, 0);
	policy_free(p);
}

int
main(void)
{
	plan(178);
	test_syntax();
	test_dns();
	test_dns_rules();
	test_ip();
	policy_free(NULL);
	return done();
}
