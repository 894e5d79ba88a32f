#!/bin/sh
# pica init: what it makes, what it refuses.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 27

"$PICA" --help >/dev/null; ok $? "pica --help"
"$PICA" init --help | grep -q -- '--name'; ok $? "pica init --help names --name"
fails_with 2 'unknown command' "unknown verb is a usage error" -- "$PICA" frob
fails_with 2 'required' "init without --name" -- "$PICA" init "$tmp/x"
test ! -e "$tmp/x"; ok $? "nothing made without --name"

out=$("$PICA" init "$tmp/ca" --name "Test Lab" --dns ca.test --dns ca2.test \
	--url https://ca.test:8443 2>&1)
ok $? "pica init"
like "$out" 'Root fingerprint: +([0-9A-F]{2}:){31}[0-9A-F]{2}' "prints the root fingerprint"
fpr=$(openssl x509 -in "$tmp/ca/certs/root.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
like "$out" "$fpr" "the fingerprint is the root's SHA-256"

for f in pica.json certs/root.pem certs/intermediate.pem secrets/root.key \
	secrets/intermediate.key www/roots.pem templates/server.tpl; do
	test -s "$tmp/ca/$f" || { diag "missing $f"; false; }
done
ok $? "files in place"
is "$(stat -c %a "$tmp/ca/secrets")" 700 "secrets/ is 0700"
is "$(stat -c %a "$tmp/ca/secrets/intermediate.key") $(stat -c %a "$tmp/ca/secrets/root.key")" "600 600" "keys are 0600"
test -f "$tmp/ca/db/certs.db"; ok $? "store created"
ls -a "$tmp" | grep -q '\.init-'; is $? 1 "no temporary directory left"

openssl verify -CAfile "$tmp/ca/certs/root.pem" "$tmp/ca/certs/intermediate.pem" >/dev/null
ok $? "intermediate verifies against root"
text=$(openssl x509 -in "$tmp/ca/certs/intermediate.pem" -noout -text)
like "$text" 'CA:TRUE, pathlen:0' "intermediate: CA, pathlen 0"
like "$text" 'Subject: O = Test Lab, CN = Test Lab Intermediate CA' "intermediate subject"
like "$text" 'Certificate Sign, CRL Sign' "intermediate key usage"

PICA_CONFIG=$tmp/ca/pica.json "$PICA" list >/dev/null; ok $? "pica.json loads"
like "$(cat "$tmp/ca/pica.json")" '"externalURL": "https://ca.test:8443"' "externalURL from --url"

before=$(ls -lR "$tmp/ca" | md5sum)
fails_with 1 'refusing to overwrite' "init refuses an existing CA" -- \
	"$PICA" init "$tmp/ca" --name Other --dns x.test
is "$(ls -lR "$tmp/ca" | md5sum)" "$before" "existing CA untouched"

"$PICA" init "$tmp/rsa" --name R --dns r.test --kty RSA --size 3072 >/dev/null 2>&1
ok $? "init with RSA 3072"
like "$(openssl x509 -in "$tmp/rsa/certs/intermediate.pem" -noout -text)" 'Public-Key: \(3072 bit\)' "RSA 3072 intermediate"

mkdir "$tmp/nonempty" && echo hi >"$tmp/nonempty/README"
"$PICA" init "$tmp/nonempty" --name N --dns n.test >/dev/null 2>&1 &&
	test -f "$tmp/nonempty/pica.json" && test -f "$tmp/nonempty/README" &&
	test -f "$tmp/nonempty/db/certs.db"
ok $? "init into a non-empty directory that holds no CA"
fails_with 1 'externalURL.*https://' "init --url http:// is refused" -- \
	"$PICA" init "$tmp/h" --name H --url http://x.test
test ! -e "$tmp/h"; ok $? "nothing made for a bad --url"

# A directory the user cannot write (root ignores modes: run as nobody).
mkdir "$tmp/ro" && chmod 0555 "$tmp/ro"
if [ "$(id -u)" -eq 0 ]; then
	chmod 0755 "$tmp"
	run="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
else
	run=""
fi
fails_with 1 'cannot create the CA' "init into a non-writable directory" -- \
	$run "$PICA" init "$tmp/ro/ca" --name N --dns n.test
done_testing
