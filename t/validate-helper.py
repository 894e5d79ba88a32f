#!/usr/bin/python3
# validate-helper.py DIR: the servers t-validate checks challenges against.
#
# Every server listens on 127.0.0.1 (one HTTP server also on ::1 when the
# host has IPv6) on a port the kernel picks; the ports go to standard
# output as one line of name=port words, then the helper serves until it
# is killed.  A small DNS server (UDP and TCP on one port) answers what
# pebble-challtestsrv cannot: NXDOMAIN, REFUSED, truncation, a TXT record
# of several character-strings.  DIR holds the certificates t-validate
# made: web.crt/web.key for the https redirect target, NAME.crt/NAME.key
# for the tls-alpn-01 servers below.

import base64
import hashlib
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
PRE = "/.well-known/acme-challenge/"
PORTS = {}

# tls-alpn-01 servers: name, certificate, SNI expected, ALPN offered.
TLS = [
    ("good", "good", "localhost", ["acme-tls/1"]),
    ("ip", "ip", "1.0.0.127.in-addr.arpa", ["acme-tls/1"]),
    ("noext", "noext", "localhost", ["acme-tls/1"]),
    ("wrongdigest", "wrongdigest", "localhost", ["acme-tls/1"]),
    ("wrongsan", "wrongsan", "localhost", ["acme-tls/1"]),
    ("twosan", "twosan", "localhost", ["acme-tls/1"]),
    ("noncrit", "noncrit", "localhost", ["acme-tls/1"]),
    ("alpnhttp", "good", "localhost", ["http/1.1"]),
    ("xtest", "xtest", "x.test", ["acme-tls/1"]),
]


# base64url(SHA-256(key authorization)) t-validate uses for dns-01.
TXT = base64.urlsafe_b64encode(
    hashlib.sha256(b"dnstoken.thumb").digest()).rstrip(b"=")


def dns_answer(query, tcp):
    """The answer to one DNS query, or None to ignore it."""
    if len(query) < 12:
        return None
    labels, i = [], 12
    while i < len(query) and query[i] != 0:
        labels.append(query[i + 1:i + 1 + query[i]].decode("ascii", "replace"))
        i += 1 + query[i]
    if i + 5 > len(query):
        return None
    name = ".".join(labels).lower()
    qtype = struct.unpack(">H", query[i + 1:i + 3])[0]
    question = query[12:i + 5]
    rcode, flags, answers = 0, 0x8180, []
    if name in ("nx.test", "_acme-challenge.nx.test"):
        rcode = 3
    elif name == "refused.test":
        rcode = 5
    elif name == "_acme-challenge.tc.test" and qtype == 16:
        if tcp:
            answers.append(bytes([len(TXT)]) + TXT)
        else:
            flags |= 0x0200
    elif name == "_acme-challenge.split.test" and qtype == 16:
        answers.append(bytes([20]) + TXT[:20] + bytes([len(TXT) - 20]) +
                       TXT[20:])
    elif qtype == 1:
        answers.append(socket.inet_aton("127.0.0.1"))
    out = query[:2] + struct.pack(">HHHHH", flags | rcode, 1, len(answers),
                                  0, 0) + question
    for rdata in answers:
        out += struct.pack(">HHHIH", 0xc00c, qtype, 1, 60, len(rdata)) + rdata
    return out


def dns_udp(sock):
    while True:
        query, peer = sock.recvfrom(4096)
        answer = dns_answer(query, False)
        if answer is not None:
            sock.sendto(answer, peer)


def dns_tcp_conn(conn, ctx):
    conn.settimeout(5)
    try:
        n = struct.unpack(">H", conn.recv(2, socket.MSG_WAITALL))[0]
        answer = dns_answer(conn.recv(n, socket.MSG_WAITALL), True)
        if answer is not None:
            conn.sendall(struct.pack(">H", len(answer)) + answer)
    except (OSError, struct.error):
        pass
    finally:
        conn.close()


