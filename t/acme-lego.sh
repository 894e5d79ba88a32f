#!/bin/sh
# pica demo end to end with lego: http-01, tls-alpn-01 and dns-01 (a
# wildcard too) for DNS names, http-01 for an IP identifier (RFC 8738),
# a forced renewal.  Test names resolve to 127.0.0.1 for the CA through
# acme.resolver pointing at pebble-challtestsrv, which also holds the
# TXT records lego's exec provider sets for dns-01.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
export PICA_LIBEXEC_DIR=${PICA_LIBEXEC_DIR:-$(dirname "$PICA")/../cgi-bin}

require_cmds lego pebble-challtestsrv spawn-fcgi curl openssl nginx
# Everything is on loopback: no proxy may stand in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'

plan 47

# Free loopback ports, all held at once so that they differ: HTTPS,
# plain HTTP, http-01, tls-alpn-01, mock DNS, its management API.
set -- $(free_ports 6)
https_port=$1 http_port=$2 chall_port=$3 tls_port=$4 dns_port=$5 mgmt_port=$6
ca=$tmp/ca
dir_url=https://127.0.0.1:$https_port/acme/directory
root=$ca/certs/root.pem
inter=$ca/certs/intermediate.pem

# 1. The CA, validating on our ports and resolving through the mock DNS.
"$PICA" init "$ca" --name "Test" --dns localhost \
	--url "https://127.0.0.1:$https_port" \
	--http-url "http://127.0.0.1:$http_port" >"$tmp/init.out" 2>&1 &&
edit_config "$ca/pica.json" "
a = c.setdefault('acme', {})
a['httpPort'] = $chall_port
a['tlsPort'] = $tls_port
a['resolver'] = '127.0.0.1:$dns_port'"
ok $? "CA made: httpPort $chall_port, tlsPort $tls_port, resolver :$dns_port"
export PICA_CONFIG=$ca/pica.json

# 2. The mock DNS: every A query is 127.0.0.1, TXT records set by API.
start_bg pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
	-dns01 "127.0.0.1:$dns_port" -http01 "" -https01 "" -tlsalpn01 "" \
	-management "127.0.0.1:$mgmt_port" >"$tmp/challtest.out" 2>&1
chall_pid=$bg_pid
i=0
until curl -s -o /dev/null -d '{"host":"probe.test.","value":"x"}' \
    "http://127.0.0.1:$mgmt_port/set-txt"; do
	i=$((i + 1))
	[ $i -lt 100 ] || break
	sleep 0.1
done
ok $? "pebble-challtestsrv answers on its management port"

# lego's dns-01 exec provider: $1 present|cleanup, $2 fqdn, $3 value.
cat >"$tmp/dnsexec.sh" <<EOF
#!/bin/sh
case "\$1" in
present) curl -s -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" \
	http://127.0.0.1:$mgmt_port/set-txt ;;
cleanup) curl -s -d "{\"host\":\"\$2\"}" \
	http://127.0.0.1:$mgmt_port/clear-txt ;;
esac
EOF
chmod +x "$tmp/dnsexec.sh"

# lg DIR ARGS...: lego with its state in $tmp/DIR, its output in
# $tmp/DIR.out (the last lines shown when it fails).
lg() {
	d=$1
	shift
	LEGO_CA_CERTIFICATES=$root EXEC_PATH=$tmp/dnsexec.sh \
	EXEC_PROPAGATION_TIMEOUT=10 EXEC_POLLING_INTERVAL=1 \
	EXEC_SEQUENCE_INTERVAL=1 timeout 60 lego --server "$dir_url" --accept-tos \
		--email ops@example.test --path "$tmp/$d" "$@" \
		>"$tmp/$d.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ -z "${lg_quiet:-}" ]; then
		diag "lego $*: exit status $rc"
		sed 's/^/#   /' "$tmp/$d.out" | tail -15
	fi
	return $rc
}

# The SANs of a PEM certificate, sorted, comma-separated.
sans() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
		sed 1d | tr ',' '\n' | sed 's/^ *//; /^$/d' | sort |
		paste -sd, -
}

# check DIR FILE WANT-SANS WHAT: the leaf verifies, its SANs are WANT.
check() {
	crt=$tmp/$1/certificates/$2.crt
	openssl verify -CAfile "$root" -untrusted "$inter" "$crt" \
		>"$tmp/verify.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/verify.out"
	ok $rc "$4: openssl verify accepts it"
	is "$(sans "$crt")" "$3" "$4: the SANs are $3"
}

