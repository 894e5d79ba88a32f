#!/bin/sh
# Bad input: each a clear error, and the store unchanged.
. "${T_SRCDIR:-$(dirname "$0")}/lib.sh"
plan 20

make_ca; ok $? "CA made"
"$PICA" issue ok.test "$tmp/ok.crt" "$tmp/ok.key" >/dev/null; ok $? "one good certificate"
before=$("$PICA" list)

# Garbage, a CSR with a broken signature, an RSA-1024 CSR.
head -c 700 /dev/urandom >"$tmp/garbage.csr"
fails_with 1 'not a certificate request' "garbage CSR" -- \
	"$PICA" issue --csr "$tmp/garbage.csr" "$tmp/x.crt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.key" 2>/dev/null
openssl req -new -key "$tmp/ec.key" -subj /CN=sig.test -outform DER -out "$tmp/good.der"
# The last byte of the DER is in the signature: flip it.
/usr/bin/python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-1] ^= 1; open(sys.argv[2], "wb").write(d)' \
	"$tmp/good.der" "$tmp/badsig.der"
cmp -s "$tmp/good.der" "$tmp/badsig.der"; is $? 1 "tampered CSR differs"
fails_with 1 'signature does not verify' "CSR with a wrong signature" -- \
	"$PICA" issue --csr "$tmp/badsig.der" "$tmp/x.crt"
"$PICA" issue --csr "$tmp/good.der" "$tmp/good.crt" >/dev/null; ok $? "the untampered DER CSR is fine"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$tmp/rsa1024.key" 2>/dev/null
openssl req -new -key "$tmp/rsa1024.key" -subj /CN=weak.test -out "$tmp/weak.csr"
fails_with 1 'RSA key of 1024 bits' "RSA-1024 CSR" -- \
	"$PICA" issue --csr "$tmp/weak.csr" "$tmp/x.crt"
fails_with 2 'P-256 or P-384' "EC P-521 key request" -- \
	"$PICA" issue y.test "$tmp/y.crt" "$tmp/y.key" --kty EC --size 521

# A name the policy denies.
/usr/bin/python3 - "$PICA_CONFIG" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["authority"]["policy"] = {"x509": {"allow": {"dns": ["*.test"], "ips": ["10.0.0.0/8"]},
                                     "deny": {"dns": ["*.bad.test"]}}}
json.dump(c, open(p, "w"), indent=2)
PY
fails_with 1 'evil.bad.test.*denied' "name denied by the policy" -- \
	"$PICA" issue evil.bad.test "$tmp/x.crt" "$tmp/x.key"
fails_with 1 'other.example.*not allowed' "name outside the allowed list" -- \
	"$PICA" issue other.example "$tmp/x.crt" "$tmp/x.key"
fails_with 1 '192.168.1.1.*not allowed' "IP outside the allowed range" -- \
	"$PICA" issue ip.test "$tmp/x.crt" "$tmp/x.key" --san 192.168.1.1
fails_with 1 'wildcard' "wildcard without allowWildcardNames" -- \
	"$PICA" issue '*.w.test' "$tmp/x.crt" "$tmp/x.key"
"$PICA" issue fine.test "$tmp/fine.crt" "$tmp/fine.key" --san 10.9.8.7 >/dev/null
ok $? "allowed names still issue"

# Durations out of the claims; an unknown profile.
fails_with 1 'exceeds maxTLSCertDuration' "duration over the maximum" -- \
	"$PICA" issue long.test "$tmp/x.crt" "$tmp/x.key" --not-after 100000h
fails_with 1 'shorter than minTLSCertDuration' "duration under the minimum" -- \
	"$PICA" issue short.test "$tmp/x.crt" "$tmp/x.key" --not-after 1m
fails_with 1 'unknown profile' "unknown profile" -- \
	"$PICA" issue p.test "$tmp/x.crt" "$tmp/x.key" --profile nosuch
fails_with 2 'neither a duration' "bad --not-after" -- \
	"$PICA" issue p.test "$tmp/x.crt" "$tmp/x.key" --not-after tomorrow

# A config error names the key.
sed 's/"cacheDuration": "24h"/"cacheDuration": "24x"/' "$PICA_CONFIG" >"$tmp/bad.json"
fails_with 1 'crl.cacheDuration.*bad duration' "bad duration in pica.json names the key" -- \
	"$PICA" -c "$tmp/bad.json" list

# Nothing above changed the store but the two good issuances.
after=$("$PICA" list | grep -v -e "^$(pem_serial "$tmp/good.crt") " \
	-e "^$(pem_serial "$tmp/fine.crt") ")
is "$after" "$before" "store unchanged by the failures"
test ! -e "$tmp/x.crt" && test ! -e "$tmp/x.key"; ok $? "no output files from failures"
done_testing
