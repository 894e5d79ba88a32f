#!/bin/sh
# Revocation through pica revoke, the CRL files it publishes, and the ocsp
# program answering `openssl ocsp` through the demo's nginx and lighttpd.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
export PICA_LIBEXEC_DIR=${PICA_LIBEXEC_DIR:-$(dirname "$PICA")/../cgi-bin}

require_cmds spawn-fcgi curl openssl nginx lighttpd

plan 94

set -- $(free_ports 2)
https_port=$1 http_port=$2
ca=$tmp/ca
root=$ca/certs/root.pem
inter=$ca/certs/intermediate.pem
base=http://127.0.0.1:$http_port

"$PICA" init "$ca" --name "Test" --dns localhost \
	--url "https://127.0.0.1:$https_port" --http-url "$base" \
	>"$tmp/init.out" 2>&1
ok $? "CA made"
export PICA_CONFIG=$ca/pica.json

# The delegated responder pica init made.
txt=$(openssl x509 -in "$ca/certs/ocsp.pem" -noout -text)
like "$txt" 'OCSP Signing' "responder certificate: EKU OCSPSigning"
like "$txt" 'OCSP No Check' "responder certificate: id-pkix-ocsp-nocheck"
openssl verify -CAfile "$root" -untrusted "$inter" -purpose ocsphelper \
	"$ca/certs/ocsp.pem" >/dev/null 2>&1 ||
	openssl verify -CAfile "$root" -untrusted "$inter" \
	"$ca/certs/ocsp.pem" >/dev/null
ok $? "responder certificate verifies up to the root"

# The CRL, by hand.
out=$("$PICA" crl); ok $? "pica crl"
like "$out" '^CRL 1: 0 revoked certificates' "pica crl says what it made"
openssl crl -inform DER -in "$ca/www/crl" -noout 2>/dev/null &&
	openssl crl -in "$ca/www/crl.pem" -noout 2>/dev/null
ok $? "crl (DER) and crl.pem parse"
"$PICA" crl --if-stale >"$tmp/stale.out"
is "$(cat "$tmp/stale.out")" "" "--if-stale: a fresh CRL is left alone"

# pica crl --if-stale, as a timer runs it, renews what is due: a CRL past
# its renewal point, a responder certificate with a third of its life left.
edit_config "$PICA_CONFIG" "c['crl']['cacheDuration'] = '2s'"
"$PICA" crl >/dev/null
sleep 1.2
like "$("$PICA" crl --if-stale)" '^CRL [0-9]+:' "--if-stale: a CRL past its renewal point is made again"
edit_config "$PICA_CONFIG" "c['crl']['cacheDuration'] = '24h'"
"$PICA" issue short-ocsp.test "$tmp/short.pem" "$tmp/short.key" --profile ocsp \
	--not-before -2h --not-after 3h >/dev/null &&
	cp "$tmp/short.pem" "$ca/certs/ocsp.pem" &&
	cp "$tmp/short.key" "$ca/secrets/ocsp.key"
