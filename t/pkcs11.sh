#!/bin/sh
# The intermediate's key on a PKCS#11 token (SoftHSM2 in a temporary
# directory): pica init --key URI, then lego through the demo's nginx,
# OCSP answers and the CRL all signed on the token, for an EC P-256 and an
# RSA 2048 key; and the errors of a wrong PIN, an absent token, a wrong
# object, a pin-value, and a key that is not the certificate's.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
export PICA_LIBEXEC_DIR=${PICA_LIBEXEC_DIR:-$(dirname "$PICA")/../cgi-bin}

require_cmds softhsm2-util pkcs11-tool lego spawn-fcgi cgi-fcgi curl openssl nginx
module=/usr/lib/softhsm/libsofthsm2.so
[ -r "$module" ] || { echo "1..0 # SKIP $module missing"; exit 0; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'

plan 54

# The token, in this test's directory.
export SOFTHSM2_CONF=$tmp/softhsm2.conf
mkdir "$tmp/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' \
	"$tmp/tokens" >"$SOFTHSM2_CONF"
p11() {
	pkcs11-tool --module "$module" --token-label pica --login --pin 1234 "$@"
}
softhsm2-util --init-token --free --label pica --so-pin 1111 --pin 1234 \
	>/dev/null &&
	p11 --keypairgen --key-type EC:prime256v1 --id 01 --label inter-ec \
	>/dev/null 2>&1 &&
	p11 --keypairgen --key-type rsa:2048 --id 02 --label inter-rsa \
	>/dev/null 2>&1
ok $? "SoftHSM2 token with an EC P-256 and an RSA 2048 key pair"
printf '1234\n' >"$tmp/pin"
chmod 600 "$tmp/pin"
uri() {
	echo "pkcs11:token=pica;object=$1;type=private?module-path=$module&pin-source=file:$tmp/pin"
}

# pem_pub FILE: the public key of a certificate or private key, as PEM.
cert_pub() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null; }
key_pub() { openssl pkey -in "$1" -pubout 2>/dev/null; }

round() {
	kt=$1 obj=$2
	set -- $(free_ports 3)
	https_port=$1 http_port=$2 chall_port=$3
	ca=$tmp/ca-$kt
	root=$ca/certs/root.pem
	inter=$ca/certs/intermediate.pem
	"$PICA" init "$ca" --name "Token $kt" --dns localhost --key "$(uri "$obj")" \
		--url "https://127.0.0.1:$https_port" \
		--http-url "http://127.0.0.1:$http_port" >"$tmp/init.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/init.out"
	ok $rc "$kt: pica init --key $(uri "$obj" | cut -d'?' -f1)"
	is "$(cert_pub "$inter")" "$(p11 --read-object --type pubkey --label "$obj" 2>/dev/null |
		openssl pkey -pubin -inform DER 2>/dev/null)" \
		"$kt: the intermediate certificate is for the token's key"
	# No file of the CA holds the intermediate's private key: of the
	# PEM private keys there (root, OCSP responder), none is its.
	n=0 keys=0
	for f in $(grep -rl -e '-BEGIN.*PRIVATE KEY-' "$ca"); do
		keys=$((keys + 1))
		[ "$(key_pub "$f")" = "$(cert_pub "$inter")" ] && n=$((n + 1))
	done
	is "$n/$keys" "0/2" "$kt: of the CA's $keys private key files, none is the intermediate's"
	# The token key signs the OCSP answers too: no delegated responder.
	edit_config "$ca/pica.json" "c['acme']['httpPort'] = $chall_port
