#!/usr/bin/python3
# acme-protocol.py: drive pica's ACME server as a client would, with an
# independent JWS implementation (python3-cryptography), and check the
# answers of RFC 8555 -- the flows the ACME CLIs take and the problem
# documents they never provoke.  TAP on standard output.
#
# Environment: ACME_DIRECTORY (URL), CA_BUNDLE (root PEM), HTTP01_PORT
# (the CA's acme.httpPort, which this script serves), CHAIN_CHECK (a
# command checking a PEM chain file: "openssl verify ...").
import base64
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

DIRECTORY = os.environ["ACME_DIRECTORY"]
BUNDLE = os.environ["CA_BUNDLE"]
HTTP01_PORT = int(os.environ["HTTP01_PORT"])

# The shell around this script may number tests before and after.
n_tests = int(os.environ.get("TAP_OFFSET", "0"))
n_failed = 0


def ok(cond, name, diag=None):
    global n_tests, n_failed
    n_tests += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n_tests, name))
    if not cond:
        n_failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:15]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(length, "big"))


class Key:
    def __init__(self, kind="ES256"):
        self.alg = kind
        if kind == "ES256":
            self.k = ec.generate_private_key(ec.SECP256R1())
        elif kind == "ES384":
            self.k = ec.generate_private_key(ec.SECP384R1())
        elif kind == "RS256":
            self.k = rsa.generate_private_key(65537, 2048)
        elif kind == "RSA1024":
            self.k = rsa.generate_private_key(65537, 1024)
            self.alg = "RS256"
        elif kind == "EdDSA":
            self.k = ed25519.Ed25519PrivateKey.generate()

    def jwk(self):
        pub = self.k.public_key()
        if isinstance(pub, ec.EllipticCurvePublicKey):
            size = (pub.curve.key_size + 7) // 8
            n = pub.public_numbers()
            return {"kty": "EC", "crv": "P-%d" % pub.curve.key_size,
                    "x": int_b64(n.x, size), "y": int_b64(n.y, size)}
        if isinstance(pub, rsa.RSAPublicKey):
            n = pub.public_numbers()
            return {"kty": "RSA", "n": int_b64(n.n), "e": int_b64(n.e)}
        raw = pub.public_bytes(serialization.Encoding.Raw,
                               serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}

    def thumbprint(self):
        j = self.jwk()
        canon = json.dumps({k: j[k] for k in sorted(j)}, separators=(",", ":"))
        return b64(hashlib.sha256(canon.encode()).digest())

    def sign(self, data):
        if self.alg in ("ES256", "ES384"):
            h = hashes.SHA256() if self.alg == "ES256" else hashes.SHA384()
            r, s = decode_dss_signature(self.k.sign(data, ec.ECDSA(h)))
            size = 32 if self.alg == "ES256" else 48
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        if self.alg == "RS256":
            return self.k.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.k.sign(data)


