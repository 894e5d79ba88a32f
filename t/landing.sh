#!/bin/sh
# The landing page: written by pica init (not by --csr-only, then by its
# completion), pica www and pica demo; what a browser shows of it (headless
# Chromium, phone-sized) is the live CA: its name as typed, its
# fingerprints, its ACME directory, links that download its own files, and
# nothing fetched from anywhere else.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

require_cmds chromium nginx spawn-fcgi curl openssl
plan 38

# fpr CERT: its SHA-256 fingerprint as openssl prints it.
fpr() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'
}

# The live (not zombie) processes of Chromium's process group.
chromium_left() {
	ps -e -o pid=,pgid=,stat=,args= |
		awk -v g="$chromium_pgid" '$2 == g && $3 !~ /^Z/'
}

# browse OUT ARGS...: headless Chromium, its output in OUT, in its own
# process group (timeout makes one), with a profile and a HOME under $tmp.
# The group is killed when the test ends early; browse fails when any of
# it outlives Chromium.
browse() {
	t_out=$1
	shift
	start_bg env HOME="$tmp" timeout -k 5 90 chromium --headless \
		--no-sandbox --disable-gpu --ignore-certificate-errors \
		--user-data-dir="$tmp/chromium" --no-first-run \
		--disable-extensions --disable-sync --hide-scrollbars \
		--force-device-scale-factor=1 "$@" >"$t_out" 2>>"$tmp/chromium.err"
	chromium_pgid=$bg_pid
	wait "$bg_pid"
	t_rc=$?
	t_pids=$(echo "$t_pids" | sed "s/ $bg_pid\$//; s/ $bg_pid / /")
	# Its helpers end with it (zombies left to init are not running).
	i=0
	while [ -n "$(chromium_left)" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -n "$(chromium_left)" ]; then
		diag "chromium left running:"
		chromium_left | sed 's/^/#   /'
		kill -9 -- "-$chromium_pgid" 2>/dev/null
		return 1
	fi
	chromium_pgid=
	[ "$t_rc" -eq 0 ] || diag "chromium: exit status $t_rc"
	return $t_rc
}
chromium_pgid=
trap '[ -n "$chromium_pgid" ] && kill -9 -- "-$chromium_pgid" 2>/dev/null
	t_cleanup' EXIT

set -- $(free_ports 2)
https=$1 http=$2
ca=$tmp/ca www=$tmp/ca/www
name='Test <Lab> & "Co"'
escaped='Test &lt;Lab&gt; &amp; &quot;Co&quot;'

# --- pica init, pica www ---------------------------------------------------
"$PICA" init "$ca" --name "$name" --dns localhost \
	--url "https://127.0.0.1:$https" --http-url "http://127.0.0.1:$http" \
	>"$tmp/init.out" 2>&1
ok $? "pica init"
! grep -q 'warning' "$tmp/init.out"; ok $? "pica init says no warning"
test -s "$www/index.html" && test -s "$www/pica.css"
ok $? "pica init writes index.html and pica.css"
is "$(stat -c %a "$www/index.html" "$www/pica.css" "$www/root.crt" \
	"$www/intermediate.crt" | tr '\n' ' ')" "644 644 644 644 " \
	"the page, its style and the DER certificates are 0644"
ls -a "$www" | grep -q tmp; is $? 1 "no temporary file left in www/"
grep -qF "<h1 id=\"ca-name\">$escaped</h1>" "$www/index.html" &&
	! grep -q '<Lab>' "$www/index.html"
ok $? "the CA's name is HTML-escaped"
! grep -Eq '@[A-Z][A-Z0-9_]*@' "$www/index.html"
ok $? "no placeholder is left"
openssl x509 -in "$ca/certs/root.pem" -outform DER | cmp -s - "$www/root.crt"
ok $? "root.crt is the root in DER"
openssl x509 -in "$ca/certs/intermediate.pem" -outform DER |
	cmp -s - "$www/intermediate.crt"
ok $? "intermediate.crt is the intermediate in DER"
b64=$(base64 -w0 "$ca/certs/root.pem")
grep -qF "caBundle: $b64" "$www/index.html"
ok $? "cert-manager's caBundle is the root's PEM in base64"

cp "$www/index.html" "$tmp/index.before"
rm "$www/pica.css"
out=$("$PICA" -c "$ca/pica.json" www 2>&1)
ok $? "pica www"
like "$out" "Wrote $www/index.html" "pica www says what it wrote"
cmp -s "$www/index.html" "$tmp/index.before" && test -s "$www/pica.css"
ok $? "pica www writes the same page again, and the missing pica.css"
"$PICA" www --help | grep -q 'landing page'
ok $? "pica www --help"
fails_with 2 'usage' "pica www takes no argument" -- "$PICA" www extra

# --- an offline root: no page before the intermediate comes ---------------
"$PICA" root init "$tmp/root" --name Offline >/dev/null 2>&1 &&
	"$PICA" init "$tmp/csr" --name Offline --dns ca.test \
	--url https://ca.test:8443 --csr-only >/dev/null 2>&1
