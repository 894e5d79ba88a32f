#!/bin/sh
# pica issue, list, show, revoke: offline issuance end to end, checked
# with openssl.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 37

make_ca; ok $? "CA made"
ca=$tmp/ca

serial=$("$PICA" issue a.test "$tmp/a.crt" "$tmp/a.key" --san a.test \
	--san www.a.test --san 127.0.0.1 --san ::1 2>"$tmp/err")
ok $? "issue with a new key"
is "$(pem_serial "$tmp/a.crt")" "$serial" "printed serial is the certificate's"
is "${#serial}" 40 "serial is 20 bytes"
verify_chain "$tmp/a.crt" "$ca" >/dev/null; ok $? "openssl verify accepts the chain"
is "$(grep -c 'BEGIN CERTIFICATE' "$tmp/a.crt")" 2 "CRT file holds leaf and intermediate"
is "$(stat -c %a "$tmp/a.key")" 600 "key file is 0600"
openssl pkey -in "$tmp/a.key" -pubout >"$tmp/k.pub" &&
	openssl x509 -in "$tmp/a.crt" -noout -pubkey >"$tmp/c.pub" &&
	cmp -s "$tmp/k.pub" "$tmp/c.pub"
ok $? "key file matches the certificate"
text=$(openssl x509 -in "$tmp/a.crt" -noout -text)
like "$text" 'DNS:a.test, DNS:www.a.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' "SANs: DNS and IP"
like "$text" 'Subject: CN = a.test' "subject CN"
like "$text" 'TLS Web Server Authentication, TLS Web Client Authentication' "server profile EKUs"
like "$text" 'URI:http://ca.test:8080/crl' "CRL distribution point from the config"
like "$text" 'OCSP - URI:http://ca.test:8080/ocsp' "OCSP AIA from the config"
like "$text" 'CA Issuers - URI:http://ca.test:8080/intermediates.pem' "CA issuers AIA"
like "$text" 'X509v3 Subject Key Identifier' "SKI"
like "$text" 'X509v3 Authority Key Identifier' "AKI"
ikid=$(openssl x509 -in "$ca/certs/intermediate.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
like "$(openssl x509 -in "$tmp/a.crt" -noout -ext authorityKeyIdentifier)" "$ikid" "AKI is the intermediate's SKI"

# Default duration 2160h, backdated one minute.
nb=$(date -d "$(openssl x509 -in "$tmp/a.crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$tmp/a.crt" -noout -enddate | cut -d= -f2)" +%s)
is "$((na - nb))" "$((2160 * 3600 + 60))" "validity is 2160h plus 1m backdate"

"$PICA" issue b.test "$tmp/b.crt" "$tmp/b.key" --not-after 24h >/dev/null
ok $? "issue with --not-after 24h"
like "$(openssl x509 -in "$tmp/b.crt" -noout -text)" 'DNS:b.test' "subject alone becomes the SAN"
nb=$(date -d "$(openssl x509 -in "$tmp/b.crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$tmp/b.crt" -noout -enddate | cut -d= -f2)" +%s)
is "$((na - nb))" "$((24 * 3600 + 60))" "validity 24h"

# CSRs from openssl for each accepted key type.
for kt in ec:P-256 ec:P-384 rsa:2048 ed25519; do
	case $kt in
	ec:*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:${kt#ec:} -out "$tmp/csr.key" 2>/dev/null ;;
	rsa:*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${kt#rsa:} -out "$tmp/csr.key" 2>/dev/null ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$tmp/csr.key" ;;
	esac
	openssl req -new -key "$tmp/csr.key" -subj "/CN=csr.test" \
		-addext "subjectAltName=DNS:csr.test,IP:10.1.2.3" -out "$tmp/csr.pem"
	rm -f "$tmp/csr.crt"
	"$PICA" issue --csr "$tmp/csr.pem" "$tmp/csr.crt" >/dev/null &&
		verify_chain "$tmp/csr.crt" "$ca" >/dev/null
	ok $? "issue --csr with a $kt key verifies"
done
like "$(openssl x509 -in "$tmp/csr.crt" -noout -text)" 'DNS:csr.test, IP Address:10.1.2.3' "CSR SANs carried over"

# list, show, revoke.
# Six issued here, and the OCSP responder's that pica init made.
is "$(cert_count)" 7 "list shows 7 certificates"
like "$("$PICA" list)" "^$serial  good .*DNS:a.test" "list line for the first one"
like "$("$PICA" show "$serial")" 'Status: +good' "show: good"
"$PICA" show --pem "$serial" | cmp -s - "$(openssl x509 -in "$tmp/a.crt" > "$tmp/a.leaf"; echo "$tmp/a.leaf")"
ok $? "show --pem is the issued certificate"
colon=$(openssl x509 -in "$tmp/a.crt" -noout -serial | sed 's/serial=//; s/../&:/g; s/:$//')
"$PICA" revoke "$colon" --reason key-compromise >/dev/null
ok $? "revoke by colon-hex serial with a reason"
like "$("$PICA" show "$serial")" 'Revoked: .*keyCompromise' "show: revoked, keyCompromise"
fails_with 1 'already revoked' "revoking twice" -- "$PICA" revoke "$serial"
fails_with 1 'no certificate' "revoking an unknown serial" -- "$PICA" revoke 0123456789abcdef
is "$("$PICA" list --revoked | cut -c1-40)" "$serial" "list --revoked"
/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==7; assert sum(c["status"]=="revoked" for c in d)==1' <<EOF2
$("$PICA" list --json)
EOF2
ok $? "list --json parses: 7 certificates, 1 revoked"
is "$("$PICA" list --expiring 48h | wc -l)" 1 "list --expiring 48h finds the 24h one"
done_testing
