#!/bin/sh
# The packaged layout without the package: pica init --state/--user/
# --key-group (ownership, refusals), root's commands on the programs'
# store, the OCSP responder's key renewed by root, and pica web-config's
# sites, checked by nginx -t and lighttpd -tt.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

require_cmds nginx lighttpd openssl
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP handing a CA to another user needs root"
	exit 0
fi
plan 41

# nobody's group and www-data stand for pica's and pica-sign.
user=nobody
ugroup=$(id -gn nobody)
kgroup=www-data
etc=$tmp/etc
state=$tmp/var
chmod 0755 "$tmp"

# --- refusals: checked before anything is made -------------------------------
fails_with 2 'goes with --state' "--user without --state" -- \
	"$PICA" init "$etc" --name T --dns t.test --user "$user"
fails_with 2 'goes with --user' "--key-group without --user" -- \
	"$PICA" init "$etc" --name T --dns t.test --state "$state" \
	--key-group "$kgroup"
fails_with 2 'no user "no-such-user"' "an unknown user" -- \
	"$PICA" init "$etc" --name T --dns t.test --state "$state" \
	--user no-such-user
fails_with 2 'no group "no-such-group"' "an unknown key group" -- \
	"$PICA" init "$etc" --name T --dns t.test --state "$state" \
	--user "$user" --key-group no-such-group
fails_with 2 'absolute path' "a relative --state" -- \
	"$PICA" init "$etc" --name T --dns t.test --state var
[ ! -e "$etc" ] && [ ! -e "$state" ]
ok $? "nothing made by a refused init"

# --- the packaged layout ---------------------------------------------------
"$PICA" init "$etc" --state "$state" --user "$user" --key-group "$kgroup" \
	--name "State" --dns state.test --url https://127.0.0.1:8443 \
	--http-url http://127.0.0.1:8080 >"$tmp/init.out" 2>&1
ok $? "pica init --state --user --key-group"
export PICA_CONFIG=$etc/pica.json
like "$(cat "$etc/pica.json")" "\"dataSource\": \"$state/db\"" \
	"pica.json: the store under the state"
like "$(cat "$etc/pica.json")" "\"www\": \"$state/www\"" \
	"pica.json: the web root under the state"
[ ! -e "$etc/db" ] && [ ! -e "$etc/www" ] && [ -f "$state/db/certs.db" ] &&
    [ -f "$state/www/roots.pem" ] && [ -f "$state/www/index.html" ] &&
    [ -f "$state/certs/ocsp.pem" ]
ok $? "store, web root, landing page, responder certificate in the state"
is "$(stat -c '%U:%G %a' "$etc" "$etc/pica.json" "$etc/secrets" \
	"$etc/secrets/intermediate.key" "$etc/secrets/ocsp.key" \
	"$etc/secrets/root.key" | tr '\n' ' ')" \
	"root:$ugroup 750 root:$ugroup 640 root:$kgroup 750 root:$kgroup 640 root:$kgroup 640 root:root 600 " \
	"config the user's group's to read, keys the key group's, the root key root's"
is "$(stat -c '%U:%G %a' "$state/db" "$state/www" "$state/certs" |
	tr '\n' ' ')" \
	"$user:$ugroup 2770 $user:$ugroup 755 $user:$ugroup 755 " \
	"the state the user's, the store setgid"
is "$(find "$state" -mindepth 1 ! -user "$user" | wc -l)" 0 \
	"every state file the user's (the directory itself is left as it is)"

fails_with 1 "$state already holds db: refusing to overwrite a CA's state" \
	"a second CA on the same state is refused" -- \
	"$PICA" init "$tmp/etc2" --state "$state" --name Two --dns two.test
[ ! -e "$tmp/etc2" ]
ok $? "and makes nothing"

# root's commands keep the store the user's group's.
"$PICA" issue a.state.test "$tmp/a.crt" "$tmp/a.key" >/dev/null 2>&1 &&
"$PICA" revoke "$(pem_serial "$tmp/a.crt")" >/dev/null 2>&1
ok $? "root issues and revokes"
is "$(find "$state/db" -type f ! -group "$ugroup" | wc -l)" 0 \
	"files root added to the store: the user's group"
is "$(find "$state/db" -type f ! -perm -g=rw ! -name crl.lock | wc -l)" 0 \
	"and the group may write them"
setpriv --reuid="$user" --regid="$ugroup" --clear-groups \
	"$PICA" list >/dev/null 2>&1
ok $? "the user reads the store root wrote"

# The responder's certificate renewed by root: a new key, still the key
# group's to read.
rm "$state/certs/ocsp.pem"
old=$(openssl pkey -in "$etc/secrets/ocsp.key" -pubout 2>/dev/null)
"$PICA" crl --if-stale >/dev/null 2>&1
ok $? "pica crl --if-stale renews the missing responder certificate"
new=$(openssl pkey -in "$etc/secrets/ocsp.key" -pubout 2>/dev/null)
[ -n "$new" ] && [ "$new" != "$old" ]
ok $? "with a new key (root may replace it)"
is "$(stat -c '%U:%G %a' "$etc/secrets/ocsp.key")" "root:$kgroup 640" \
	"the new key keeps the old one's owner, group and mode"

