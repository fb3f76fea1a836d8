#!/usr/bin/env python3
"""Seeds a distribution registry over HTTP, without docker.

usage: seed.py HOST:PORT SPEC.json

SPEC: {"threads": 4, "repos": {"team/web": [ENTRY, ...], ...}}
ENTRY: {"tag": "1.0",
        "created": "2024-01-02T03:04:05Z",          # default 2020-01-01T00:00:00Z
        "platforms": ["linux/amd64", "linux/arm64/v8"],  # present: an image index
        "docker": false}                           # true: Docker media types
Without "platforms" the tag is one linux/amd64 image. Every image has its own
config blob (so its own `created`). Prints {"repo": {"tag": "sha256:..."}}
with the digest each tag points at (the index digest for an index).
$SEED_AUTH, when set, is sent as the Authorization header.
"""
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import sys
import tarfile
import threading

host, spec_path = sys.argv[1], sys.argv[2]
spec = json.load(open(spec_path))
AUTH = os.environ.get("SEED_AUTH")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"hello\n"
    ti = tarfile.TarInfo("hello.txt")
    ti.size = len(data)
    ti.mtime = 0
    t.addfile(ti, io.BytesIO(data))
TAR = buf.getvalue()
LAYER = gzip.compress(TAR, mtime=0)


class Conn:
    def __init__(self):
        self.c = http.client.HTTPConnection(host, timeout=30)

    def req(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if AUTH:
            h["Authorization"] = AUTH
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        if r.status >= 300 and method != "HEAD":
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        return r, data

    def blob(self, repo, b):
        d = sha(b)
        if self.req("HEAD", f"/v2/{repo}/blobs/{d}")[0].status == 200:
            return d
        r, _ = self.req("POST", f"/v2/{repo}/blobs/uploads/", b"")
        loc = re.sub(r"^https?://[^/]+", "", r.getheader("Location"))
        sep = "&" if "?" in loc else "?"
        self.req("PUT", f"{loc}{sep}digest={d}", b, {"Content-Type": "application/octet-stream"})
        return d

    def manifest(self, repo, ref, body, media):
        self.req("PUT", f"/v2/{repo}/manifests/{ref}", body, {"Content-Type": media})
        return sha(body)


def image(c, repo, platform, created, docker):
    parts = platform.split("/")
    cfg = {"architecture": parts[1], "os": parts[0], "created": created,
           "rootfs": {"type": "layers", "diff_ids": [sha(TAR)]},
           "history": [{"created": created, "created_by": "seed"}]}
    if len(parts) > 2:
        cfg["variant"] = parts[2]
    cfg = json.dumps(cfg, sort_keys=True).encode()
    m = {"schemaVersion": 2,
         "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
         "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                    "digest": c.blob(repo, cfg), "size": len(cfg)},
         "layers": [{"mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                     "digest": c.blob(repo, LAYER), "size": len(LAYER)}]}
    return json.dumps(m, sort_keys=True).encode()


def push(c, repo, entry):
    created = entry.get("created") or "2020-01-01T00:00:00Z"
    docker = bool(entry.get("docker"))
    tag = entry["tag"]
    platforms = entry.get("platforms")
    if not platforms:
        body = image(c, repo, "linux/amd64", created, docker)
        return c.manifest(repo, tag, body, DOCKER_MANIFEST if docker else OCI_MANIFEST)
    refs = []
    for p in platforms:
        body = image(c, repo, p, created, docker)
        d = c.manifest(repo, sha(body), body, DOCKER_MANIFEST if docker else OCI_MANIFEST)
        parts = p.split("/")
        plat = {"architecture": parts[1], "os": parts[0]}
        if len(parts) > 2:
            plat["variant"] = parts[2]
        refs.append({"mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
                     "digest": d, "size": len(body), "platform": plat})
    idx = {"schemaVersion": 2, "mediaType": DOCKER_LIST if docker else OCI_INDEX, "manifests": refs}
    body = json.dumps(idx, sort_keys=True).encode()
    return c.manifest(repo, tag, body, DOCKER_LIST if docker else OCI_INDEX)


work = [(repo, e) for repo, entries in spec["repos"].items() for e in entries]
out = {repo: {} for repo in spec["repos"]}
lock = threading.Lock()
errors = []
nthreads = max(1, min(int(spec.get("threads", 4)), len(work) or 1))


def worker(k):
    c = Conn()
    try:
        for i in range(k, len(work), nthreads):
            repo, e = work[i]
            d = push(c, repo, e)
            with lock:
                out[repo][e["tag"]] = d
    except Exception as ex:  # reported below, exit 1
        errors.append(repr(ex))


threads = [threading.Thread(target=worker, args=(k,)) for k in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
json.dump(out, sys.stdout)