class Client:
    def __init__(self, key=None):
        self.s = requests.Session()
        self.s.verify = BUNDLE
        # REQUESTS_CA_BUNDLE and proxies from the environment must not win.
        self.s.trust_env = False
        self.key = key or Key()
        self.kid = None
        self.dir = self.s.get(DIRECTORY).json()
        self._nonce = None

    def nonce(self):
        if self._nonce:
            n, self._nonce = self._nonce, None
            return n
        # A newNonce worker being restarted answers 502: ask again.
        for _ in range(40):
            try:
                r = self.s.head(self.dir["newNonce"])
                if "Replay-Nonce" in r.headers:
                    return r.headers["Replay-Nonce"]
            except requests.exceptions.ConnectionError:
                pass
            time.sleep(0.25)
        raise RuntimeError("no nonce from %s" % self.dir["newNonce"])

    def jws(self, url, payload, use_jwk=False, alg=None, nonce=None,
            key=None, extra=None, kid=None):
        key = key or self.key
        prot = {"alg": alg or key.alg, "nonce": nonce or self.nonce(),
                "url": url}
        if use_jwk or (self.kid is None and kid is None):
            prot["jwk"] = key.jwk()
        else:
            prot["kid"] = kid or self.kid
        if extra:
            prot.update(extra)
        p64 = b64(json.dumps(prot))
        pl64 = "" if payload is None else b64(json.dumps(payload))
        sig = key.sign(("%s.%s" % (p64, pl64)).encode())
        return json.dumps({"protected": p64, "payload": pl64,
                           "signature": b64(sig)})

    def raw_jws(self, prot, payload, key):
        p64 = b64(json.dumps(prot))
        pl64 = "" if payload is None else b64(json.dumps(payload))
        sig = key.sign(("%s.%s" % (p64, pl64)).encode())
        return {"protected": p64, "payload": pl64, "signature": b64(sig)}

    def post(self, url, payload, raw=None, ctype="application/jose+json",
             **kw):
        body = raw if raw is not None else self.jws(url, payload, **kw)
        r = self.s.post(url, data=body, headers={"Content-Type": ctype})
        if "Replay-Nonce" in r.headers:
            self._nonce = r.headers["Replay-Nonce"]
        return r

    def register(self):
        r = self.post(self.dir["newAccount"],
                      {"termsOfServiceAgreed": True,
                       "contact": ["mailto:ops@example.test"]}, use_jwk=True)
        self.kid = r.headers.get("Location")
        return r


def problem(r, kind, status=None):
    try:
        doc = r.json()
    except ValueError:
        doc = {}
    want = "urn:ietf:params:acme:error:" + kind
    good = (doc.get("type") == want and
            r.headers.get("Content-Type", "").startswith(
                "application/problem+json") and
            (status is None or r.status_code == status))
    name = "%s (%s) from %s" % (kind, status or "any status",
                                r.request.path_url)
    return good, name, "%d %s" % (r.status_code, r.text[:300])


def csr_for(names, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    import ipaddress
    sans = []
    for n in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([]))
           .add_extension(x509.SubjectAlternativeName(sans), critical=False)
           .sign(key, hashes.SHA256()))
    return b64(csr.public_bytes(serialization.Encoding.DER))


# --- an http-01 responder on the CA's acme.httpPort -----------------------
http01 = {}


