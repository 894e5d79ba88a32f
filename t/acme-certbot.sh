#!/bin/sh
# pica demo end to end: certbot gets, then renews, a certificate through
# the demo's nginx and then its lighttpd, with http-01 on a free loopback
# port; every process the demo started is gone after SIGTERM.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
export PICA_LIBEXEC_DIR=${PICA_LIBEXEC_DIR:-$(dirname "$PICA")/../cgi-bin}

require_cmds certbot spawn-fcgi curl openssl nginx lighttpd

# The CA validates http-01 on a.test: it must resolve to 127.0.0.1.
hosts_mark="# pica test $$"
if ! getent hosts a.test | grep -q '^127\.0\.0\.1 '; then
	if [ "$(id -u)" -ne 0 ] ||
	    ! printf '127.0.0.1 a.test %s\n' "$hosts_mark" >>/etc/hosts; then
		echo "1..0 # SKIP a.test is not 127.0.0.1 (as root," \
			"the test adds it to /etc/hosts)"
		exit 0
	fi
	# Rewritten in place: /etc/hosts may be a bind mount.
	t_hosts_cleanup() {
		grep -v -F "$hosts_mark" /etc/hosts >"$tmp/hosts" &&
			cat "$tmp/hosts" >/etc/hosts
		t_cleanup
	}
	trap t_hosts_cleanup EXIT
fi

plan 20

# Three free loopback ports: HTTPS, plain HTTP, http-01.
set -- $(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
https_port=$1 http_port=$2 chall_port=$3
ca=$tmp/ca
dir_url=https://127.0.0.1:$https_port/acme/directory
root=$ca/certs/root.pem

"$PICA" init "$ca" --name "Test" --dns localhost \
	--url "https://127.0.0.1:$https_port" \
	--http-url "http://127.0.0.1:$http_port" >"$tmp/init.out" 2>&1 &&
/usr/bin/python3 - "$ca/pica.json" "$chall_port" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
d.setdefault("acme", {})["httpPort"] = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    json.dump(d, f, indent=2)
EOF
ok $? "CA made, acme.httpPort $chall_port"
export PICA_CONFIG=$ca/pica.json

# cb DIR ARGS...: certbot with its state in $tmp/DIR.
cb() {
	d=$tmp/$1
	shift
	REQUESTS_CA_BUNDLE=$root timeout 180 certbot "$@" -n \
		--config-dir "$d" --work-dir "$d" --logs-dir "$d" \
		>"$tmp/cb.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/cb.out" | tail -20
	return $rc
}

# The leaf of a certbot lineage verifies up to the root.
cb_verify() {
	openssl verify -CAfile "$root" -untrusted "$tmp/$1/live/a.test/chain.pem" \
		"$tmp/$1/live/a.test/cert.pem" >/dev/null
}

demo_round() {
	server=$1
	start_bg "$PICA" demo "$ca" --server "$server" \
		--https "127.0.0.1:$https_port" --http "127.0.0.1:$http_port" \
		>"$tmp/demo.out" 2>"$tmp/demo.err"
	demo_pid=$bg_pid
	i=0
	until curl -sf --noproxy '*' --cacert "$root" "$dir_url" >/dev/null; do
		i=$((i + 1))
		if [ $i -ge 150 ] || ! kill -0 "$demo_pid" 2>/dev/null; then
			sed 's/^/#   /' "$tmp/demo.err"
			break
		fi
		sleep 0.2
	done
	grep -q '^pica demo: ready' "$tmp/demo.out" ||
		{ sleep 1; grep -q '^pica demo: ready' "$tmp/demo.out"; }
	ok $? "$server: the directory answers, the demo says ready"

	cb "cb-$server" certonly --standalone --http-01-address 127.0.0.1 \
		--http-01-port "$chall_port" --agree-tos -m ops@example.test \
		--server "$dir_url" -d a.test
	ok $? "$server: certbot certonly -d a.test"
	cb_verify "cb-$server"
	ok $? "$server: openssl verify accepts it"
	serial=$(pem_serial "$tmp/cb-$server/live/a.test/cert.pem")
	like "$("$PICA" show "$serial" 2>&1)" 'Status: +good' \
		"$server: the store knows it, good"

	if [ "$server" = nginx ]; then
		# A program that dies is started again.
		kill -KILL $(pgrep -f "acme-order -c $ca/pica.json")
		sleep 1
		like "$(cat "$tmp/demo.err")" \
			'acme-order was killed by signal 9.*starting it again' \
			"$server: a killed program is started again"
	fi

	cb "cb-$server" renew --force-renewal --no-random-sleep-on-renew
	ok $? "$server: certbot renew --force-renewal"
	serial2=$(pem_serial "$tmp/cb-$server/live/a.test/cert.pem")
	[ -n "$serial2" ] && [ "$serial2" != "$serial" ] && cb_verify "cb-$server"
	ok $? "$server: a new certificate, new serial, verifies"

	kill -TERM "$demo_pid"
	i=0
	while kill -0 "$demo_pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "$demo_pid"
	ok $? "$server: the demo stops on SIGTERM with status 0"
	t_pids=$(echo "$t_pids" | sed "s/ $demo_pid\$//; s/ $demo_pid / /")
	left=$(pgrep -af "$ca")
	is "$left" "" "$server: no process of the demo is left"
}

demo_round nginx
demo_round lighttpd
is "$(grep -c 'BEGIN CERTIFICATE' "$ca/demo-tls.crt")" 2 \
	"the web server's certificate holds leaf and intermediate"
like "$(openssl x509 -in "$ca/demo-tls.crt" -noout -ext subjectAltName)" \
	'DNS:localhost.*IP Address:127.0.0.1' "for localhost and 127.0.0.1"
done_testing
