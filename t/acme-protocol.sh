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
ACME_DIRECTORY="https://127.0.0.1:$https/acme/directory" \
CA_BUNDLE="$tmp/ca/certs/root.pem" HTTP01_PORT=$http01 \
CHAIN_CHECK="openssl verify -CAfile $tmp/ca/certs/root.pem -untrusted $tmp/ca/certs/intermediate.pem" \
	/usr/bin/python3 "$T_SRCDIR/acme-protocol.py"
st=$?
kill "$demo"
wait "$demo" 2>/dev/null
[ $st -eq 0 ] || sed 's/^/# demo: /' "$tmp/demo.log" | tail -40
exit $st
