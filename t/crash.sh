#!/bin/sh
# A process issuing in a loop is killed with SIGKILL mid-run, several
# times, while another keeps issuing under a supervisor (as systemd runs
# the FastCGI programs).  Afterwards every certificate any of them printed
# is in the store, the store verifies, and issuance goes on without
# anybody restoring anything by hand.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 10

make_ca; ok $? "CA made"
KILLS=6

# The survivor's supervisor restarts it when it exits 75: the store was
# recovered under it while it waited (DESIGN.md section 3).
supervise() {
	while [ ! -e "$tmp/stop" ]; do
		"$T_BUILDDIR/stress" "$PICA_CONFIG" 1000000 survivor \
			>>"$tmp/survivor" 2>>"$tmp/survivor.err" &
		echo $! >"$tmp/survivor.pid"
		wait $!
		st=$?
		echo $st >>"$tmp/survivor.exits"
		[ $st -eq 75 ] || break
	done
}
: >"$tmp/survivor"
supervise &
sup=$!
t_pids="$t_pids $sup"
sleep 0.3

i=0
while [ $i -lt $KILLS ]; do
	i=$((i + 1))
	start_bg "$T_BUILDDIR/stress" "$PICA_CONFIG" 1000000 "victim$i" >"$tmp/victim.$i" 2>/dev/null
	# Let it get going, then kill it at an arbitrary point.
	sleep "0.$(( (i * 37) % 5 + 3 ))"
	kill -9 "$bg_pid"
	wait "$bg_pid" 2>/dev/null
done
printed=$(cat "$tmp"/victim.* | wc -l)
test "$printed" -gt 0; ok $? "the killed processes had issued ($printed certificates)"

# New processes open the store after the crashes and issue at once.
# Exit 75 means the store was wedged by a process killed holding a
# mutex: pica left the recovery hint and asks to be run again (pica(8)),
# as a supervisor would do for a FastCGI program.
"$PICA" issue after.test "$tmp/after.crt" "$tmp/after.key" >/dev/null 2>"$tmp/after.err"
st=$?
if [ $st -eq 75 ]; then
	diag "pica issue exited 75 (store recovered under it); running it again"
	"$PICA" issue after.test "$tmp/after.crt" "$tmp/after.key" --force \
		>/dev/null 2>"$tmp/after.err"
	st=$?
fi
[ $st -eq 0 ] || { diag "exit status $st"; sed 's/^/# /' "$tmp/after.err" | grep -v BDB0113 | tail -5; }
ok $st "pica issue works after the kills"
"$T_BUILDDIR/stress" "$PICA_CONFIG" 20 fresh >"$tmp/fresh" 2>"$tmp/fresh.err"
ok $? "a fresh issuing process works"

# The supervised survivor goes on issuing (within a few seconds: a
# stranded one exits after 15 s and is started again).
n1=$(wc -l <"$tmp/survivor")
tries=0
while [ "$(wc -l <"$tmp/survivor")" -le "$n1" ] && [ $tries -lt 100 ]; do
	sleep 0.25
	tries=$((tries + 1))
done
n2=$(wc -l <"$tmp/survivor")
test "$n2" -gt "$n1"; ok $? "the survivor goes on issuing ($n1 then $n2)"
touch "$tmp/stop"
kill "$(cat "$tmp/survivor.pid")" 2>/dev/null
wait "$sup" 2>/dev/null
bad=$(grep -v -x -e 75 -e 143 "$tmp/survivor.exits" | tr '\n' ' ')
is "$bad" "" "the survivor only ever exited to be restarted (exits: $(tr '\n' ' ' <"$tmp/survivor.exits"))"
[ -z "$bad" ] || sed 's/^/# /' "$tmp/survivor.err" | grep -v BDB0113 | tail -5

cat "$tmp"/victim.* "$tmp/survivor" "$tmp/fresh" | sort >"$tmp/printed"
"$PICA" list | cut -d' ' -f1 | sort >"$tmp/stored"
is "$(comm -23 "$tmp/printed" "$tmp/stored" | wc -l)" 0 "every printed serial is in the store"
is "$(sort -u "$tmp/printed" | wc -l)" "$(wc -l <"$tmp/printed")" "no serial printed twice"
verify_store "$tmp/ca/db" >"$tmp/verify" 2>&1
ok $? "db5.3_verify is clean"
sed 's/^/# /' "$tmp/verify"
"$PICA" backup "$tmp/bak" >/dev/null && "$PICA" backup --verify "$tmp/bak" >/dev/null
ok $? "a backup after the crashes verifies"
done_testing
