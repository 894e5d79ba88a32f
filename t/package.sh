#!/bin/sh
# The Debian package, installed for real: build it from this source tree
# (dpkg-buildpackage, lintian), install it with dpkg -i, make a CA under
# /etc/pica and /var/lib/pica as README.Debian says, run the installed
# units' ExecStart lines as their users and groups (systemd may be
# absent here), put nginx and then lighttpd in front with `pica
# web-config`, get a certificate with certbot, check OCSP and the CRL,
# and purge, leaving the machine as it was.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"

require_cmds dpkg-buildpackage lintian certbot spawn-fcgi nginx lighttpd \
	setpriv curl openssl
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP installing a package needs root"
	exit 0
fi
# The package is built without sanitizers: the plain build's run tests it.
if grep -q -- '-fsanitize' "$T_BUILDDIR/../Makefile" 2>/dev/null; then
	echo "1..0 # SKIP the package is tested by the build without sanitizers"
	exit 0
fi
# Never on a machine that has pica or a CA of its own.
if dpkg-query -W -f='${Status}' pica 2>/dev/null | grep -q installed ||
    [ -e /etc/pica ] || [ -e /var/lib/pica ] || getent passwd pica >/dev/null ||
    getent group pica-sign >/dev/null; then
	echo "1..0 # SKIP pica is installed here, or was: /etc/pica, /var/lib/pica or the user pica"
	exit 0
fi

plan 78

src=$(cd "$T_SRCDIR/.." && pwd)
units=/lib/systemd/system
# Directories nginx's workers (www-data) must reach.
chmod 0755 "$tmp"

# Whatever happens, the machine is left as it was.
t_package_cleanup() {
	for p in $t_pids; do
		kill -9 "$p" 2>/dev/null
	done
	dpkg --purge pica >/dev/null 2>&1
	rm -rf /etc/pica /var/lib/pica /run/pica ${made_dir:+"$made_dir"}
	getent passwd pica >/dev/null && deluser --system --quiet pica
	for g in pica-sign pica; do
		getent group "$g" >/dev/null && delgroup --system --quiet "$g"
	done
	t_cleanup
}
trap t_package_cleanup EXIT

