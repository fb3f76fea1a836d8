#!/usr/bin/env python3
"""Docker-style token server for a distribution registry (stdlib + openssl CLI).

usage: tokensrv.py KEY.pem CERT.pem ISSUER LOG_FILE [user:password]

Listens on 127.0.0.1 on a free port and prints "listening on PORT".
GET /token?service=S&scope=repository:NAME:pull[&scope=...] answers
{"token", "access_token", "expires_in", "issued_at"} with an RS256 JWT whose
header names the signing key by its libtrust key ID ("kid"), which the
registry checks against the certificate in its `rootcertbundle`.
Without Authorization: an anonymous token (like Docker Hub's public pulls).
With Basic credentials: they must equal user:password when one is given,
else 401. Every request is appended to LOG_FILE as
"<anonymous|user> <scope,...>" (never the password or the token).
"""
import base64
import datetime
import hashlib
import json
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

key, cert, issuer, log_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
creds = sys.argv[5] if len(sys.argv) > 5 else None
lock = threading.Lock()


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


spki = subprocess.run(f"openssl x509 -in {cert} -noout -pubkey | openssl pkey -pubin -outform DER",
                      shell=True, capture_output=True, check=True).stdout
k = base64.b32encode(hashlib.sha256(spki).digest()[:30]).decode().rstrip("=")
KID = ":".join(k[i:i + 4] for i in range(0, len(k), 4))


def sign(data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=data,
                          capture_output=True, check=True).stdout


class H(BaseHTTPRequestHandler):
    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path != "/token":
            self.send_error(404)
            return
        user, pw = "", ""
        a = self.headers.get("Authorization", "")
        if a.startswith("Basic "):
            user, _, pw = base64.b64decode(a[6:]).decode().partition(":")
        with lock:
            with open(log_path, "a") as log:
                log.write(f"{user or 'anonymous'} {','.join(q.get('scope', []))}\n")
        if a and (not a.startswith("Basic ") or (creds and f"{user}:{pw}" != creds)):
            self.send_error(401)
            return
        access = []
        for s in q.get("scope", []):
            for one in s.split(" "):
                typ, _, rest = one.partition(":")
                name, _, acts = rest.rpartition(":")
                access.append({"type": typ, "name": name, "actions": acts.split(",")})
        now = int(time.time())
        hdr = {"typ": "JWT", "alg": "RS256", "kid": KID}
        claims = {"iss": issuer, "sub": user, "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        si = (b64u(json.dumps(hdr).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
        tok = si.decode() + "." + b64u(sign(si))
        body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300,
                           "issued_at": datetime.datetime.now(datetime.timezone.utc)
                           .strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(f"listening on {srv.server_address[1]}", flush=True)
srv.serve_forever()