del c['ocsp']['cert']
del c['ocsp']['key']"
	export PICA_CONFIG=$ca/pica.json

	start_demo "$ca" nginx "$https_port" "$http_port" "$tmp/demo-$kt"
	ok $? "$kt: the demo is up, every signing program logged in to the token"
	LEGO_CA_CERTIFICATES=$root timeout 120 lego --accept-tos \
		--server "https://127.0.0.1:$https_port/acme/directory" \
		--email ops@example.test --path "$tmp/lego-$kt" --http \
		--http.port "127.0.0.1:$chall_port" --domains localhost run \
		>"$tmp/lego.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/lego.out" | tail -15
	ok $rc "$kt: lego run -d localhost"
	leaf=$tmp/lego-$kt/certificates/localhost.crt
	openssl verify -CAfile "$root" -untrusted "$inter" "$leaf" >/dev/null 2>&1
	ok $? "$kt: the certificate, signed on the token, verifies"
	out=$(openssl ocsp -issuer "$inter" -CAfile "$root" -cert "$leaf" \
		-url "http://127.0.0.1:$http_port/ocsp" 2>&1 | tr '\n' ' ')
	like "$out" 'Response verify OK.*localhost.crt: good' \
		"$kt: OCSP answer signed by the token key verifies: good"
	LEGO_CA_CERTIFICATES=$root timeout 120 lego --accept-tos \
		--server "https://127.0.0.1:$https_port/acme/directory" \
		--email ops@example.test --path "$tmp/lego-$kt" \
		--domains localhost revoke --keep >"$tmp/lego.out" 2>&1
	ok $? "$kt: lego revoke"
	out=$(openssl ocsp -issuer "$inter" -CAfile "$root" -cert "$leaf" \
		-url "http://127.0.0.1:$http_port/ocsp" 2>&1 | tr '\n' ' ')
	like "$out" 'Response verify OK.*localhost.crt: revoked' \
		"$kt: OCSP says revoked"
	code=$(curl -s -o "$tmp/crl.der" -w '%{http_code}' \
		"http://127.0.0.1:$http_port/crl")
	openssl crl -inform DER -in "$tmp/crl.der" -out "$tmp/crl.pem" 2>/dev/null &&
		openssl crl -in "$tmp/crl.pem" -CAfile "$inter" -noout 2>&1 |
		grep -q 'verify OK'
	rc=$?
	[ $rc -eq 0 ] || { diag "/crl: HTTP $code"; head -c 300 "$tmp/crl.der" |
		sed 's/^/#   /'; tail -20 "$tmp/demo-$kt.err" | sed 's/^/#   /'; }
	ok $rc "$kt: the CRL made by the crl program is signed by the token key"
	openssl verify -crl_check -CAfile "$root" -untrusted "$inter" \
		-CRLfile "$tmp/crl.pem" "$leaf" 2>&1 | grep -q 'certificate revoked'
	ok $? "$kt: openssl verify -crl_check: revoked"
	stop_demo
	ok $? "$kt: the demo stops"
}

round ec inter-ec
round rsa inter-rsa

# --generate: the key pair made on the token, then the CA for it.
"$PICA" init "$tmp/ca-gen" --name Gen --dns localhost --kty EC --size 384 \
	--key "$(uri gen-p384)" --generate >"$tmp/gen.out" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/gen.out"
ok $rc "pica init --key URI --generate (EC P-384)"
obj=$(p11 --list-objects --type privkey 2>/dev/null |
	grep -A3 'label: *gen-p384$' | grep 'Access:')
like "$obj" 'sensitive.*never extractable' \
	"the token holds it: sensitive, never extractable"
PICA_CONFIG=$tmp/ca-gen/pica.json "$PICA" issue g.test "$tmp/g.crt" "$tmp/g.key" \
	>/dev/null 2>&1 &&
	openssl verify -CAfile "$tmp/ca-gen/certs/root.pem" \
	-untrusted "$tmp/ca-gen/certs/intermediate.pem" "$tmp/g.crt" >/dev/null 2>&1
ok $? "a certificate signed with the generated key verifies"
like "$(openssl x509 -in "$tmp/ca-gen/certs/intermediate.pem" -noout -text)" \
	'NIST CURVE: P-384' "the intermediate's key is P-384"
"$PICA" init "$tmp/ca-gen2" --name Gen --dns localhost \
	--key "$(uri gen-p384)" --generate >"$tmp/gen.out" 2>&1
[ $? -ne 0 ] && [ ! -e "$tmp/ca-gen2" ]
ok $? "--generate refuses a label the token already has"
like "$(cat "$tmp/gen.out")" 'holds that key already' "and says so"

# A key that does not load when the crl program starts: it runs on
# without it, and its /health says why, naming the URI, never the PIN.
# A PIN the token refused is not tried again (tokens lock after a few);
# anything else (here: the PIN file missing) is, every few seconds.
printf '9876\n' >"$tmp/pin"
PICA_CONFIG=$tmp/ca-ec/pica.json fcgi_spawn crl
crl_pid=$bg_pid
out=$(fcgi_call crl GET /health)
like "$out" '^Status: 503' "wrong PIN: /health 503"
like "$out" '"key":"pkcs11:token=pica;object=inter-ec;type=private: login to token' \
	"/health names the key's URI and the failed login"
like "$out" 'not tried again, so that the token does not lock' \
	"a refused PIN is not tried again"
! echo "$out" | grep -q 9876
ok $? "/health does not show the PIN"
kill "$crl_pid"
wait "$crl_pid" 2>/dev/null
mv "$tmp/pin" "$tmp/pin.away"
PICA_CONFIG=$tmp/ca-ec/pica.json fcgi_spawn crl
like "$(fcgi_call crl GET /health)" '^Status: 503' "PIN file missing: /health 503"
printf '1234\n' >"$tmp/pin.away"
mv "$tmp/pin.away" "$tmp/pin"
i=0
until fcgi_call crl GET /health | grep -q '^Status: 200'; do
	i=$((i + 1))
	[ $i -lt 40 ] || break
	sleep 0.5
done
like "$(fcgi_call crl GET /health)" '"status":"ok"' \
	"the PIN file back: /health turns 200 by itself"
