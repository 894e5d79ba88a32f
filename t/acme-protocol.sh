#!/bin/sh
# The ACME protocol, driven by an independent client (t/acme-protocol.py,
# python3-cryptography's JWS) through nginx and the FastCGI programs that
# `pica demo` runs: accounts, orders, http-01, finalize, download, and
# the problem documents the ACME CLIs never provoke.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

https=$(free_port); http=$(free_port); http01=$(free_port)
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
	/usr/bin/python3 "$T_SRCDIR/acme-protocol.py" >"$tmp/p1.tap"
st=$?
cat "$tmp/p1.tap"
t_n=$(grep -cE '^(not )?ok ' "$tmp/p1.tap")
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
echo "1..$t_n"
[ $st -eq 0 ] && [ $st2 -eq 0 ] && [ $t_failed -eq 0 ]
