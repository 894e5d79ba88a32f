#!/bin/sh
# A process issuing in a loop is killed with SIGKILL mid-run, several
# times, while another keeps issuing.  Afterwards every certificate the
# killed ones printed is in the store, the store verifies, and issuance
# goes on without anybody restoring anything by hand.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 8

make_ca; ok $? "CA made"
KILLS=6

# The survivor: a long-running issuer that must ride out the others' deaths.
start_bg "$T_BUILDDIR/stress" "$PICA_CONFIG" 100000 survivor >"$tmp/survivor" 2>"$tmp/survivor.err"
survivor=$bg_pid

i=0
while [ $i -lt $KILLS ]; do
	i=$((i + 1))
	start_bg "$T_BUILDDIR/stress" "$PICA_CONFIG" 100000 "victim$i" >"$tmp/victim.$i" 2>/dev/null
	# Let it get going, then kill it at an arbitrary point.
	sleep "0.$(( (i * 37) % 5 + 3 ))"
	kill -9 "$bg_pid"
	wait "$bg_pid" 2>/dev/null
done
printed=$(cat "$tmp"/victim.* | wc -l)
test "$printed" -gt 0; ok $? "the killed processes had issued ($printed certificates)"

# New processes open the store after the crashes and issue at once.
"$PICA" issue after.test "$tmp/after.crt" "$tmp/after.key" >/dev/null 2>"$tmp/after.err"
ok $? "pica issue works after the kills"
"$T_BUILDDIR/stress" "$PICA_CONFIG" 20 fresh >"$tmp/fresh" 2>"$tmp/fresh.err"
ok $? "a fresh issuing process works"

# The survivor is still issuing.
n1=$(wc -l <"$tmp/survivor"); sleep 1; n2=$(wc -l <"$tmp/survivor")
if kill -0 "$survivor" 2>/dev/null && [ "$n2" -gt "$n1" ]; then st=0; else st=1; fi
ok $st "the survivor kept issuing ($n1 then $n2)"
[ $st -eq 0 ] || sed 's/^/# /' "$tmp/survivor.err"
kill "$survivor"; wait "$survivor" 2>/dev/null

cat "$tmp"/victim.* "$tmp/survivor" "$tmp/fresh" | sort >"$tmp/printed"
"$PICA" list | cut -d' ' -f1 | sort >"$tmp/stored"
is "$(comm -23 "$tmp/printed" "$tmp/stored" | wc -l)" 0 "every printed serial is in the store"
is "$(sort -u "$tmp/printed" | wc -l)" "$(wc -l <"$tmp/printed")" "no serial printed twice"
(cd "$tmp/ca/db" && db5.3_verify -q -h . *.db) >"$tmp/verify" 2>&1
ok $? "db5.3_verify is clean"
sed 's/^/# /' "$tmp/verify"
done_testing
