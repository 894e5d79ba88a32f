#!/bin/sh
# The FastCGI layer without a web server: each program is started by
# spawn-fcgi on a Unix socket and driven by libfcgi's own client,
# cgi-fcgi, as a web server would drive it.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 12

make_ca; ok $? "CA made"

fcgi_spawn acme-directory
out=$(fcgi_call acme-directory GET /acme/directory)
like "$out" '^Status: 200 OK' "directory: 200"
like "$out" 'Content-Type: application/json' "directory: JSON"
like "$out" '"newOrder":"https://ca.test:8443/acme/new-order"' "URLs built from externalURL"
len=$(printf '%s' "$out" | sed -n 's/^Content-Length: //p' | tr -d '\r')
bodylen=$(printf '%s' "$out" | sed '1,/^\r*$/d' | wc -c)
is "$len" "$bodylen" "Content-Length is the body's length"
like "$(fcgi_call acme-directory POST /acme/directory '{}' application/json)" '^Status: 405' "POST to the directory: 405"

fcgi_spawn acme-nonce
out=$(fcgi_call acme-nonce HEAD /acme/new-nonce)
like "$out" '^Status: 200 OK' "HEAD newNonce: 200"
like "$out" 'Replay-Nonce: [A-Za-z0-9_-]{22}' "with a Replay-Nonce"
like "$(fcgi_call acme-nonce GET /acme/new-nonce)" '^Status: 204' "GET newNonce: 204"

fcgi_spawn acme-account
out=$(fcgi_call acme-account POST /acme/new-account '{}' application/json)
like "$out" '^Status: 415' "wrong Content-Type: 415"
like "$out" 'urn:ietf:params:acme:error:malformed' "as a problem document"
out=$(REQUEST_METHOD=POST REQUEST_URI=/acme/new-account CONTENT_TYPE=application/jose+json \
	CONTENT_LENGTH=100000 cgi-fcgi -bind -connect "$tmp/acme-account.sock" </dev/null)
like "$out" '^Status: 413' "a body over 64 KiB is refused unread: 413"
done_testing