# --- build -----------------------------------------------------------------
# The tracked files (and new ones not ignored), as a clean clone has them.
mkdir "$tmp/build" "$tmp/build/pica"
if [ -d "$src/.git" ]; then
	(cd "$src" && git ls-files -co --exclude-standard -z |
		xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$tmp/build/pica"
else
	(cd "$src" && tar -cf - --exclude=./t/*.log .) |
		tar -xf - -C "$tmp/build/pica"
fi
(cd "$tmp/build/pica" &&
	DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b \
	>"$tmp/build.log" 2>&1)
rc=$?
ok $rc "dpkg-buildpackage -us -uc -b from the source tree"
[ $rc -eq 0 ] || tail -n 30 "$tmp/build.log" | sed 's/^/#   /'
deb=$(ls "$tmp"/build/pica_*.deb 2>/dev/null | head -1)
lint=$(lintian "$deb" 2>&1 | grep -v 'running with root privileges')
is "$lint" "" "lintian: no error, no warning"

# --- install ---------------------------------------------------------------
dpkg -i "$deb" >"$tmp/dpkg.out" 2>&1
ok $? "dpkg -i"
[ -x /usr/bin/pica ] && [ -x /usr/lib/pica/acme-finalize ] &&
    [ -x /usr/lib/pica/ocsp ] && [ -x /usr/lib/pica/crl ] &&
    [ -f /usr/share/pica/templates/nginx-site.conf.in ] &&
    [ -f /usr/share/pica/templates/lighttpd-site.conf.in ] &&
    [ -f /usr/share/man/man8/pica.8.gz ] &&
    [ -f /usr/share/man/man5/pica.json.5.gz ] &&
    [ -f /usr/share/man/man5/pica-templates.5.gz ]
ok $? "installs pica, the programs in /usr/lib/pica, templates, man pages"
is "$(stat -c '%U:%G %a' /etc/pica /var/lib/pica | tr '\n' ' ')" \
	"root:pica 750 pica:www-data 750 " \
	"/etc/pica and /var/lib/pica made, owned and 0750"
getent passwd pica | grep -q ':/var/lib/pica:/usr/sbin/nologin$'
ok $? "the system user pica (no login)"
getent group pica-sign >/dev/null
ok $? "the key group pica-sign"
[ ! -e /etc/pica/pica.json ]
ok $? "no CA made by the package"
for u in pica-fcgi@.service pica-sign@.service pica-crl.service \
    pica-crl.timer pica-tls.service pica-tls.timer pica.target; do
	[ -f "$units/$u" ] || echo "missing $u"
done >"$tmp/units"
is "$(cat "$tmp/units")" "" "the units are installed"
if command -v systemd-analyze >/dev/null; then
	out=$(cd "$units" && systemd-analyze verify pica.target \
		pica-crl.timer pica-crl.service pica-tls.timer pica-tls.service \
		pica-fcgi@acme-directory.service \
		pica-fcgi@acme-challenge.service pica-sign@ocsp.service 2>&1)
	is "$out" "" "systemd-analyze verify: clean"
else
	ok 0 "# SKIP systemd-analyze not installed"
fi

# unit_field UNIT KEY: the value of KEY= in UNIT's file (a template for
# an instance), drop-ins included, the last one winning.
unit_field() {
	base=$(echo "$1" | sed 's/@[^.]*\./@./')
	cat "$units/$base" "$units/$1.d"/*.conf \
		"/etc/systemd/system/$1.d"/*.conf 2>/dev/null |
		sed -n "s/^$2=\(..*\)/\1/p" | tail -1
}

# unit_cred UNIT: setpriv's options for UNIT's User=, Group= and
# SupplementaryGroups= (names without spaces).
unit_cred() {
	groups=$(unit_field "$1" SupplementaryGroups | tr ' ' ',')
	if [ -n "$groups" ]; then
		groups=--groups=$groups
	else
		groups=--clear-groups
	fi
	# A root service keeps only its CapabilityBoundingSet=.
	caps=
	if [ "$(unit_field "$1" User)" = root ]; then
		caps=--bounding-set=-all$(unit_field "$1" CapabilityBoundingSet |
			tr 'A-Z' 'a-z' | sed 's/cap_/,+/g; s/ //g')
	fi
	echo "--reuid=$(unit_field "$1" User)" \
		"--regid=$(unit_field "$1" Group) $groups $caps --no-new-privs"
}

# as_unit UNIT CMD...: CMD with UNIT's user and groups.
as_unit() {
	u=$1
	shift
	# shellcheck disable=SC2046
	setpriv $(unit_cred "$u") -- "$@"
}

# start_unit UNIT: its ExecStart line as systemd would run it, %i
# replaced, with its credentials; setpriv and spawn-fcgi -n exec, so the
# PID is the program's.
start_unit() {
	inst=$(echo "$1" | sed -n 's/^[^@]*@\([^.]*\)\..*/\1/p')
	cmd=$(unit_field "$1" ExecStart | sed "s/%i/$inst/g")
	# shellcheck disable=SC2046,SC2086
	start_bg setpriv $(unit_cred "$1") -- $cmd
	unit_pids="$unit_pids $bg_pid"
}

# stop_units: SIGTERM to every program started, then wait for them.
stop_units() {
	for p in $unit_pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $unit_pids; do
		wait "$p" 2>/dev/null
	done
	unit_pids=
}

# Under ProtectSystem=strict a program writes only ReadWritePaths=: its
# socket's directory and the state must be there (systemd is not here to
# find out).
for u in pica-fcgi@.service pica-sign@.service; do
	rw=" $(sed -n 's/^ReadWritePaths=//p' "$units/$u") "
	sock=$(sed -n 's/^ExecStart=.* -s \([^ ]*\)\/[^/ ]* .*/\1/p' "$units/$u")
	for d in "$sock" /var/lib/pica; do
		case "$rw" in
		*" $d "*) ;;
		*) echo "$u: ReadWritePaths=$rw lacks $d" ;;
		esac
	done
done >"$tmp/rw"
is "$(cat "$tmp/rw")" "" "the units may write their sockets' directory and the state"

