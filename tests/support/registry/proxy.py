#!/usr/bin/env python3
"""Page and fault proxy in front of a distribution 2.8 registry.

usage: proxy.py UPSTREAM_HOST:PORT LOG_FILE FAULTS_FILE [PAGE_SIZE]

Listens on 127.0.0.1 on a free port and prints "listening on PORT".
* Pagination: a GET .../tags/list is answered sorted, in pages of
  min(n, PAGE_SIZE) tags (PAGE_SIZE 0: only the client's n) with
  `Link: <...?last=X&n=N>; rel="next"` (2.8 ignores n and last).
* Request log: one line "METHOD PATH?QUERY" per request, appended to LOG_FILE.
* Faults, from FAULTS_FILE (JSON {"<repository path>": "<fault>"}, read on
  every request), applied to that repository's tags/list requests:
    429-once    first request: 429 with Retry-After: 1
    429-date-once  first request: 429 with Retry-After as an HTTP-date 2 s ahead
    500-twice   first two requests: 500
    500-always  every request: 500
    slow:S      sleep S seconds, then answer
    truncated   a 200 whose JSON body is cut in half (consistent framing)
    self-link   the page carries a Link pointing at the same URL
Everything else (auth headers, pushes, manifests, blobs) passes through.
"""
import email.utils
import http.client
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

upstream, log_path, faults_path = sys.argv[1], sys.argv[2], sys.argv[3]
page_size = int(sys.argv[4]) if len(sys.argv) > 4 else 0
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}
lock = threading.Lock()
counts = {}


def fault_for(repo):
    try:
        with open(faults_path) as f:
            return json.load(f).get(repo)
    except (OSError, ValueError):
        return None


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _fwd(self):
        with lock:
            with open(log_path, "a") as log:
                log.write(f"{self.command} {self.path}\n")
        u = urlparse(self.path)
        q = parse_qs(u.query)
        m = re.fullmatch(r"/v2/(.+)/tags/list", u.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        fault = fault_for(m.group(1)) if m and self.command == "GET" else None
        if fault:
            with lock:
                n_seen = counts.get((m.group(1), fault), 0)
                counts[(m.group(1), fault)] = n_seen + 1
            if fault == "429-once" and n_seen == 0:
                self.reply(429, [("Retry-After", "1"), ("Content-Type", "application/json")],
                           b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')
                return
            if fault == "429-date-once" and n_seen == 0:
                when = email.utils.formatdate(time.time() + 2, usegmt=True)
                self.reply(429, [("Retry-After", when), ("Content-Type", "application/json")],
                           b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}')
                return
            if (fault == "500-twice" and n_seen < 2) or fault == "500-always":
                self.reply(500, [("Content-Type", "application/json")],
                           b'{"errors":[{"code":"UNKNOWN","message":"injected"}]}')
                return
            if fault.startswith("slow:"):
                time.sleep(float(fault.split(":", 1)[1]))
        page = self.command == "GET" and m is not None
        c = http.client.HTTPConnection(upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        c.request(self.command, u.path if page else self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        out = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP | {"content-length"}]
        if page and r.status == 200:
            j = json.loads(data)
            tags = sorted(j.get("tags") or [])
            last = q.get("last", [None])[0]
            if last is not None:
                tags = [t for t in tags if t > last]
            n = int(q["n"][0]) if "n" in q else None
            if page_size and (n is None or n > page_size):
                n = page_size
            more = n is not None and len(tags) > n
            if n is not None:
                tags = tags[:n]
            data = json.dumps({"name": j["name"], "tags": tags}).encode()
            if fault == "self-link":
                out.append(("Link", f"<{self.path}>; rel=\"next\""))
            elif more:
                link = f"/v2/{m.group(1)}/tags/list?{urlencode({'last': tags[-1], 'n': n})}"
                out.append(("Link", f"<{link}>; rel=\"next\""))
            if fault == "truncated":
                data = data[: len(data) // 2]
        self.reply(r.status, out, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _fwd

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(f"listening on {srv.server_address[1]}", flush=True)
srv.serve_forever()
