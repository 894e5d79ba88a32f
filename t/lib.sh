# lib.sh: TAP helpers for pica's shell tests.  Source it, call plan N,
# then ok/is/like/fails; every test gets its own temporary directory,
# removed at exit with every process it started (start_bg / pids).
set -u

PICA=${PICA:-$(pwd)/src/pica}
T_BUILDDIR=${T_BUILDDIR:-$(pwd)/t}
T_SRCDIR=${T_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
export PICA_TEMPLATE_DIR=${PICA_TEMPLATE_DIR:-$T_SRCDIR/../templates}

t_n=0
t_failed=0
t_pids=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pica-test.XXXXXX")

t_cleanup() {
	for p in $t_pids; do
		kill -9 "$p" 2>/dev/null
	done
	for p in $t_pids; do
		wait "$p" 2>/dev/null
	done
	chmod -R u+w "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap t_cleanup EXIT

plan() { echo "1..$1"; }
diag() { printf '# %s\n' "$*"; }

# ok COND_EXIT_STATUS DESCRIPTION: "ok $? 'what'" after a command.
ok() {
	t_n=$((t_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t_n - $2"
	else
		echo "not ok $t_n - $2"
		t_failed=$((t_failed + 1))
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:  '$1'"
		diag "want: '$2'"
	fi
}

# like TEXT REGEX DESCRIPTION (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "no match for /$2/ in:"
		printf '%s\n' "$1" | sed 's/^/#   /' | head -20
	fi
}

# fails_with CODE REGEX DESCRIPTION -- CMD...: CMD exits CODE (any
# non-zero when CODE is "nz") and says REGEX on stderr.
fails_with() {
	code=$1; re=$2; desc=$3; shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$code" = nz ] && [ "$rc" -ne 0 ] || [ "$rc" = "$code" ]; then
		like "$(cat "$tmp/err")" "$re" "$desc"
	else
		ok 1 "$desc"
		diag "exit status $rc, wanted $code; stderr:"
		sed 's/^/#   /' "$tmp/err" | head -20
	fi
}

# Start a background process and remember it for cleanup.
start_bg() {
	"$@" &
	t_pids="$t_pids $!"
	bg_pid=$!
}

# A new CA in $tmp/$1 (default "ca") with a plain-HTTP base for CDP/AIA.
make_ca() {
	dir=$tmp/${1:-ca}
	[ $# -gt 0 ] && shift
	"$PICA" init "$dir" --name "Test" --dns ca.test \
		--url https://ca.test:8443 --http-url http://ca.test:8080 "$@" \
		>"$tmp/init.out" 2>&1 || { cat "$tmp/init.out"; return 1; }
	export PICA_CONFIG=$dir/pica.json
}

# Number of certificates in the store of $PICA_CONFIG.
cert_count() { "$PICA" list | wc -l; }

# The serial of a PEM certificate as pica prints it (lower-case hex).
pem_serial() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' |
		tr 'A-F' 'a-f'
}

# openssl verify of a leaf against the CA's chain.
verify_chain() {
	openssl verify -CAfile "$2/certs/root.pem" \
		-untrusted "$2/certs/intermediate.pem" "$1"
}

done_testing() {
	echo "# $t_n tests, $t_failed failed"
	[ "$t_failed" -eq 0 ]
}

# Skip the whole test (TAP "1..0 # SKIP") unless every command named is
# installed; web servers may live in /usr/sbin, outside a user's PATH.
require_cmds() {
	for t_cmd in "$@"; do
		if ! PATH=$PATH:/usr/sbin:/sbin command -v "$t_cmd" >/dev/null 2>&1; then
			echo "1..0 # SKIP $t_cmd not installed"
			exit 0
		fi
	done
}

# free_ports N: N different free TCP ports on 127.0.0.1, on one line (the
# kernel's choice, all bound at once so that none comes twice; racy only
# in theory).
free_ports() {
	/usr/bin/python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# Wait until URL answers over TLS with the CA's root (at most 20 s).
wait_url() {
	i=0
	while ! curl -sf --cacert "$2" -o /dev/null "$1"; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.2
	done
}

# start_demo CA SERVER HTTPS_PORT HTTP_PORT LOG: `pica demo` of CA under
# the web server SERVER on 127.0.0.1, its output in LOG.out and LOG.err;
# waits (at most 30 s) until the ACME directory answers and the demo says
# ready.  demo_pid is its PID; the status says whether it came up.
start_demo() {
	start_bg "$PICA" demo "$1" --server "$2" --https "127.0.0.1:$3" \
		--http "127.0.0.1:$4" >"$5.out" 2>"$5.err"
	demo_pid=$bg_pid
	i=0
	until curl -sf --noproxy '*' --cacert "$1/certs/root.pem" -o /dev/null \
	    "https://127.0.0.1:$3/acme/directory" &&
	    grep -q '^pica demo: ready' "$5.out"; do
		i=$((i + 1))
		if [ $i -ge 150 ] || ! kill -0 "$demo_pid" 2>/dev/null; then
			sed 's/^/#   /' "$5.err"
			return 1
		fi
		sleep 0.2
	done
}

# Stop the demo start_demo started (SIGTERM, at most 10 s) and forget its
# PID; the status is the demo's exit status.
stop_demo() {
	kill -TERM "$demo_pid"
	i=0
	while kill -0 "$demo_pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "$demo_pid"
	t_rc=$?
	t_pids=$(echo "$t_pids" | sed "s/ $demo_pid\$//; s/ $demo_pid / /")
	return $t_rc
}

# fcgi_spawn NAME: start the FastCGI program cgi-bin/NAME for
# $PICA_CONFIG on $tmp/NAME.sock through spawn-fcgi, as the package does.
fcgi_spawn() {
	rm -f "$tmp/$1.sock"
	start_bg spawn-fcgi -n -s "$tmp/$1.sock" -M 0600 -- \
		"${CGI_BIN:-$(dirname "$PICA")/../cgi-bin}/$1" -c "$PICA_CONFIG"
	i=0
	while [ ! -S "$tmp/$1.sock" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# fcgi_call NAME METHOD URI [BODY [CONTENT_TYPE]]: the raw CGI response
# of NAME's program, driven by libfcgi's cgi-fcgi as a web server would.
fcgi_call() {
	body=${4:-}
	REQUEST_METHOD=$2 REQUEST_URI=$3 CONTENT_TYPE=${5:-} \
	CONTENT_LENGTH=${#body} \
		sh -c 'printf %s "$0" | cgi-fcgi -bind -connect "$1"' "$body" \
		"$tmp/$1.sock"
}

# Edit pica.json in place with a Python expression on c, the document:
# edit_config FILE 'c["acme"]["httpPort"] = 5002'
edit_config() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
p, code = sys.argv[1], sys.argv[2]
c = json.load(open(p))
exec(code)
json.dump(c, open(p, "w"), indent=2)
PY
}

# db5.3_verify on a copy of the store's database files.  Never on the
# live environment: after a SIGKILL a region mutex may still be held by
# the dead process, and db_verify, which joins the environment and has
# no watchdog, would wait for it for ever.  Run it after a pica command
# has opened and closed the store (its checkpoint flushes the cache).
verify_store() {
	copy=$tmp/verify-copy
	rm -rf "$copy"
	mkdir "$copy" && cp "$1"/*.db "$copy"/ &&
		(cd "$copy" && timeout 120 db5.3_verify -q -h . *.db)
}