class Http01(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        prefix = "/.well-known/acme-challenge/"
        tok = self.path[len(prefix):] if self.path.startswith(prefix) else ""
        body = http01.get(tok)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def serve_http01():
    srv = http.server.HTTPServer(("127.0.0.1", HTTP01_PORT), Http01)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv


def poll(c, url, until, timeout=20):
    deadline = time.time() + timeout
    while True:
        doc = c.post(url, None).json()
        if doc.get("status") in until or time.time() > deadline:
            return doc
        time.sleep(0.2)


def eab_binding(c, kid, hmac_key, url):
    import hmac as hm
    prot = b64(json.dumps({"alg": "HS256", "kid": kid, "url": url}))
    pl = b64(json.dumps(c.key.jwk()))
    key = base64.urlsafe_b64decode(hmac_key + "=" * (-len(hmac_key) % 4))
    mac = hm.new(key, ("%s.%s" % (prot, pl)).encode(), hashlib.sha256)
    return {"protected": prot, "payload": pl, "signature": b64(mac.digest())}


def main_eab(kid, hmac_key):
    c = Client()
    d = c.dir
    ok(d["meta"].get("externalAccountRequired") is True,
       "directory: externalAccountRequired")
    r = c.post(d["newAccount"], {"termsOfServiceAgreed": True},
               use_jwk=True)
    ok(*problem(r, "externalAccountRequired", 400))
    r = c.post(d["newAccount"], {"termsOfServiceAgreed": True,
               "externalAccountBinding": eab_binding(c, kid, b64(b"x" * 32),
                                                     d["newAccount"])},
               use_jwk=True)
    ok(*problem(r, "unauthorized", 403))
    r = c.post(d["newAccount"], {"termsOfServiceAgreed": True,
               "externalAccountBinding": eab_binding(c, "nokid", hmac_key,
                                                     d["newAccount"])},
               use_jwk=True)
    ok(*problem(r, "unauthorized", 403))
    r = c.post(d["newAccount"], {"termsOfServiceAgreed": True,
               "externalAccountBinding": eab_binding(c, kid, hmac_key,
                                                     d["newAccount"])},
               use_jwk=True)
    ok(r.status_code == 201, "newAccount with a good binding: 201", r.text)
    c.kid = r.headers.get("Location")
    r = c.post(c.kid, None)
    ok(r.status_code == 200, "the bound account works", r.text)
    # acme.rateLimits.ordersPerAccount is 2/1h in this phase.
    for i in range(2):
        r = c.post(d["newOrder"], {"identifiers": [
            {"type": "dns", "value": "rl%d.localhost" % i}]})
        ok(r.status_code == 201, "order %d within the rate limit" % (i + 1),
           r.text)
    r = c.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "rl3.localhost"}]})
    good, name, why = problem(r, "rateLimited", 429)
    retry = int(r.headers.get("Retry-After", "0"))
    ok(good and 0 < retry <= 3600, name + " with Retry-After %d" % retry, why)
    c2 = Client()
    r = c2.post(d["newAccount"], {"termsOfServiceAgreed": True,
                "externalAccountBinding": eab_binding(c2, kid, hmac_key,
                                                      d["newAccount"])},
                use_jwk=True)
    ok(*problem(r, "unauthorized", 403))
    return 1 if n_failed else 0


def manage(path, doc):
    """POST to pebble-challtestsrv's management API."""
    port = os.environ["DNS_MGMT"]
    r = requests.post("http://127.0.0.1:%s%s" % (port, path),
                      data=json.dumps(doc), proxies={"http": None})
    return r.status_code == 200


def dns01(c, name, txt_for=None, servfail=False):
    """Order name, answer its dns-01 challenge; the final authz."""
    d = c.dir
    r = c.post(d["newOrder"], {"identifiers": [{"type": "dns",
                                                "value": name}]})
    if r.status_code != 201:
        return {"order": r.text}
    order = r.json()
    az_url = order["authorizations"][0]
    az = c.post(az_url, None).json()
    chs = [x for x in az["challenges"] if x["type"] == "dns-01"]
    if not chs:
        return az
    ch = chs[0]
    host = "_acme-challenge.%s." % name.lstrip("*.")
    if servfail:
        manage("/set-servfail", {"host": host})
    else:
        ka = ch["token"] + "." + c.key.thumbprint()
        manage("/set-txt", {"host": host, "value": b64(
            hashlib.sha256(ka.encode()).digest())})
    c.post(ch["url"], {})
    az = poll(c, az_url, ("valid", "invalid"))
    az["_types"] = sorted(x["type"] for x in az["challenges"])
    return az


def main_dns():
    c = Client()
    c.register()
    az = dns01(c, "dns.test")
    ok(az.get("status") == "valid", "dns-01 through the configured resolver",
       az)
    az = dns01(c, "*.wild.test")
    ok(az.get("status") == "valid" and az.get("wildcard") is True and
       az.get("_types") == ["dns-01"] and
       az.get("identifier", {}).get("value") == "wild.test",
       "a wildcard: dns-01 only, identifier without *.", az)
    az = dns01(c, "fail.test", servfail=True)
    ch = [x for x in az.get("challenges", []) if x["type"] == "dns-01"]
    ok(az.get("status") == "invalid" and ch and
       ch[0].get("error", {}).get("type") == "urn:ietf:params:acme:error:dns",
       "SERVFAIL: dns", az)
    r = c.post(c.dir["newOrder"], {"identifiers": [
        {"type": "ip", "value": "127.0.0.1"}]})
    az = c.post(r.json()["authorizations"][0], None).json()
    types = sorted(x["type"] for x in az["challenges"])
    ok(types == ["http-01", "tls-alpn-01"],
       "an IP identifier gets http-01 and tls-alpn-01, not dns-01", types)
    return 1 if n_failed else 0


