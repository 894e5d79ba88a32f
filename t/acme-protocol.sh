#!/bin/sh
# The ACME protocol, driven by an independent client (t/acme-protocol.py,
# python3-cryptography's JWS) through nginx and the FastCGI programs that
# `pica demo` runs: accounts, orders, http-01, finalize, download, and
# the problem documents the ACME CLIs never provoke.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

set -- $(free_ports 3)
https=$1 http=$2 http01=$3
"$PICA" init "$tmp/ca" --name "Protocol Test" --dns localhost \
	--url "https://127.0.0.1:$https" --http-url "http://127.0.0.1:$http" >/dev/null ||
	{ echo "1..0 # SKIP pica init failed"; exit 1; }
edit_config "$tmp/ca/pica.json" "c['acme']['httpPort'] = $http01
c['authority']['policy'] = {'x509': {'deny': {'dns': ['*.denied.test']}}}"
start_bg "$PICA" demo "$tmp/ca" --https "127.0.0.1:$https" --http "127.0.0.1:$http" \
	>"$tmp/demo.log" 2>&1
demo=$bg_pid
if ! wait_url "https://127.0.0.1:$https/acme/directory" "$tmp/ca/certs/root.pem"; then
	echo "1..1"
	echo "not ok 1 - the demo server came up"
	sed 's/^/# /' "$tmp/demo.log" | tail -30
	exit 1
fi
# Each phase numbers its tests on from the last; the plan comes last.
ACME_DIRECTORY="https://127.0.0.1:$https/acme/directory" \
CA_BUNDLE="$tmp/ca/certs/root.pem" HTTP01_PORT=$http01 \
CHAIN_CHECK="openssl verify -CAfile $tmp/ca/certs/root.pem -untrusted $tmp/ca/certs/intermediate.pem" \
REVOKED_OUT="$tmp/revoked" \
	/usr/bin/python3 "$T_SRCDIR/acme-protocol.py" >"$tmp/p1.tap"
st=$?
cat "$tmp/p1.tap"
t_n=$(grep -cE '^(not )?ok ' "$tmp/p1.tap")
# What the ACME revocations left in the store.
n=0
while read -r s why; do
	PICA_CONFIG=$tmp/ca/pica.json "$PICA" show "$s" 2>&1 | tr '\n' ' ' |
		grep -q "Status: *revoked.*$why" && n=$((n + 1))
done <"$tmp/revoked"
is "$n" 2 "both certificates revoked over ACME are revoked in the store, with their reasons"
kill "$demo"
wait "$demo" 2>/dev/null
[ $st -eq 0 ] || sed 's/^/# demo: /' "$tmp/demo.log" | tail -40

# The same CA, now requiring External Account Binding.
edit_config "$tmp/ca/pica.json" "c['acme']['eabRequired'] = True
c['acme']['rateLimits'] = {'ordersPerAccount': '2/1h'}"
out=$(PICA_CONFIG=$tmp/ca/pica.json "$PICA" eab add --name "protocol test")
kid=$(printf '%s\n' "$out" | sed -n 's/^kid: *//p')
hmac=$(printf '%s\n' "$out" | sed -n 's/^hmac key: *//p')
test -n "$kid" && test -n "$hmac"; ok $? "pica eab add prints a kid and an HMAC key"
start_bg "$PICA" demo "$tmp/ca" --https "127.0.0.1:$https" --http "127.0.0.1:$http" \
	>"$tmp/demo2.log" 2>&1
demo=$bg_pid
wait_url "https://127.0.0.1:$https/acme/directory" "$tmp/ca/certs/root.pem"
ok $? "the demo restarts on the same CA"
TAP_OFFSET=$t_n EAB_KID=$kid EAB_HMAC=$hmac \
ACME_DIRECTORY="https://127.0.0.1:$https/acme/directory" \
CA_BUNDLE="$tmp/ca/certs/root.pem" HTTP01_PORT=$http01 CHAIN_CHECK=true \
	/usr/bin/python3 "$T_SRCDIR/acme-protocol.py" >"$tmp/p2.tap"