def dns_server():
    """UDP and TCP on one port, or 0."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        try:
            listen(dns_tcp_conn, None, port)
        except OSError:
            udp.close()
            continue
        threading.Thread(target=dns_udp, args=(udp,), daemon=True).start()
        return port
    return 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", loc=None):
        try:
            self.send_response(code)
            if loc is not None:
                self.send_header("Location", loc)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the validator stopped reading (the 1 MB body)

    def do_GET(self):
        if not self.path.startswith(PRE):
            return self.reply(404, b"not found")
        t = self.path[len(PRE):]
        me = "http://127.0.0.1:%d%s" % (PORTS["http"], PRE)
        if t.startswith("ok"):
            end = b"\r\n \t" if "ws" in t else b"\n"
            self.reply(200, t.encode() + b".thumb" + end)
        elif t == "ua":
            self.reply(200, self.headers.get("User-Agent", "").encode())
        elif t == "wrong":
            self.reply(200, b"not the \"key\" authorization\x01\xff")
        elif t == "nul":
            self.reply(200, b"nul.thumb\x00")
        elif t == "empty":
            self.reply(200)
        elif t == "big":
            self.reply(200, b"a" * (1 << 20))
        elif t == "slow":
            time.sleep(4)
            self.reply(200, b"slow.thumb")
        elif t == "error":
            self.reply(500, b"oops")
        elif t == "noloc":
            self.reply(302)
        elif t == "to-8081":
            self.reply(302, loc="http://127.0.0.1:8081%sok" % PRE)
        elif t == "to-80":
            self.reply(302, loc="http://127.0.0.1%sok" % PRE)
        elif t == "to-ftp":
            self.reply(302, loc="ftp://127.0.0.1/x")
        elif t.startswith("hop-"):
            n = int(t[4:])
            if n == 0:
                self.reply(200, b"hops.thumb\n")
            else:
                code = [301, 302, 303, 307, 308][n % 5]
                self.reply(code, loc="%shop-%d" % (me, n - 1))
        elif t == "loop":
            self.reply(301, loc=me + "loop")
        elif t == "relative":
            self.reply(307, loc="hop-0")
        elif t == "to-https":
            self.reply(302, loc="https://127.0.0.1:%d%sok-https" %
                       (PORTS["https"], PRE))
        elif t == "to-name":
            self.reply(302, loc="http://x.test:%d%shop-0" %
                       (PORTS["http"], PRE))
        else:
            self.reply(404, b"no such token")


class Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class Quiet6(Quiet):
    address_family = socket.AF_INET6


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def tls_context(cert, sni, alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain("%s/%s.crt" % (DIR, cert), "%s/%s.key" % (DIR, cert))
    ctx.set_alpn_protocols(alpn)

    # A wrong SNI fails the handshake: the test then sees it.
    def check(sock, name, c):
        if name != sni:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        return None
    ctx.sni_callback = check
    return ctx


def tls_conn(conn, ctx):
    conn.settimeout(10)
    try:
        s = ctx.wrap_socket(conn, server_side=True)
        s.recv(1)
        s.close()
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def silent_conn(conn, ctx):
    time.sleep(10)
    conn.close()


def listen(handler, ctx, port=0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(16)
    except OSError:
        sock.close()
        raise

    def loop():
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=handler, args=(conn, ctx),
                             daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return sock.getsockname()[1]


def main():
    PORTS["http"] = serve(Quiet(("127.0.0.1", 0), Handler))
    https = Quiet(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(DIR + "/web.crt", DIR + "/web.key")
    https.socket = ctx.wrap_socket(https.socket, server_side=True)
    PORTS["https"] = serve(https)
    try:
        PORTS["http6"] = serve(Quiet6(("::1", 0), Handler))
    except OSError:
        PORTS["http6"] = 0
    for name, cert, sni, alpn in TLS:
        PORTS[name] = listen(tls_conn, tls_context(cert, sni, alpn))
    PORTS["silent"] = listen(silent_conn, None)
    PORTS["dns"] = dns_server()
    print(" ".join("%s=%d" % kv for kv in PORTS.items()), flush=True)
    while True:
        time.sleep(3600)


main()