def retrying(fn, tries=40):
    """Call fn until it answers with something else than a dead worker."""
    for _ in range(tries):
        try:
            r = fn()
            # 500: a worker that found the store recovered under it
            # answers once, then is started again.
            if r.status_code not in (500, 502, 503, 504):
                return r
        except requests.exceptions.ConnectionError:
            pass
        time.sleep(0.25)
    return r


def main_kill(count, out):
    """Issue count certificates while the shell kills workers."""
    c = Client()
    retrying(c.register)
    srv = serve_http01()
    tp = c.key.thumbprint()
    issued = []
    for i in range(count):
        r = retrying(lambda: c.post(c.dir["newOrder"], {"identifiers": [
            {"type": "dns", "value": "localhost"}]}))
        if r.status_code != 201:
            ok(False, "newOrder %d" % i, r.text)
            continue
        order_url, order = r.headers["Location"], r.json()
        for az_url in order["authorizations"]:
            az = retrying(lambda: c.post(az_url, None)).json()
            if az.get("status") == "valid":
                continue
            ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
            http01[ch["token"]] = ch["token"] + "." + tp
            retrying(lambda: c.post(ch["url"], {}))
            deadline = time.time() + 20
            while time.time() < deadline:
                az = retrying(lambda: c.post(az_url, None)).json()
                if az.get("status") != "pending":
                    break
                time.sleep(0.2)
                # A worker killed before it validated: ask again.
                retrying(lambda: c.post(ch["url"], {}))
        csr = csr_for(["localhost"])
        order = {}
        for _ in range(40):
            r = retrying(lambda: c.post(order_url, None))
            order = r.json()
            if order.get("status") == "ready":
                retrying(lambda: c.post(order["finalize"], {"csr": csr}))
            elif order.get("status") in ("valid", "invalid"):
                break
            time.sleep(0.2)
        if order.get("status") != "valid":
            ok(False, "issuance %d under kills" % i, order)
            continue
        r = retrying(lambda: c.post(order["certificate"], None))
        issued.append(order["certificate"].rsplit("/", 1)[1])
    srv.shutdown()
    srv.server_close()
    with open(out, "w") as f:
        f.write("\n".join(issued) + "\n")
    ok(len(issued) == count, "%d of %d issuances went through while workers "
       "were killed" % (len(issued), count))
    return 1 if n_failed else 0