# A user who cannot replace the key (the units) certifies it again.
rm "$state/certs/ocsp.pem"
setpriv --reuid="$user" --regid="$ugroup" --groups="$kgroup" \
	"$PICA" crl --if-stale >/dev/null 2>"$tmp/crl.err"
ok $? "the user renews it too (reading the keys through the key group)"
is "$(openssl pkey -in "$etc/secrets/ocsp.key" -pubout 2>/dev/null)" "$new" \
	"keeping the key it cannot replace"
openssl x509 -in "$state/certs/ocsp.pem" -noout -pubkey >"$tmp/pub.pem" &&
is "$(cat "$tmp/pub.pem")" "$new" "the new certificate is for that key"

# --- web-config ------------------------------------------------------------
fails_with 2 'usage' "web-config apache: a usage error" -- \
	"$PICA" web-config apache
fails_with 2 'go together' "--cert without --key" -- \
	"$PICA" web-config nginx --cert "$tmp/x.crt"

# nginx -t and lighttpd -tt on a main configuration that includes the site.
set -- $(free_ports 2)
(cd "$etc" && "$PICA" -c pica.json web-config nginx --run "$tmp/run" \
	--cache "$tmp/cache" --https "127.0.0.1:$1" --http "127.0.0.1:$2" \
	>"$tmp/nginx-site.conf" 2>"$tmp/wc.err")
ok $? "web-config nginx (relative -c)"
like "$(cat "$tmp/nginx-site.conf")" "root $state/www;" \
	"the site names absolute paths"
like "$(grep -E 'listen|server_name' "$tmp/nginx-site.conf" | tr '\n' ' ')" \
	"listen 127.0.0.1:$1 ssl.*server_name state.test;.*listen 127.0.0.1:$2;" \
	"listens where asked, for the CA's names"
openssl x509 -in "$etc/tls/web.crt" -noout -ext subjectAltName \
	>"$tmp/san" 2>&1
like "$(cat "$tmp/san")" 'DNS:state.test.*IP Address:127.0.0.1' \
	"the web server's certificate: dnsNames and externalURL's host"
cat >"$tmp/nginx.conf" <<EOF
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { }
http { include $tmp/nginx-site.conf; }
EOF
nginx -t -q -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" 2>"$tmp/t.err"
ok $? "nginx -t accepts it"
[ $? -eq 0 ] || sed 's/^/#   /' "$tmp/t.err"

before=$(stat -c %Y "$etc/tls/web.crt")
"$PICA" web-config lighttpd --run "$tmp/run" --https "127.0.0.1:$1" \
	--http "127.0.0.1:$2" >"$tmp/lighttpd-site.conf" 2>"$tmp/wc.err"
ok $? "web-config lighttpd"
is "$(stat -c %Y "$etc/tls/web.crt") $(cat "$tmp/wc.err")" "$before " \
	"the web server's certificate, still good, is kept"
cat >"$tmp/lighttpd.conf" <<EOF
server.document-root = "$tmp"
server.bind = "127.0.0.1"
server.port = $2
include "$tmp/lighttpd-site.conf"
EOF
lighttpd -tt -f "$tmp/lighttpd.conf" >"$tmp/t.err" 2>&1
ok $? "lighttpd -tt accepts it"
# web-config tls: the certificate alone, for pica-tls.timer.
"$PICA" web-config tls --due >"$tmp/due.out" 2>&1
is "$? $(cat "$tmp/due.out")" "1 $etc/tls/web.crt is good for more than 30 days: nothing to renew" \
	"tls --due: a good certificate is not due (exit 1)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj /CN=other -keyout "$etc/tls/web.key" -out "$etc/tls/web.crt" \
	>/dev/null 2>&1
"$PICA" web-config tls --due >"$tmp/due.out" 2>&1
is "$? $(cat "$tmp/due.out")" \
	"0 $etc/tls/web.crt is not of this CA, or not its key" \
	"tls --due: another CA's certificate is due (exit 0)"
"$PICA" web-config tls >/dev/null 2>&1 &&
verify_chain "$etc/tls/web.crt" "$etc" >/dev/null 2>&1
ok $? "tls: issued again by the CA"
"$PICA" web-config tls --due --cert "$tmp/none.crt" --key "$tmp/none.key" \
	>/dev/null 2>&1
is "$?" 1 "tls --due: no certificate there, nothing to renew (exit 1)"
fails_with 2 'usage' "--due belongs to tls" -- \
	"$PICA" web-config nginx --due
(unset PICA_CONFIG; cd / && "$PICA" web-config lighttpd -c "$etc/pica.json" \
	--run "$tmp/run" --https "127.0.0.1:$1" --http "127.0.0.1:$2" |
	cmp -s - "$tmp/lighttpd-site.conf")
ok $? "-c after the command: the same site"
done_testing
