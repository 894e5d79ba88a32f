#!/bin/sh
# pica backup while the CA is issuing, and pica backup --verify.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 12

make_ca; ok $? "CA made"
for i in 1 2 3; do
	"$PICA" issue "b$i.test" "$tmp/b$i.crt" "$tmp/b$i.key" >/dev/null
done
s1=$(pem_serial "$tmp/b1.crt")
"$PICA" revoke "$s1" --reason superseded >/dev/null

# Hot: another process issues all along.
start_bg "$T_BUILDDIR/stress" "$PICA_CONFIG" 100000 hot >"$tmp/hot" 2>/dev/null
sleep 0.5
out=$("$PICA" backup "$tmp/bak" 2>&1); ok $? "backup while issuing"
diag "$out"
kill "$bg_pid"; wait "$bg_pid" 2>/dev/null

out=$("$PICA" backup --verify "$tmp/bak" 2>&1); ok $? "backup --verify"
like "$out" 'verifies: [0-9]+ certificates' "verify reports what it found"
is "$(stat -c %a "$tmp/bak/secrets")" 700 "backup secrets/ is 0700"
cmp -s "$tmp/bak/secrets/root.key" "$tmp/ca/secrets/root.key"; ok $? "root key in the backup"

# The backup is a CA directory: pica reads it as it is.
like "$("$PICA" -c "$tmp/bak/pica.json" show "$s1")" 'Status: +revoked' "revocation is in the backup"
cmp -s "$tmp/bak/certs/root.pem" "$tmp/ca/certs/root.pem"; ok $? "root certificate in the backup"
"$PICA" -c "$tmp/bak/pica.json" issue r.test "$tmp/r.crt" "$tmp/r.key" >/dev/null &&
	verify_chain "$tmp/r.crt" "$tmp/ca" >/dev/null
ok $? "a restored CA issues"

fails_with 1 'must not exist or be empty' "backup into a non-empty directory" -- \
	"$PICA" backup "$tmp/ca"

# A damaged backup does not verify.
cp -r "$tmp/bak" "$tmp/bad"
f=$tmp/bad/db/certs.db
dd if=/dev/urandom of="$f" bs=4096 seek=1 count=2 conv=notrunc 2>/dev/null
fails_with 1 'does not verify|does not open|restored' "a corrupted backup fails --verify" -- \
	"$PICA" backup --verify "$tmp/bad"
"$PICA" backup --no-keys "$tmp/nokeys" >/dev/null && test ! -e "$tmp/nokeys/secrets"
ok $? "--no-keys leaves the keys out"
done_testing