def main():
    if os.environ.get("EAB_KID"):
        return main_eab(os.environ["EAB_KID"], os.environ["EAB_HMAC"])
    if os.environ.get("DNS_PHASE"):
        return main_dns()
    if os.environ.get("KILL_COUNT"):
        return main_kill(int(os.environ["KILL_COUNT"]),
                         os.environ["KILL_OUT"])
    c = Client()
    d = c.dir
    ok(all(k in d for k in ("newNonce", "newAccount", "newOrder",
                            "revokeCert", "keyChange")),
       "directory names the resources")
    ok("profiles" in d.get("meta", {}) and "server" in d["meta"]["profiles"],
       "meta.profiles lists the shipped profiles", d.get("meta"))
    r = c.s.head(d["newNonce"])
    ok(r.status_code == 200 and r.headers.get("Replay-Nonce"),
       "HEAD newNonce: 200 with Replay-Nonce")
    r = c.s.get(d["newNonce"])
    ok(r.status_code == 204 and r.headers.get("Replay-Nonce") and
       'rel="index"' in r.headers.get("Link", ""),
       "GET newNonce: 204, Replay-Nonce, Link index")

    r = c.register()
    ok(r.status_code == 201 and c.kid and "/acme/account/" in c.kid,
       "newAccount: 201 with Location", r.text)
    first = c.kid
    r = c.register()
    ok(r.status_code == 200 and r.headers.get("Location") == first,
       "newAccount again with the same key: 200, same account")
    r = c.post(c.kid, None)
    ok(r.status_code == 200 and r.json().get("status") == "valid" and
       r.json().get("contact") == ["mailto:ops@example.test"],
       "POST-as-GET the account")

    # Problems a CLI never provokes.
    other = Client()
    r = other.post(d["newAccount"], {"onlyReturnExisting": True},
                   use_jwk=True)
    ok(*problem(r, "accountDoesNotExist", 400))
    nonce = c.nonce()
    c.post(c.kid, None, nonce=nonce)
    r = c.post(c.kid, None, nonce=nonce)
    good, _, why = problem(r, "badNonce", 400)
    ok(good and r.headers.get("Replay-Nonce"),
       "a replayed nonce: badNonce with a fresh nonce", why)
    r = c.post(c.kid, None, nonce="bm9wZQ")
    ok(*problem(r, "badNonce", 400))
    r = c.post(c.kid, None, raw=c.jws(d["newOrder"], None))
    ok(*problem(r, "unauthorized", 403))
    r = c.post(c.kid, None, alg="HS256")
    ok(*problem(r, "badSignatureAlgorithm", 400))
    r = c.post(c.kid, None, alg="none")
    ok(*problem(r, "badSignatureAlgorithm", 400))
    weak = Client(Key("RSA1024"))
    r = weak.post(d["newAccount"], {"termsOfServiceAgreed": True},
                  use_jwk=True)
    ok(*problem(r, "badPublicKey", 400))
    r = c.post(c.kid, None, raw="{not json")
    ok(*problem(r, "malformed", 400))
    r = c.post(c.kid, None, ctype="application/json")
    ok(*problem(r, "malformed", 415))
    r = c.post(c.kid, None, raw="x" * (70 * 1024))
    ok(*problem(r, "malformed", 413))
    r = c.post(d["newAccount"], {"contact": ["tel:+1555"]}, use_jwk=True,
               key=Key())
    ok(*problem(r, "unsupportedContact", 400))
    r = c.post(d["newAccount"], {"contact": ["mailto:a@b.test,c@d.test"]},
               use_jwk=True, key=Key())
    ok(*problem(r, "invalidContact", 400))
    other.register()
    r = other.post(c.kid, None)
    ok(*problem(r, "unauthorized", 403))

    # Every accepted key type makes an account.
    for kind in ("ES384", "RS256", "EdDSA"):
        k = Client(Key(kind))
        r = k.register()
        ok(r.status_code == 201, "newAccount with an %s key" % kind, r.text)

    # Orders.
    r = c.post(d["newOrder"], {"identifiers": [{"type": "email",
                                                "value": "a@b.test"}]})
    ok(*problem(r, "unsupportedIdentifier", 400))
    r = c.post(d["newOrder"], {"identifiers": [{"type": "dns",
                                                "value": "x.denied.test"}]})
    ok(*problem(r, "rejectedIdentifier", 400))
    r = c.post(d["newOrder"], {"identifiers": [{"type": "dns",
                                                "value": "bad..name"}]})
    ok(*problem(r, "rejectedIdentifier", 400))
    r = c.post(d["newOrder"], {"identifiers": [{"type": "dns",
                                                "value": "localhost"}],
                               "profile": "nope"})
    ok(*problem(r, "invalidProfile", 400))
    r = c.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"},
        {"type": "ip", "value": "127.0.0.1"}], "profile": "server"})
    ok(r.status_code == 201 and r.json()["status"] == "pending" and
       len(r.json()["authorizations"]) == 2,
       "newOrder for localhost and 127.0.0.1: 201 pending, two authzs",
       r.text)
    order_url = r.headers["Location"]
    order = r.json()
    r = c.post(order["finalize"], {"csr": csr_for(["localhost"])})
    ok(*problem(r, "orderNotReady", 403))
    r = other.post(order_url, None)
    ok(r.status_code in (403, 404) and "urn:ietf:params:acme:error" in r.text,
       "another account cannot read the order", r.text)
    r = c.post(c.kid + "/orders", None)
    ok(r.status_code == 200 and order_url in r.json().get("orders", []),
       "the account's orders list has the order", r.text)

    # http-01 for both, served on the CA's acme.httpPort.
    srv = serve_http01()
    tp = c.key.thumbprint()
    for az_url in order["authorizations"]:
        az = c.post(az_url, None).json()
        ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
        http01[ch["token"]] = ch["token"] + "." + tp
        r = c.post(ch["url"], {})
        ok(r.status_code == 200 and 'rel="up"' in r.headers.get("Link", ""),
           "challenge POST for %s answered at once" %
           az["identifier"]["value"], r.text)
        az = poll(c, az_url, ("valid", "invalid"))
        ok(az.get("status") == "valid",
           "authorization for %s valid" % az["identifier"]["value"], az)
    order = poll(c, order_url, ("ready", "invalid"))
    ok(order.get("status") == "ready", "order ready", order)
    r = c.post(order["finalize"], {"csr": csr_for(["localhost", "x.test"])})
    ok(*problem(r, "badCSR", 400))
    leaf_key = Key()
    r = c.post(order["finalize"], {"csr": csr_for(["localhost", "127.0.0.1"],
                                                  leaf_key.k)})
    ok(r.status_code == 200 and r.json().get("status") == "valid" and
       r.json().get("certificate"), "finalize: valid, certificate URL",
       r.text)
    cert_url = r.json().get("certificate", d["newOrder"])
    r = c.post(cert_url, None)
    ok(r.status_code == 200 and r.headers.get("Content-Type") ==
       "application/pem-certificate-chain" and
       r.text.count("BEGIN CERTIFICATE") == 2,
       "certificate download: leaf and intermediate", r.text[:200])
    chain_pem = r.text
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(chain_pem)
    chk = subprocess.run(os.environ["CHAIN_CHECK"].split() + [f.name],
                         capture_output=True, text=True)
    ok(chk.returncode == 0, "openssl verify accepts the chain",
       chk.stdout + chk.stderr)
    r = other.post(cert_url, None)
    ok(*problem(r, "unauthorized", 403))

    # renewalInfo (RFC 9773) and an order that replaces the certificate.
    leaf = x509.load_pem_x509_certificate(
        chain_pem.split("-----END CERTIFICATE-----")[0].encode() +
        b"-----END CERTIFICATE-----\n")
    aki = leaf.extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier
    sn = leaf.serial_number
    certid = b64(aki) + "." + b64(sn.to_bytes(sn.bit_length() // 8 + 1, "big"))
    r = c.s.get(d["renewalInfo"] + "/" + certid)
    win = r.json().get("suggestedWindow", {}) if r.status_code == 200 else {}
    nb = leaf.not_valid_before.strftime("%Y-%m-%dT%H:%M:%SZ")
    na = leaf.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    ok(r.status_code == 200 and nb < win.get("start", "") <
       win.get("end", "") < na and r.headers.get("Retry-After"),
       "renewalInfo: a window inside the validity, and Retry-After", r.text)
    r = c.s.get(d["renewalInfo"] + "/" + b64(b"other") + "." + b64(b"\x01"))
    ok(r.status_code == 404, "renewalInfo for another issuer: 404", r.text)
    r = c.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"}], "replaces": certid})
    ok(r.status_code == 201 and r.json().get("replaces") == certid,
       "newOrder replacing the certificate", r.text)
    r = other.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"}], "replaces": certid})
    ok(*problem(r, "unauthorized", 403))

    # keyChange: the account moves to a new key.
    newkey = Key("ES384")
    inner = c.raw_jws({"alg": newkey.alg, "jwk": newkey.jwk(),
                       "url": d["keyChange"]},
                      {"account": c.kid, "oldKey": c.key.jwk()}, newkey)
    bad = c.raw_jws({"alg": newkey.alg, "jwk": newkey.jwk(),
                     "url": d["keyChange"]},
                    {"account": c.kid, "oldKey": Key().jwk()}, newkey)
    r = c.post(d["keyChange"], bad)
    ok(*problem(r, "unauthorized", 403))
    r = c.post(d["keyChange"], inner)
    ok(r.status_code == 200, "keyChange to an ES384 key", r.text)
    oldkey, c.key = c.key, newkey
    r = c.post(c.kid, None)
    ok(r.status_code == 200, "the account answers to its new key", r.text)
    r = c.post(c.kid, None, key=oldkey, alg=oldkey.alg)
    ok(r.status_code >= 400, "the old key no longer signs for it", r.text)
    taken = c.raw_jws({"alg": other.key.alg, "jwk": other.key.jwk(),
                       "url": d["keyChange"]},
                      {"account": c.kid, "oldKey": c.key.jwk()}, other.key)
    r = c.post(d["keyChange"], taken)
    ok(r.status_code == 409 and r.headers.get("Location") == other.kid,
       "keyChange to another account's key: 409 naming it", r.text)

    # A second order for the same names reuses the valid authorizations.
    r = c.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"}]})
    ok(r.status_code == 201 and r.json()["status"] == "ready",
       "a new order reuses the valid authorization: ready at once", r.text)
    reused = r.json()["authorizations"][0]
    reuse_order = r.json()

    # Revocation (RFC 8555 7.6) of the certificate for localhost and
    # 127.0.0.1: the problems first.
    der = leaf.public_bytes(serialization.Encoding.DER)
    stranger = Client()
    stranger.register()
    r = stranger.post(d["revokeCert"], {"certificate": b64(der)})
    ok(*problem(r, "unauthorized", 403))
    r = c.post(d["revokeCert"], {"certificate": b64(der)}, use_jwk=True,
               key=Key())
    ok(*problem(r, "unauthorized", 403))
    r = c.post(d["revokeCert"], {"certificate": b64(der), "reason": 7})
    ok(*problem(r, "badRevocationReason", 400))
    r = c.post(d["revokeCert"], {"certificate": b64(der), "reason": 6})
    ok(*problem(r, "badRevocationReason", 400))
    r = c.post(d["revokeCert"], {"certificate": b64(der), "reason": "1"})
    ok(*problem(r, "malformed", 400))
    r = c.post(d["revokeCert"], {"certificate": "not*base64url"})
    ok(*problem(r, "malformed", 400))
    r = c.post(d["revokeCert"], {"certificate": b64(der[:-10])})
    ok(*problem(r, "malformed", 400))
    selfsigned = (x509.CertificateBuilder()
                  .subject_name(leaf.subject).issuer_name(leaf.issuer)
                  .public_key(leaf_key.k.public_key())
                  .serial_number(leaf.serial_number)
                  .not_valid_before(leaf.not_valid_before)
                  .not_valid_after(leaf.not_valid_after)
                  .sign(leaf_key.k, hashes.SHA256()))
    r = c.post(d["revokeCert"], {"certificate": b64(selfsigned.public_bytes(
        serialization.Encoding.DER))})
    ok(*problem(r, "malformed", 404))
    r = c.post(d["revokeCert"], None)
    ok(*problem(r, "malformed", 400))
    # An account that validated every name of the certificate may revoke
    # it, though it was issued to another.
    holder = Client()
    holder.register()
    r = holder.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"},
        {"type": "ip", "value": "127.0.0.1"}]})
    for az_url in r.json()["authorizations"]:
        az = holder.post(az_url, None).json()
        ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
        http01[ch["token"]] = ch["token"] + "." + holder.key.thumbprint()
        holder.post(ch["url"], {})
        poll(holder, az_url, ("valid", "invalid"))
    r = holder.post(d["revokeCert"], {"certificate": b64(der), "reason": 4})
    ok(r.status_code == 200 and r.headers.get("Replay-Nonce"),
       "an account holding authorizations for every name revokes it",
       r.text)
    r = c.post(d["revokeCert"], {"certificate": b64(der)})
    ok(*problem(r, "alreadyRevoked", 400))
    # The certificate's own key, with no account at all.
    key2 = Key("ES384")
    r = c.post(reuse_order["finalize"], {"csr": csr_for(["localhost"],
                                                        key2.k)})
    r = c.post(r.json().get("certificate", d["newOrder"]), None)
    der2 = x509.load_pem_x509_certificate(r.text.encode()).public_bytes(
        serialization.Encoding.DER)
    nobody = Client(key2)
    r = nobody.post(d["revokeCert"], {"certificate": b64(der2),
                                      "reason": 1}, use_jwk=True)
    ok(r.status_code == 200,
       "the certificate's own key (jwk, ES384) revokes it", r.text)
    if os.environ.get("REVOKED_OUT"):
        with open(os.environ["REVOKED_OUT"], "w") as f:
            f.write("%x keyCompromise\n%x superseded\n" % (
                x509.load_der_x509_certificate(der2).serial_number,
                leaf.serial_number))

    # Failing validations, for an account with no valid authorizations:
    # a wrong answer, then nobody listening.
    c3 = Client()
    c3.register()
    r = c3.post(d["newOrder"], {"identifiers": [
        {"type": "ip", "value": "127.0.0.1"}]})
    az_url = r.json()["authorizations"][0]
    az = c3.post(az_url, None).json()
    ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
    http01[ch["token"]] = "wrong"
    c3.post(ch["url"], {})
    az = poll(c3, az_url, ("valid", "invalid"))
    chall = [x for x in az["challenges"] if x["type"] == "http-01"][0]
    ok(az.get("status") == "invalid" and chall.get("error", {}).get("type") ==
       "urn:ietf:params:acme:error:incorrectResponse",
       "a wrong key authorization: incorrectResponse", az)
    srv.shutdown()
    srv.server_close()
    r = c3.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"}]})
    order_url = r.headers["Location"]
    az_url = r.json()["authorizations"][0]
    az = c3.post(az_url, None).json()
    ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
    c3.post(ch["url"], {})
    az = poll(c3, az_url, ("valid", "invalid"))
    chall = [x for x in az["challenges"] if x["type"] == "http-01"][0]
    ok(az.get("status") == "invalid" and chall.get("error", {}).get("type") ==
       "urn:ietf:params:acme:error:connection",
       "nothing listening: connection", az)
    order = c3.post(order_url, None).json()
    ok(order.get("status") == "invalid", "its order turned invalid", order)

    # Deactivations.
    r = c.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "deact.localhost"}]})
    az_url = r.json()["authorizations"][0]
    r = c.post(az_url, {"status": "deactivated"})
    ok(r.status_code == 200 and r.json().get("status") == "deactivated",
       "authorization deactivated", r.text)
    # A deactivated authorization is not reused.
    r = c.post(reused, {"status": "deactivated"})
    ok(r.status_code == 200 and r.json().get("status") == "deactivated",
       "the reused authorization deactivated", r.text)
    r = c.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"}]})
    ok(r.status_code == 201 and r.json()["status"] == "pending" and
       r.json()["authorizations"][0] != reused,
       "the next order for the name has a new, pending authorization",
       r.text)
    r = other.post(other.kid, {"status": "deactivated"})
    ok(r.status_code == 200 and r.json().get("status") == "deactivated",
       "account deactivated", r.text)
    r = other.post(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": "localhost"}]})
    ok(*problem(r, "unauthorized", 403))

    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