out=$("$PICA" crl --if-stale)
like "$out" 'OCSP responder certificate renewed' "--if-stale: a responder certificate a third from its end is renewed"
left=$(( $(date -d "$(openssl x509 -in "$ca/certs/ocsp.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ))
test "$left" -gt 86400
ok $? "the new responder certificate has ${left} s left"
is "$("$PICA" crl --if-stale)" "" "--if-stale: then nothing is due"

for n in a b c; do
	"$PICA" issue "$n.test" "$tmp/$n.crt" "$tmp/$n.key" >/dev/null
done
cdp=$(openssl x509 -in "$tmp/a.crt" -noout -ext crlDistributionPoints |
	sed -n 's/^ *URI://p')
is "$cdp" "$base/crl" "certificates carry the plain-HTTP CDP"
is "$(openssl x509 -in "$tmp/a.crt" -noout -ocsp_uri)" "$base/ocsp" \
	"certificates carry the OCSP AIA URL"
sa=$(pem_serial "$tmp/a.crt")

# Revoking publishes a new CRL at once (crl.generateOnRevoke).
n0=$(openssl crl -inform DER -in "$ca/www/crl" -noout -crlnumber | sed 's/.*=0x//')
n0=$((0x$n0))
"$PICA" revoke "$sa" --reason keyCompromise >/dev/null
ok $? "pica revoke"
crl=$(openssl crl -inform DER -in "$ca/www/crl" -noout -text | tr '\n' ' ')
like "$crl" "Serial Number: $(echo "$sa" | tr a-f A-F)" \
	"the revoked certificate is on the CRL"
like "$crl" 'Key Compromise' "with its reason"
like "$crl" "CRL Number: *[[:space:]]*$((n0 + 1)) " "the CRL number went up"
idp=$(echo "$crl" | sed -n 's/.*Issuing Distribution Point: critical *Full Name: *URI:\([^ ]*\).*/\1/p')
is "$idp" "$cdp" "the IDP names the certificates' CDP"
like "$crl" 'Authority Key Identifier' "with the authority key identifier"

vcrl() {
	openssl verify -crl_check -CAfile "$root" -untrusted "$inter" \
		-CRLfile "$1" "$2" 2>&1
}
like "$(vcrl "$ca/www/crl.pem" "$tmp/b.crt")" ': OK$' \
	"openssl verify -crl_check: good certificate OK"
like "$(vcrl "$ca/www/crl.pem" "$tmp/a.crt")" 'certificate revoked' \
	"openssl verify -crl_check: revoked certificate revoked"

# A CRL of 10,000 revoked certificates (t/stress -r) and more.
"$T_BUILDDIR/stress" -r "$PICA_CONFIG" 10000 bulk >"$tmp/bulk" 2>"$tmp/bulk.err"
ok $? "10,000 certificates issued and revoked ($(cat "$tmp/bulk.err"))"
out=$("$PICA" crl)
like "$out" '10001 revoked certificates' "pica crl: $out"
n=$(openssl crl -inform DER -in "$ca/www/crl" -noout -text |
	grep -c 'Serial Number:')
is "$n" 10001 "openssl crl parses all 10,001 entries"

# ms_since T0: milliseconds since T0 (date +%s%N).
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# in_crl FILE SERIAL: whether the DER CRL FILE lists SERIAL.
in_crl() {
	openssl crl -inform DER -in "$1" -noout -text 2>/dev/null |
		grep -q "Serial Number: $(echo "$2" | tr a-f A-F)\$"
}

# ocsp_q SERVER_URL ARGS...: openssl ocsp against the responder.
ocsp_q() {
	u=$1
	shift
	openssl ocsp -issuer "$inter" -CAfile "$root" -url "$u" "$@" 2>&1 |
		tr '\n' ' '
}

round() {
	server=$1
	start_demo "$ca" "$server" "$https_port" "$http_port" "$tmp/demo"
	ok $? "$server: demo up"

	out=$(ocsp_q "$base/ocsp" -cert "$tmp/b.crt" -cert "$tmp/a.crt")
	like "$out" 'Response verify OK' "$server: POST with nonce verifies"
	like "$out" "b.crt: good" "$server: good"
	like "$out" "a.crt: revoked" "$server: revoked"
	like "$out" "Reason: keyCompromise" "$server: with its reason"
	out=$(ocsp_q "$base/ocsp" -cert "$tmp/b.crt" -no_nonce)
	like "$out" "Response verify OK.*b.crt: good" \
		"$server: POST without nonce"
	out=$(ocsp_q "$base/ocsp" -serial 0x0123456789abcdef)
	like "$out" "0x0123456789abcdef: unknown" \
		"$server: a serial this CA never issued: unknown"
	out=$(openssl ocsp -issuer "$tmp/other/certs/intermediate.pem" \
		-serial 0x1234 -url "$base/ocsp" -no_nonce 2>&1)
	like "$out" 'unauthorized' "$server: another CA's certificate: unauthorized"

	# GET, RFC 6960 A.1: the DER request in base64, URL-encoded.
	openssl ocsp -issuer "$inter" -cert "$tmp/c.crt" -no_nonce \
		-reqout "$tmp/req.der" >/dev/null 2>&1
	b64=$(base64 -w0 "$tmp/req.der")
	curl -s -D "$tmp/h1" -o "$tmp/r1.der" "$base/ocsp/$b64"
	out=$(openssl ocsp -respin "$tmp/r1.der" -issuer "$inter" \
		-cert "$tmp/c.crt" -CAfile "$root" 2>&1 | tr '\n' ' ')
	like "$out" 'Response verify OK.*c.crt: good' "$server: GET: good"
	like "$(cat "$tmp/h1")" 'Cache-Control: max-age=[0-9]+' \
		"$server: GET answer: Cache-Control max-age"
	like "$(cat "$tmp/h1")" 'ETag: "[0-9a-f]+"' "$server: and an ETag"
	esc=$(printf %s "$b64" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
	curl -s -o "$tmp/r2.der" "$base/ocsp/$esc"
	cmp -s "$tmp/r1.der" "$tmp/r2.der"
	ok $? "$server: %-escaped GET: the same (cached) answer"

	if [ "$server" = nginx ]; then
		# The shipped nginx configuration caches GET answers (1 s).
		curl -s -D "$tmp/h3" -o /dev/null "$base/ocsp/$b64"
		like "$(cat "$tmp/h3")" 'X-Cache-Status: HIT' \
			"$server: nginx answers a repeated GET from its cache"
	fi

	# Revoked now: the program's cached answer is replaced at once, and
	# nginx's cached one lives out its second.  nginx counts validity in
	# whole seconds of its clock, so an entry stored just after a second
	# began is served for up to 2 s; the clock starts once the revocation
	# is in the store (pica revoke also writes a CRL of 10,000 entries,
	# whose time is not the cache's).
	"$PICA" revoke "$(pem_serial "$tmp/c.crt")" --reason superseded \
		>/dev/null
	t0=$(date +%s%N)
	out=$(ocsp_q "$base/ocsp" -cert "$tmp/c.crt" -no_nonce)
	like "$out" 'c.crt: revoked.*Reason: superseded' \
		"$server: POST: revoked at once, over the cached good answer"
	i=0
	while :; do
		curl -s -o "$tmp/r3.der" "$base/ocsp/$b64"
		out=$(openssl ocsp -respin "$tmp/r3.der" -issuer "$inter" \
			-cert "$tmp/c.crt" -CAfile "$root" 2>&1 | tr '\n' ' ')
		case "$out" in *'c.crt: revoked'*) break ;; esac
		i=$((i + 1))
		[ $i -lt 50 ] || break
		sleep 0.1
	done
	ms=$(ms_since "$t0")
	like "$out" 'c.crt: revoked.*Reason: superseded' \
		"$server: GET: revoked, after $ms ms"
	test "$ms" -lt $((2 * one_second + 1000))
	ok $? "$server: GET: within nginx's cache second (limit $((2 * one_second + 1000)) ms)"
	curl -s -o "$tmp/crl.der" "$base/crl"
	openssl crl -inform DER -in "$tmp/crl.der" -out "$tmp/crl.pem"
	like "$(vcrl "$tmp/crl.pem" "$tmp/c.crt")" 'certificate revoked' \
		"$server: the served CRL agrees"

	code=$(curl -s -o "$tmp/health" -w '%{http_code}' "$base/health")
	like "$code $(tr -d '\n' <"$tmp/health")" '^200 .*"status": *"ok"' \
		"$server: /health: 200, ok"

	# The big CRL is the static file, served as it is.
	curl -s -o "$tmp/served.der" "$base/crl"
	cmp -s "$tmp/served.der" "$ca/www/crl"
	ok $? "$server: /crl serves the CRL file ($(wc -c <"$ca/www/crl") bytes)"

	# One more revocation reaches OCSP and the served CRL at once: pica
	# revoke returns once the store and the CRL file hold it, so its own
	# time is the delay, and both are checked right after, untried again.
	# (Timing a polling loop instead measured the openssl processes that
	# poll, on a loaded machine.)
	"$PICA" issue "one-$server.test" "$tmp/one.crt" "$tmp/one.key" >/dev/null
	s1=$(pem_serial "$tmp/one.crt")
	t0=$(date +%s%N)
	"$PICA" revoke "$s1" --reason cessationOfOperation >/dev/null
	ms=$(ms_since "$t0")
	like "$(ocsp_q "$base/ocsp" -cert "$tmp/one.crt")" 'one.crt: revoked' \
		"$server: one more revocation: OCSP says revoked as pica revoke returns"
	curl -s -o "$tmp/served.der" "$base/crl" && in_crl "$tmp/served.der" "$s1"
	ok $? "$server: and the served CRL lists it"
	test "$ms" -lt "$one_second"
	ok $? "$server: pica revoke, CRL of 10,000 entries included, took $ms ms (limit $one_second)"

	# No CRL file, as after an ACME revocation: the crl program makes
	# one on the first fetch, and the web server serves that file after.
	n1=$(openssl crl -inform DER -in "$ca/www/crl" -noout -crlnumber)
	rm -f "$ca/www/crl" "$ca/www/crl.pem"
	code=$(curl -s -o "$tmp/made.der" -w '%{http_code} %{content_type}' "$base/crl")
	is "$code" "200 application/pkix-crl" "$server: no CRL file: /crl answered by the crl program"
	n2=$(openssl crl -inform DER -in "$tmp/made.der" -noout -crlnumber)
	[ -s "$ca/www/crl" ] && [ "$n2" != "$n1" ] && cmp -s "$tmp/made.der" "$ca/www/crl"
	ok $? "$server: a new CRL ($n1 -> $n2), written to the web root"
	in_crl "$tmp/made.der" "$s1"
	ok $? "$server: it lists the last revocation"
	rm -f "$ca/www/crl.pem"
	curl -s -o "$tmp/made.pem" "$base/crl.pem"
	openssl crl -in "$tmp/made.pem" -noout 2>/dev/null
	ok $? "$server: /crl.pem, missing too, is made and served"

	# Bad input: each gets an answer, nothing dies.
	curl -s -o "$tmp/bad1" "$base/ocsp/MEUwQz!!junk*base64"
	like "$(openssl ocsp -respin "$tmp/bad1" -resp_text 2>&1)" \
		'malformedrequest' "$server: junk GET: malformedRequest"
	head -c 40 "$tmp/req.der" >"$tmp/trunc.der"
	curl -s -o "$tmp/bad2" -H 'Content-Type: application/ocsp-request' \
		--data-binary @"$tmp/trunc.der" "$base/ocsp"
	like "$(openssl ocsp -respin "$tmp/bad2" -resp_text 2>&1)" \
		'malformedrequest' "$server: truncated DER: malformedRequest"
	head -c 1000000 /dev/zero >"$tmp/big"
	code=$(curl -s -o /dev/null -w '%{http_code}' \
		-H 'Content-Type: application/ocsp-request' \
		--data-binary @"$tmp/big" "$base/ocsp")
	is "$code" 413 "$server: a request of 1 MB: 413"
	code=$(curl -s -o /dev/null -w '%{http_code}' \
		-H 'Content-Type: text/plain' --data-binary @"$tmp/req.der" \
		"$base/ocsp")
	is "$code" 415 "$server: wrong Content-Type: 415"
	set --
	i=0
	while [ $i -lt 99 ]; do
		set -- "$@" -serial "0x$(printf '%04x' $((i + 4096)))"
		i=$((i + 1))
	done
	out=$(ocsp_q "$base/ocsp" -cert "$tmp/b.crt" "$@")
	n_unknown=$(echo "$out" | grep -o ': unknown ' | wc -l)
	like "$out" 'Response verify OK.*b.crt: good' \
		"$server: 100 requests in one: verifies, the good one good"
	is "$n_unknown" 99 "$server: and the 99 others unknown"
	pgrep -f "ocsp -c $ca/pica.json" >/dev/null
	ok $? "$server: the ocsp program never died"
	! grep -q 'ocsp was killed\|ocsp exited' "$tmp/demo.err"
	ok $? "$server: the demo restarted no ocsp program"

	stop_demo
	ok $? "$server: the demo stops with status 0"
}

# "Within one second" (the sanitizer build takes about 400 ms).
one_second=1000

"$PICA" init "$tmp/other" --name "Other" --dns other.test >/dev/null 2>&1
round nginx
# The second round starts from a good c.crt again.
"$PICA" issue c.test "$tmp/c.crt" "$tmp/c.key" --force >/dev/null
round lighttpd
done_testing