st2=$?
cat "$tmp/p2.tap"
t_n=$((t_n + $(grep -cE '^(not )?ok ' "$tmp/p2.tap")))
kill "$demo"
wait "$demo" 2>/dev/null
[ $st2 -eq 0 ] || sed 's/^/# demo: /' "$tmp/demo2.log" | tail -40
PICA_CONFIG=$tmp/ca/pica.json "$PICA" eab list | grep -q "^$kid .* bound"
ok $? "pica eab list shows the key bound"

# dns-01 through pebble-challtestsrv as acme.resolver; then issuance
# while workers are killed.  No EAB, no tight rate limit from here on.
set -- $(free_ports 2)
dns=$1 mgmt=$2
start_bg pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
	-dns01 "127.0.0.1:$dns" -http01 "" -https01 "" -tlsalpn01 "" \
	-management "127.0.0.1:$mgmt" >"$tmp/challtestsrv.log" 2>&1
edit_config "$tmp/ca/pica.json" "c['acme']['eabRequired'] = False
del c['acme']['rateLimits']
c['authority']['policy']['x509']['allowWildcardNames'] = True
c['acme']['resolver'] = '127.0.0.1:$dns'"
start_bg "$PICA" demo "$tmp/ca" --https "127.0.0.1:$https" --http "127.0.0.1:$http" \
	>"$tmp/demo3.log" 2>&1
demo=$bg_pid
wait_url "https://127.0.0.1:$https/acme/directory" "$tmp/ca/certs/root.pem"
ok $? "the demo restarts with acme.resolver set"
TAP_OFFSET=$t_n DNS_PHASE=1 DNS_MGMT=$mgmt \
ACME_DIRECTORY="https://127.0.0.1:$https/acme/directory" \
CA_BUNDLE="$tmp/ca/certs/root.pem" HTTP01_PORT=$http01 CHAIN_CHECK=true \
	/usr/bin/python3 "$T_SRCDIR/acme-protocol.py" >"$tmp/p3.tap"
st3=$?
cat "$tmp/p3.tap"
t_n=$((t_n + $(grep -cE '^(not )?ok ' "$tmp/p3.tap")))

# Kill a random worker every 0.3 s while 8 certificates are issued.
(
	progs="acme-nonce acme-account acme-order acme-finalize acme-authz acme-challenge acme-cert"
	while [ ! -e "$tmp/kill.stop" ]; do
		set -- $progs
		shift $(( $(od -An -N1 -tu1 /dev/urandom) % 7 ))
		pkill -9 -f "^[^ ]*/$1 -c $tmp/ca/pica.json" && echo "$1" >>"$tmp/killed"
		sleep 0.3
	done
) &
killer=$!
t_pids="$t_pids $killer"
TAP_OFFSET=$t_n KILL_COUNT=8 KILL_OUT="$tmp/issued" \
ACME_DIRECTORY="https://127.0.0.1:$https/acme/directory" \
CA_BUNDLE="$tmp/ca/certs/root.pem" HTTP01_PORT=$http01 CHAIN_CHECK=true \
	/usr/bin/python3 "$T_SRCDIR/acme-protocol.py" >"$tmp/p4.tap"
st4=$?
touch "$tmp/kill.stop"
wait "$killer" 2>/dev/null
cat "$tmp/p4.tap"
t_n=$((t_n + $(grep -cE '^(not )?ok ' "$tmp/p4.tap")))
kills=$(wc -l <"$tmp/killed" 2>/dev/null || echo 0)
test "$kills" -ge 3; ok $? "workers were killed meanwhile ($kills SIGKILLs)"
kill "$demo"
wait "$demo" 2>/dev/null
[ $st3 -eq 0 ] && [ $st4 -eq 0 ] || sed 's/^/# demo: /' "$tmp/demo3.log" | tail -40
missing=0
for s in $(cat "$tmp/issued"); do
	PICA_CONFIG=$tmp/ca/pica.json "$PICA" show "$s" 2>/dev/null | grep -q 'Status: *good' ||
		missing=$((missing + 1))
done
is "$missing" 0 "every certificate issued under kills is in the store, good"
echo "1..$t_n"
[ $st -eq 0 ] && [ $st2 -eq 0 ] && [ $st3 -eq 0 ] && [ $st4 -eq 0 ] &&
	[ $t_failed -eq 0 ]