ok $? "pica init --csr-only"
test ! -e "$tmp/csr/www/index.html"; ok $? "--csr-only: no landing page yet"
"$PICA" root sign "$tmp/csr/intermediate.csr" --root "$tmp/root" \
	--out "$tmp/inter.pem" >/dev/null 2>&1 &&
	"$PICA" init "$tmp/csr" --intermediate-cert "$tmp/inter.pem" \
	--root-cert "$tmp/root/certs/root.pem" >/dev/null 2>&1 &&
	grep -qF "id=\"root-fingerprint\">$(fpr "$tmp/root/certs/root.pem")<" \
	"$tmp/csr/www/index.html"
ok $? "--intermediate-cert: the page, with the offline root's fingerprint"

# --- the demo, in a browser ------------------------------------------------
start_demo "$ca" nginx "$https" "$http" "$tmp/demo"
ok $? "pica demo starts"
base=https://127.0.0.1:$https

browse "$tmp/dom.html" --dump-dom "$base/"
ok $? "Chromium renders $base/"
grep -qF "<h1 id=\"ca-name\">Test &lt;Lab&gt; &amp; \"Co\"</h1>" "$tmp/dom.html"
ok $? "the browser shows the CA's name as text"
grep -qF "id=\"root-fingerprint\">$(fpr "$ca/certs/root.pem")<" "$tmp/dom.html"
ok $? "the root's fingerprint is openssl's"
grep -qF "id=\"intermediate-fingerprint\">$(fpr "$ca/certs/intermediate.pem")<" \
	"$tmp/dom.html"
ok $? "the intermediate's fingerprint is openssl's"
want=$(/usr/bin/python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["externalURL"] + "/acme/directory")' \
	"$ca/pica.json")
is "$(sed -n 's/.*id="acme-directory">\([^<]*\)<.*/\1/p' "$tmp/dom.html")" \
	"$want" "the ACME directory URL is the configured one"
curl -sf --cacert "$ca/certs/root.pem" "$want" | grep -q newNonce
ok $? "and it answers"
grep -qF "id=\"crl-url\">http://127.0.0.1:$http/crl<" "$tmp/dom.html" &&
	grep -qF "id=\"ocsp-url\">http://127.0.0.1:$http/ocsp<" "$tmp/dom.html"
ok $? "the CRL and OCSP URLs are the configured ones"

# Every download link, as the browser resolved nothing: relative to "/".
grep -Eo 'href="[^"]*"' "$tmp/dom.html" | sed 's/^href="//; s/"$//' |
	grep -E '(\.pem|\.crt|crl)$' | sort -u >"$tmp/links"
is "$(tr '\n' ' ' <"$tmp/links")" \
	"crl crl.pem intermediate.crt intermediates.pem root.crt roots.pem " \
	"the page links the certificates and the CRL"
bad=
while read -r l; do
	case $l in
	http://* | https://*) url=$l ;;
	*) url=$base/$l ;;
	esac
	code=$(curl -s --cacert "$ca/certs/root.pem" -o "$tmp/dl-$l" \
		-w '%{http_code}' "$url")
	[ "$code" = 200 ] || bad="$bad $l:$code"
done <"$tmp/links"
is "$bad" "" "every download link answers 200"
cmp -s "$tmp/dl-roots.pem" "$ca/certs/root.pem"
ok $? "roots.pem downloads the CA's root, byte for byte"
openssl x509 -in "$ca/certs/root.pem" -outform DER | cmp -s - "$tmp/dl-root.crt"
ok $? "root.crt downloads the CA's root in DER"
openssl crl -in "$tmp/dl-crl" -inform DER -noout 2>/dev/null
ok $? "crl downloads a CRL"

# Nothing from elsewhere: no src= at all, and absolute URLs only to the CA.
! grep -Eqi '<(script|img|iframe|object|embed|video|audio|source)[ >]|src=' \
	"$tmp/dom.html"
ok $? "no script, image or other embedded resource"
grep -Eo '<link [^>]*>' "$tmp/dom.html" >"$tmp/link-tags"
! grep -Eq 'href="(https?:)?//' "$tmp/link-tags" &&
	grep -q 'href="pica.css"' "$tmp/link-tags"
ok $? "the only stylesheet is the CA's own pica.css"
grep -Eo '(href|src)="[a-z]+://[^/"]*' "$tmp/dom.html" |
	sed 's/.*:\/\///' | grep -Ev "^127\.0\.0\.1:($https|$http)\$" |
	sort -u >"$tmp/hosts"
is "$(tr '\n' ' ' <"$tmp/hosts")" "" "no link to another host"
! grep -Eq 'url\(|@import' "$www/pica.css"; ok $? "pica.css loads nothing"

# Phone-sized (a Pixel 7's viewport): a PNG of that size, kept for a look.
rm -f "$tmp/landing.png"
browse /dev/null --screenshot="$tmp/landing.png" --window-size=412,915 \
	"$base/"
ok $? "Chromium takes a phone-sized screenshot"
is "$(/usr/bin/python3 -c 'import struct, sys
d = open(sys.argv[1], "rb").read()
ok = d[:8] == b"\x89PNG\r\n\x1a\n" and len(d) > 20000
print("%dx%d" % struct.unpack(">II", d[16:24]) if ok else "bad (%d bytes)" % len(d))' \
	"$tmp/landing.png" 2>&1)" "412x915" "the screenshot is a 412x915 PNG of some substance"
cp "$tmp/landing.png" "$T_BUILDDIR/landing.png" 2>/dev/null &&
	diag "screenshot: $T_BUILDDIR/landing.png"

stop_demo; ok $? "the demo stops"
done_testing