# One round of sections 3 to 10 with the web server $1.
round() {
	server=$1
	# 3. The demo under the web server of this round.
	start_demo "$ca" "$server" "$https_port" "$http_port" "$tmp/demo-$server"
	ok $? "$server: the directory answers, the demo says ready"

	# 4. http-01 for a DNS name.
	lg $server-lego-http --http --http.port "127.0.0.1:$chall_port" \
		--domains a.test run
	ok $? "$server: http-01: lego run -d a.test"
	check $server-lego-http a.test "DNS:a.test" "$server: http-01"

	# 5. tls-alpn-01.
	lg $server-lego-tls --tls --tls.port "127.0.0.1:$tls_port" --domains b.test run
	ok $? "$server: tls-alpn-01: lego run -d b.test"
	check $server-lego-tls b.test "DNS:b.test" "$server: tls-alpn-01"

	# 6. dns-01 through the exec provider, a wildcard and its base name.
	lg $server-lego-dns --dns exec --dns.resolvers "127.0.0.1:$dns_port" \
		--dns.disable-cp --domains '*.wild.test' --domains wild.test run
	ok $? "$server: dns-01: lego run -d '*.wild.test' -d wild.test"
	check $server-lego-dns _.wild.test "DNS:*.wild.test,DNS:wild.test" "$server: dns-01"

	# 7. An IP identifier (RFC 8738) with http-01.  lego 4.9 sends every
	# --domains value as a "dns" identifier (the "ip" type came in a later
	# lego); pica rightly refuses a dns identifier that is an IP address.
	# Then the three checks are skipped, saying why; a lego that sends "ip"
	# gets them run.
	lg_quiet=1 lg $server-lego-ip --http --http.port "127.0.0.1:$chall_port" \
		--domains 127.0.0.1 run
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'rejectedIdentifier :: DNS name "127\.0\.0\.1"' \
	    "$tmp/$server-lego-ip.out"; then
		why="this lego sends 127.0.0.1 as a dns identifier, not ip (RFC 8738)"
		for what in "lego run -d 127.0.0.1" "openssl verify" "SANs"; do
			t_n=$((t_n + 1))
			echo "ok $t_n # SKIP IP identifier: $what: $why"
		done
	else
		[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/$server-lego-ip.out" | tail -15
		ok $rc "$server: IP identifier: lego run -d 127.0.0.1 (http-01)"
		check $server-lego-ip 127.0.0.1 "IP Address:127.0.0.1" "$server: IP identifier"
	fi

	# 8. A forced renewal gives a new certificate.
	serial=$(pem_serial "$tmp/$server-lego-http/certificates/a.test.crt")
	lg $server-lego-http --http --http.port "127.0.0.1:$chall_port" \
		--domains a.test renew --days 10000 --no-random-sleep
	ok $? "$server: lego renew --days 10000 -d a.test"
	serial2=$(pem_serial "$tmp/$server-lego-http/certificates/a.test.crt")
	[ -n "$serial2" ] && [ "$serial2" != "$serial" ]
	ok $? "$server: the renewed certificate has a new serial"
	check $server-lego-http a.test "DNS:a.test" "$server: renewed"
	like "$("$PICA" show "$serial2" 2>&1)" 'Status: +good' \
		"$server: the store knows the renewed certificate, good"

	# 9. Revocation with lego (the account's key); first with a reason
	# no CA gives (certificateHold).
	lg_quiet=1 lg $server-lego-http --domains a.test revoke --reason 6 --keep
	like "$(cat "$tmp/$server-lego-http.out")" 'badRevocationReason' \
		"$server: lego revoke --reason 6: badRevocationReason"
	lg $server-lego-http --domains a.test revoke --reason 4 --keep
	ok $? "$server: lego revoke -d a.test --reason 4"
	like "$("$PICA" show "$serial2" 2>&1 | tr '\n' ' ')" \
		'Status: +revoked.*superseded' \
		"$server: the store has it revoked, superseded"

	# 10. Stop the demo by its PID.
	stop_demo
	ok $? "$server: the demo stops on SIGTERM with status 0"
}

round nginx
round lighttpd

# The mock DNS, by its PID; nothing of the demo may be left.
kill -TERM "$chall_pid"
wait "$chall_pid" 2>/dev/null
t_pids=$(echo "$t_pids" | sed "s/ $chall_pid\$//; s/ $chall_pid / /")
is "$(pgrep -af "$ca")" "" "no process of the demo is left"
done_testing
