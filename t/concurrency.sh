#!/bin/sh
# Four processes issue 250 certificates each at the same time against one
# store: 1000 distinct serials, all in the store, and db_verify clean.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 6

make_ca; ok $? "CA made"
pids=""
for i in 1 2 3 4; do
	"$T_BUILDDIR/stress" "$PICA_CONFIG" 250 "p$i" >"$tmp/serials.$i" 2>"$tmp/stress.$i" &
	pids="$pids $!"
	t_pids="$t_pids $!"
done
st=0
for p in $pids; do
	wait "$p" || st=1
done
ok $st "4 processes finished without error"
cat "$tmp"/stress.* | sed 's/^/# /'
cat "$tmp"/serials.* | sort >"$tmp/printed"
is "$(wc -l <"$tmp/printed")" 1000 "1000 serials printed"
is "$(sort -u "$tmp/printed" | wc -l)" 1000 "1000 distinct serials"
"$PICA" list | cut -d' ' -f1 | sort >"$tmp/stored"
comm -23 "$tmp/printed" "$tmp/stored" >"$tmp/missing"
is "$(wc -l <"$tmp/missing")" 0 "every printed serial is in the store"
verify_store "$tmp/ca/db" >"$tmp/verify" 2>&1
ok $? "db5.3_verify is clean"
sed 's/^/# /' "$tmp/verify"
done_testing
