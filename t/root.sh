#!/bin/sh
# The offline root: pica root init on one directory (a file key, then a
# key on a SoftHSM2 token), pica init --csr-only on another, pica root
# sign, pica init --intermediate-cert --root-cert, then issuance; and the
# refusals: a CA still waiting, another root, another key's certificate.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

plan 29

# ceremony NAME ROOT_ARGS...: root in $tmp/NAME-root, CA in $tmp/NAME-ca.
ceremony() {
	n=$1
	shift
	r=$tmp/$n-root c=$tmp/$n-ca
	"$PICA" root init "$r" --name "$n" "$@" >"$tmp/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/out"
	ok $rc "$n: pica root init"
	openssl verify -CAfile "$r/certs/root.pem" "$r/certs/root.pem" >/dev/null 2>&1
	ok $? "$n: a self-signed root"
	"$PICA" init "$c" --name "$n" --dns ca.test --url https://ca.test:8443 \
		--http-url http://ca.test:8080 --csr-only >"$tmp/out" 2>&1 &&
		[ -s "$c/intermediate.csr" ] && [ ! -e "$c/certs/root.pem" ] &&
		[ ! -e "$c/secrets/root.key" ]
	ok $? "$n: pica init --csr-only: a CSR, no root, no root key"
	like "$(PICA_CONFIG=$c/pica.json "$PICA" issue w.test "$tmp/w.crt" \
		"$tmp/w.key" 2>&1)" 'waits for its intermediate certificate' \
		"$n: the waiting CA says what it waits for"
	"$PICA" root sign "$c/intermediate.csr" --root "$r" \
		--out "$tmp/$n-inter.pem" >"$tmp/out" 2>&1
	ok $? "$n: pica root sign"
	like "$(openssl x509 -in "$tmp/$n-inter.pem" -noout -text | tr '\n' ' ')" \
		'CA:TRUE, pathlen:0.*Certificate Sign, CRL Sign' \
		"$n: a CA certificate, path length 0"
	"$PICA" init "$c" --intermediate-cert "$tmp/$n-inter.pem" \
		--root-cert "$r/certs/root.pem" >"$tmp/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/out"
	ok $rc "$n: pica init --intermediate-cert --root-cert"
	PICA_CONFIG=$c/pica.json "$PICA" issue a.test "$tmp/$n-a.crt" "$tmp/$n-a.key" \
		>/dev/null && verify_chain "$tmp/$n-a.crt" "$c" >/dev/null
	ok $? "$n: issuance; the leaf verifies up to the offline root"
}

ceremony file
! grep -rl 'PRIVATE KEY' "$tmp/file-ca" | xargs -r grep -l . |
	while read -r f; do
		[ "$(openssl pkey -in "$f" -pubout 2>/dev/null)" = \
		  "$(openssl x509 -in "$tmp/file-root/certs/root.pem" -noout -pubkey)" ] &&
			echo "$f"
	done | grep -q .
ok $? "file: the root's key is nowhere in the online CA"

# Refusals, on a second CA waiting for its certificate.
c=$tmp/file-ca2
"$PICA" init "$c" --name file2 --dns ca.test --csr-only >/dev/null 2>&1
"$PICA" root init "$tmp/other-root" --name other >/dev/null 2>&1
"$PICA" root sign "$c/intermediate.csr" --root "$tmp/other-root" \
	--out "$tmp/other-inter.pem" >/dev/null 2>&1
out=$("$PICA" init "$c" --intermediate-cert "$tmp/other-inter.pem" \
	--root-cert "$tmp/file-root/certs/root.pem" 2>&1)
[ $? -ne 0 ] && [ ! -e "$c/certs/intermediate.pem" ] && [ ! -e "$c/db" ]
ok $? "another root's intermediate: refused, nothing written"
like "$out" 'does not chain to the root' "it says it does not chain"
out=$("$PICA" init "$c" --intermediate-cert "$tmp/file-inter.pem" \
	--root-cert "$tmp/file-root/certs/root.pem" 2>&1)
[ $? -ne 0 ] && [ ! -e "$c/certs/intermediate.pem" ]
ok $? "a certificate for another CA's key: refused, nothing written"
like "$out" "is not for this CA's key" "it says whose key it wants"
out=$("$PICA" init "$c" --intermediate-cert "$tmp/other-inter.pem" \
	--root-cert "$tmp/other-inter.pem" 2>&1)
like "$out" 'is not a self-signed CA certificate' "an intermediate as the root: refused"
out=$("$PICA" root sign "$c/pica.json" --root "$tmp/file-root" \
	--out "$tmp/x.pem" 2>&1)
[ $? -ne 0 ] && [ ! -e "$tmp/x.pem" ]
ok $? "root sign of something that is not a CSR: refused ($out)"
out=$("$PICA" root sign "$c/intermediate.csr" --root "$tmp/file-root" \
	--out "$tmp/other-inter.pem" 2>&1)
like "$out" 'exists already' "root sign never overwrites its output"

# The root on a token.
if PATH=$PATH:/usr/sbin command -v softhsm2-util >/dev/null &&
    [ -r /usr/lib/softhsm/libsofthsm2.so ]; then
	export SOFTHSM2_CONF=$tmp/softhsm2.conf
	mkdir "$tmp/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\n' \
		"$tmp/tokens" >"$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label root --so-pin 1111 \
		--pin 4321 >/dev/null
	printf '4321\n' >"$tmp/pin"
	ceremony token --generate --key \
		"pkcs11:token=root;object=root;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$tmp/pin"
	[ ! -e "$tmp/token-root/secrets" ]
	ok $? "token: no key file in the root's directory"

	# The intermediate's key on the token too: its CSR is signed there.
	c=$tmp/tokinter-ca
	"$PICA" init "$c" --name tokinter --dns ca.test --csr-only --generate \
		--key "pkcs11:token=root;object=inter;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$tmp/pin" \
		>"$tmp/out" 2>&1 && [ ! -e "$c/secrets/intermediate.key" ]
	ok $? "init --csr-only --key URI --generate: no key file"
	"$PICA" root sign "$c/intermediate.csr" --root "$tmp/file-root" \
		--out "$tmp/tokinter.pem" --not-after 8760h --path-len 1 >/dev/null &&
		"$PICA" init "$c" --intermediate-cert "$tmp/tokinter.pem" \
		--root-cert "$tmp/file-root/certs/root.pem" >/dev/null &&
		PICA_CONFIG=$c/pica.json "$PICA" issue t.test "$tmp/t.crt" \
		"$tmp/t.key" >/dev/null && verify_chain "$tmp/t.crt" "$c" >/dev/null
	ok $? "signed, completed, issuing with the token key"
	end=$(date -d "$(openssl x509 -in "$tmp/tokinter.pem" -noout -enddate | cut -d= -f2)" +%s)
	days=$(( (end - $(date +%s)) / 86400 ))
	[ "$days" -ge 364 ] && [ "$days" -le 365 ]
	ok $? "--not-after 8760h: $days days"
	like "$(openssl x509 -in "$tmp/tokinter.pem" -noout -ext basicConstraints)" \
		'pathlen:1' "--path-len 1"
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		t_n=$((t_n + 1))
		echo "ok $t_n # SKIP SoftHSM2 not installed"
	done
fi
done_testing
