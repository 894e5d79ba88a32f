#!/bin/sh
# The six shipped profiles, the seed template and step-ca's default leaf
# template, checked in the certificates openssl reads.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 25

make_ca; ok $? "CA made"

issue_text2() {
	subj=$1; shift
	rm -f "$tmp/p.crt" "$tmp/p.key"
	"$PICA" issue "$subj" "$tmp/p.crt" "$tmp/p.key" "$@" >/dev/null 2>"$tmp/err" ||
		{ sed 's/^/# /' "$tmp/err"; return 1; }
	verify_chain "$tmp/p.crt" "$tmp/ca" >/dev/null || return 1
	openssl x509 -in "$tmp/p.crt" -noout -text
}

t=$(issue_text2 srv.test --profile server); ok $? "server profile"
like "$t" 'Digital Signature' "server: digitalSignature"
like "$t" 'TLS Web Server Authentication, TLS Web Client Authentication' "server: serverAuth, clientAuth"
t=$(issue_text2 srv.test --profile server --kty RSA); ok $? "server profile, RSA key"
like "$t" 'Digital Signature, Key Encipherment' "server with RSA: keyEncipherment too"

t=$(issue_text2 client.test --profile client); ok $? "client profile"
like "$t" 'X509v3 Extended Key Usage: *
 *TLS Web Client Authentication$' "client: clientAuth only"

t=$(issue_text2 ocsp.test --profile ocsp); ok $? "ocsp profile"
like "$t" 'OCSP Signing' "ocsp: OCSPSigning"
like "$t" 'OCSP No Check' "ocsp: id-pkix-ocsp-nocheck"

t=$(issue_text2 "Alice" --san alice@mail.test --profile email); ok $? "email profile"
like "$t" 'E-mail Protection' "email: emailProtection"
like "$t" 'email:alice@mail.test' "email: rfc822 SAN"
fails_with 1 'needs an email address SAN' "email profile without an email address" -- \
	"$PICA" issue nomail.test "$tmp/m.crt" "$tmp/m.key" --profile email

t=$(issue_text2 "Builder" --san build.test --profile codesign); ok $? "codesign profile"
like "$t" 'Code Signing' "codesign: codeSigning"

t=$(issue_text2 tsa.test --profile timestamp); ok $? "timestamp profile"
like "$t" 'X509v3 Extended Key Usage: critical' "timestamp: critical EKU"
like "$t" 'Time Stamping' "timestamp: timeStamping"

# The seed template, verbatim.
cat >"$tmp/seed.tpl" <<'TPL'
{"subject": {"commonName": {{ toJson ((index .SANs 0).Value) }}}, "sans": {{ toJson .SANs }}, "keyUsage": ["digitalSignature", "keyEncipherment"], "extKeyUsage": ["serverAuth", "clientAuth"], "crlDistributionPoints": ["http://ca.domain.de/1.0/crl"], "ocspServer": ["http://ca.domain.de/ocsp"]}
TPL
t=$(issue_text2 whatever --san first.test --san second.test --template "$tmp/seed.tpl"); ok $? "seed template"
like "$t" 'Subject: CN = first.test' "seed: CN is the first SAN"
like "$t" 'URI:http://ca.domain.de/1.0/crl' "seed: its CDP, not the CA's"
like "$t" 'OCSP - URI:http://ca.domain.de/ocsp' "seed: its OCSP URL"

fails_with 1 'unknown profile "nope"' "unknown profile" -- \
	"$PICA" issue x.test "$tmp/n.crt" "$tmp/n.key" --profile nope
done_testing