rm -f "$tmp/ca-ec/www/crl" "$tmp/ca-ec/www/crl.pem"
like "$(fcgi_call crl GET /crl | head -c 300)" '^Status: 200' \
	"and the crl program signs a CRL with the key"

# The OCSP responder's key on the token too (ocsp.key a URI): renewing
# makes a certificate for it, and the answers it signs verify.
ca=$tmp/ca-ec
p11 --keypairgen --key-type EC:prime256v1 --id 09 --label ocsp-key >/dev/null 2>&1
edit_config "$ca/pica.json" "c['ocsp']['cert'] = 'certs/ocsp.pem'
c['ocsp']['key'] = '$(uri ocsp-key)'"
rm -f "$ca/certs/ocsp.pem"
like "$(PICA_CONFIG=$ca/pica.json "$PICA" crl --if-stale 2>&1)" \
	'OCSP responder certificate renewed' "ocsp.key on the token: pica crl makes its certificate"
is "$(cert_pub "$ca/certs/ocsp.pem")" "$(p11 --read-object --type pubkey --label ocsp-key 2>/dev/null |
	openssl pkey -pubin -inform DER 2>/dev/null)" "for the token's responder key"
set -- $(free_ports 2)
edit_config "$ca/pica.json" "c['externalURL'] = 'https://127.0.0.1:$1'"
start_demo "$ca" nginx "$1" "$2" "$tmp/demo-ocspkey"
out=$(openssl ocsp -issuer "$ca/certs/intermediate.pem" -CAfile "$ca/certs/root.pem" \
	-cert "$tmp/lego-ec/certificates/localhost.crt" -resp_text \
	-url "http://127.0.0.1:$2/ocsp" 2>&1 | tr '\n' ' ')
like "$out" 'Response verify OK.*Subject: CN=Token ec OCSP Responder.*localhost.crt: revoked' \
	"the answer, signed with the responder key on the token, verifies"
stop_demo

# The module from kms.uri (as in step-ca's ca.json) for a key URI with none.
ca=$tmp/ca-rsa
edit_config "$ca/pica.json" "c['key'] = c['key'].replace('module-path=$module&', '')"
like "$(PICA_CONFIG=$ca/pica.json "$PICA" issue k.test "$tmp/k.crt" "$tmp/k.key" 2>&1)" \
	'no module-path, in the URI or the configuration' \
	"a key URI without module-path and no kms.uri: refused"
edit_config "$ca/pica.json" "c['kms'] = {'type': 'pkcs11', 'uri': 'pkcs11:module-path=$module;token=pica'}"
PICA_CONFIG=$ca/pica.json "$PICA" issue k.test "$tmp/k.crt" "$tmp/k.key" >/dev/null 2>&1 &&
	verify_chain "$tmp/k.crt" "$ca" >/dev/null
ok $? "with kms.uri naming the module: issuance on the token works"

# Errors: clear, naming the URI without the PIN, non-zero, nothing written.
bad() {
	rm -rf "$tmp/bad"
	"$PICA" init "$tmp/bad" --name Bad --dns localhost --key "$1" \
		>"$tmp/bad.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && [ ! -e "$tmp/bad" ] && ! ls -a "$tmp" | grep -q '^\.bad'
	ok $? "$2: init fails, nothing written"
	like "$(cat "$tmp/bad.out")" "$3" "$2: $3"
}
printf '9999\n' >"$tmp/badpin"
bad "pkcs11:token=pica;object=inter-ec?module-path=$module&pin-source=file:$tmp/badpin" \
	"wrong PIN" 'login to token "pica" failed.*PIN incorrect'
bad "pkcs11:token=absent;object=inter-ec?module-path=$module&pin-source=file:$tmp/pin" \
	"absent token" 'pkcs11:token=absent;object=inter-ec: no token of module'
bad "pkcs11:token=pica;object=nothing?module-path=$module&pin-source=file:$tmp/pin" \
	"wrong object" 'object=nothing: no such private key on token "pica"'
bad "pkcs11:token=pica;object=inter-ec?module-path=$module&pin-value=1234" \
	"pin-value" 'pin-value is refused'
! grep -q 1234 "$tmp/bad.out"
ok $? "the PIN appears in no message"

# The configuration names the other key than the certificate's.
ca=$tmp/ca-ec
edit_config "$ca/pica.json" "c['key'] = c['key'].replace('inter-ec', 'inter-rsa')"
out=$(PICA_CONFIG=$ca/pica.json "$PICA" issue x.test "$tmp/x.crt" "$tmp/x.key" 2>&1)
rc=$?
[ $rc -ne 0 ] && [ ! -e "$tmp/x.crt" ]
ok $? "a key that is not the certificate's: issue fails, nothing written"
like "$out" 'object=inter-rsa;type=private does not match the certificate' \
	"it says which key does not match"
done_testing