# --- one round per web server ------------------------------------------------
round() {
	server=$1
	set -- $(free_ports 3)
	https_port=$1 http_port=$2 chall_port=$3
	root=/etc/pica/certs/root.pem
	inter=/etc/pica/certs/intermediate.pem

	pica init /etc/pica --state /var/lib/pica --user pica \
		--key-group pica-sign --name "Package $server" \
		--url "https://127.0.0.1:$https_port" \
		--http-url "http://127.0.0.1:$http_port" >"$tmp/init.out" 2>&1 &&
	edit_config /etc/pica/pica.json \
		"c['acme']['httpPort'] = $chall_port"
	ok $? "$server: pica init /etc/pica --state /var/lib/pica --user pica --key-group pica-sign"
	is "$(stat -c '%U:%G %a' /etc/pica/pica.json \
		/etc/pica/secrets/intermediate.key /etc/pica/secrets/ocsp.key \
		/etc/pica/secrets/root.key /var/lib/pica/db | tr '\n' ' ')" \
		"root:pica 640 root:pica-sign 640 root:pica-sign 640 root:root 600 pica:pica 2770 " \
		"$server: pica.json root's, keys for pica-sign alone, the store pica's"

	# The sockets' directory, as systemd-tmpfiles makes it at boot.
	systemd-tmpfiles --create /usr/lib/tmpfiles.d/pica.conf 2>/dev/null ||
		install -d -o pica -g www-data -m 0750 /run/pica
	is "$(stat -c '%U:%G %a' /run/pica)" "pica:www-data 750" \
		"$server: /run/pica from tmpfiles.d"

	# Every program pica.target wants, as its unit runs it.
	unit_pids=
	wants=$(sed -n 's/^Wants=//p' "$units/pica.target" | tr ' ' '\n' |
		grep '@')
	# With nginx, acme-finalize gets four workers through the documented
	# multiwatch drop-in, installed where an admin puts it.
	dropin=/etc/systemd/system/pica-sign@acme-finalize.service.d
	if [ "$server" = nginx ] && command -v multiwatch >/dev/null; then
		# What mkdir -p makes goes again afterwards.
		for made_dir in /etc/systemd /etc/systemd/system "$dropin"; do
			[ -d "$made_dir" ] || break
		done
		mkdir -p "$dropin"
		cp /usr/share/doc/pica/examples/multiwatch.conf "$dropin/"
	fi
	for u in $wants; do
		start_unit "$u"
	done
	n=0
	for u in $wants; do
		inst=$(echo "$u" | sed -n 's/^[^@]*@\([^.]*\)\..*/\1/p')
		i=0
		while [ ! -S "/run/pica/$inst.sock" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -S "/run/pica/$inst.sock" ] && n=$((n + 1))
	done
	is "$n" 13 "$server: the 13 programs of pica.target listen in /run/pica"
	is "$(stat -c '%U:%G %a' /run/pica/acme-directory.sock)" \
		"pica:www-data 660" "$server: sockets pica:www-data, 0660"

	# Only the signing programs' units read the keys.
	as_unit pica-fcgi@acme-order.service \
		cat /etc/pica/secrets/intermediate.key >/dev/null 2>&1
	[ $? -ne 0 ]
	ok $? "$server: acme-order's user cannot read the CA key"
	as_unit pica-fcgi@acme-order.service \
		cat /etc/pica/secrets/ocsp.key >/dev/null 2>&1
	[ $? -ne 0 ]
	ok $? "$server: nor the OCSP responder's key"
	as_unit pica-sign@acme-finalize.service \
		cat /etc/pica/secrets/intermediate.key >/dev/null 2>&1
	ok $? "$server: acme-finalize's user reads the CA key"
	as_unit pica-sign@acme-finalize.service \
		cat /etc/pica/secrets/root.key >/dev/null 2>&1
	[ $? -ne 0 ]
	ok $? "$server: the root's key is root's alone"
	as_unit pica-fcgi@acme-order.service \
		sh -c 'echo x >>/etc/pica/pica.json' 2>/dev/null
	[ $? -ne 0 ]
	ok $? "$server: the programs cannot change pica.json"

	# The site, as README.Debian has the admin write it.
	pica web-config "$server" --cache "$tmp/ocsp-cache" \
		>"$tmp/site.conf" 2>"$tmp/webconfig.err"
	ok $? "$server: pica web-config $server"
	[ -f /etc/pica/tls/web.crt ] &&
	    verify_chain /etc/pica/tls/web.crt /etc/pica >/dev/null
	ok $? "$server: the web server's certificate, issued by the CA"
	cmp -s /usr/share/pica/templates/$server-site.conf.in \
		"$src/templates/$server-site.conf.in"
	ok $? "$server: written from the shipped template"
	if [ "$server" = nginx ]; then
		cat >"$tmp/nginx.conf" <<-EOF
		user www-data;
		daemon off;
		pid $tmp/nginx.pid;
		error_log $tmp/error.log;
		events { worker_connections 64; }
		http {
			include /etc/nginx/mime.types;
			access_log $tmp/access.log;
			client_body_temp_path $tmp/body;
			fastcgi_temp_path $tmp/fastcgi;
			proxy_temp_path $tmp/proxy;
			uwsgi_temp_path $tmp/uwsgi;
			scgi_temp_path $tmp/scgi;
			include $tmp/site.conf;
		}
		EOF
		start_bg nginx -c "$tmp/nginx.conf" -e "$tmp/error.log"
	else
		cat >"$tmp/lighttpd.conf" <<-EOF
		server.username = "www-data"
		server.groupname = "www-data"
		server.pid-file = "$tmp/lighttpd.pid"
		server.errorlog = "$tmp/log/error.log"
		server.document-root = "$tmp"
		server.bind = "127.0.0.1"
		server.port = $http_port
		index-file.names = ( "index.html" )
		include "$tmp/site.conf"
		EOF
		# lighttpd opens its log as www-data.
		install -d -o www-data "$tmp/log"
		start_bg lighttpd -D -f "$tmp/lighttpd.conf"
	fi
	web_pid=$bg_pid
	wait_url "https://127.0.0.1:$https_port/acme/directory" "$root"
	rc=$?
	ok $rc "$server: the ACME directory over HTTPS"
	[ $rc -eq 0 ] || cat "$tmp/error.log" "$tmp/log/error.log" 2>/dev/null |
		tail -n 20 | sed 's/^/#   /'


	# certbot, as a client of this CA would run it.
	REQUESTS_CA_BUNDLE=$root timeout 180 certbot certonly -n --standalone \
		--http-01-address 127.0.0.1 --http-01-port "$chall_port" \
		--agree-tos -m ops@example.test \
		--server "https://127.0.0.1:$https_port/acme/directory" \
		-d localhost --config-dir "$tmp/cb-$server" \
		--work-dir "$tmp/cb-$server" --logs-dir "$tmp/cb-$server" \
		>"$tmp/cb.out" 2>&1
	rc=$?
	ok $rc "$server: certbot certonly -d localhost"
	[ $rc -eq 0 ] || tail -n 20 "$tmp/cb.out" | sed 's/^/#   /'
	leaf=$tmp/cb-$server/live/localhost/cert.pem
	verify_chain "$leaf" /etc/pica >/dev/null 2>&1
	ok $? "$server: the certificate verifies up to the root"

	ocsp() {
		openssl ocsp -issuer "$inter" -CAfile "$root" -cert "$leaf" \
			-url "http://127.0.0.1:$http_port/ocsp" 2>&1 | tr '\n' ' '
	}
	like "$(ocsp)" 'Response verify OK.*cert.pem: good' \
		"$server: OCSP: good, signed by the responder"

	# root's pica revoke on the programs' store: the files it adds stay
	# the programs' (group pica, 0660).
	serial=$(pem_serial "$leaf")
	pica revoke "$serial" --reason keyCompromise >"$tmp/revoke.out" 2>&1
	ok $? "$server: pica revoke (as root)"
	like "$(ocsp)" 'cert.pem: revoked.*Reason: keyCompromise' \
		"$server: OCSP: revoked"
	curl -sf -o "$tmp/crl.der" "http://127.0.0.1:$http_port/crl" &&
	openssl crl -inform DER -in "$tmp/crl.der" -out "$tmp/crl.pem" &&
	cat "$root" "$inter" "$tmp/crl.pem" >"$tmp/crl-chain.pem"
	ok $? "$server: the CRL over plain HTTP"
	like "$(openssl verify -crl_check -CAfile "$tmp/crl-chain.pem" \
		-untrusted "$inter" "$leaf" 2>&1)" 'certificate revoked' \
		"$server: openssl verify -crl_check: revoked"
	# (crl.lock is opened read-only, 0644 on purpose.)
	find /var/lib/pica/db -type f ! -perm -g=rw ! -name crl.lock \
		>"$tmp/private"
	find /var/lib/pica/db ! -group pica >>"$tmp/private"
	is "$(cat "$tmp/private")" "" \
		"$server: every store file the group's, root's additions too"
	code=$(curl -s -o "$tmp/health" -w '%{http_code}' \
		"http://127.0.0.1:$http_port/health")
	is "$code" 200 "$server: /health"
	code=$(curl -s -o "$tmp/index.html" -w '%{http_code}' \
		--cacert "$root" "https://127.0.0.1:$https_port/")
	is "$code" 200 "$server: the landing page"
	fpr=$(openssl x509 -in "$root" -noout -fingerprint -sha256 |
		sed 's/.*=//')
	grep -q "$fpr" "$tmp/index.html"
	ok $? "$server: it shows the root's fingerprint"

	if [ -d "$dropin" ]; then
		is "$(pgrep -c -f '^/usr/lib/pica/acme-finalize ')" 4 \
			"$server: the multiwatch drop-in: four acme-finalize workers"
		rm -rf "$made_dir"
	elif [ "$server" = nginx ]; then
		ok 0 "# SKIP multiwatch not installed"
	fi

	# pica-tls.service: nothing while the web server's certificate is
	# good; a certificate that is not the CA's is made again.
	cond=$(unit_field pica-tls.service ExecCondition)
	start=$(unit_field pica-tls.service ExecStart)
	# shellcheck disable=SC2086
	as_unit pica-tls.service $cond >"$tmp/tls.out" 2>&1
	is "$?" 1 "$server: pica-tls.service: ExecCondition skips a good certificate"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=other -keyout /etc/pica/tls/web.key \
		-out /etc/pica/tls/web.crt >/dev/null 2>&1
	# shellcheck disable=SC2086
	as_unit pica-tls.service $cond >"$tmp/tls.out" 2>&1 &&
	as_unit pica-tls.service $start >>"$tmp/tls.out" 2>&1 &&
	verify_chain /etc/pica/tls/web.crt /etc/pica >/dev/null 2>&1
	rc=$?
	ok $rc "$server: and renews one that is not the CA's (as root, no capability but DAC_READ_SEARCH)"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$tmp/tls.out"

	# The timer's service, as it runs.
	cmd=$(unit_field pica-crl.service ExecStart)
	# shellcheck disable=SC2086
	as_unit pica-crl.service $cmd >"$tmp/crl.out" 2>&1
	ok $? "$server: pica-crl.service's ExecStart"

	kill -TERM "$web_pid"
	wait "$web_pid" 2>/dev/null
	stop_units
	ok 0 "$server: web server and programs stopped"
}

round nginx

# Purge with a CA: it stays, with the users that own it.
dpkg --purge pica >"$tmp/purge.out" 2>&1
ok $? "nginx: dpkg --purge"
like "$(cat "$tmp/purge.out")" 'CA in /etc/pica /var/lib/pica is kept' \
	"nginx: purging says the CA is kept"
[ -f /etc/pica/secrets/intermediate.key ] && [ -f /var/lib/pica/db/certs.db ]
ok $? "nginx: keys and store kept"
getent passwd pica >/dev/null
ok $? "nginx: the user pica kept (it owns them)"
[ ! -e /usr/bin/pica ] && [ ! -e /usr/lib/pica ] && [ ! -e "$units/pica.target" ]
ok $? "nginx: the package's files gone"

# The admin deletes the CA; then the second round installs again.
rm -rf /etc/pica /var/lib/pica
dpkg -i "$deb" >"$tmp/dpkg.out" 2>&1
ok $? "lighttpd: dpkg -i again (the user pica there already)"
round lighttpd

# Purge without a CA: nothing of the package is left.
rm -rf /etc/pica /var/lib/pica
dpkg --purge pica >"$tmp/purge.out" 2>&1
ok $? "lighttpd: dpkg --purge with the CA deleted"
left=
getent passwd pica >/dev/null && left="$left user:pica"
getent group pica >/dev/null && left="$left group:pica"
getent group pica-sign >/dev/null && left="$left group:pica-sign"
for p in /etc/pica /var/lib/pica /run/pica /usr/lib/pica /usr/bin/pica \
    /usr/share/pica "$units/pica.target"; do
	[ -e "$p" ] && left="$left $p"
done
is "$left" "" "lighttpd: the machine as it was"
done_testing
