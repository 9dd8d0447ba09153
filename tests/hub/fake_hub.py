#!/usr/bin/env python3
"""A local stand-in for the Hugging Face hub, for tests of `lateral pull`.

Serves repos from a directory (stdlib only, no network beyond 127.0.0.1):

  ROOT/ORG/NAME/repo.json          {"refs": {"main": "<40-hex commit>", ...},
                                    "gated": false, "lfs": ["*.safetensors"]}
  ROOT/ORG/NAME/commits/<commit>/  the files of that commit (nested folders ok)

Routes, shaped like the real hub's:
  GET /api/models/ORG/NAME/revision/REV         {"id", "sha", "siblings": [{"rfilename"}]}
  GET /api/models/ORG/NAME/tree/REV?recursive=true[&cursor=K]
        [{"type": "file", "path", "size", "oid", "lfs": {"oid", "size", "pointerSize"}}]
        paginated with `Link: <...>; rel="next"` when --page-size is set
  GET /ORG/NAME/resolve/REV/PATH   non-LFS: the bytes (ETag = git blob sha1);
                                   LFS: 302 to /cdn/<sha256>/PATH (X-Linked-Etag)
  GET /cdn/<sha256>/PATH           the bytes, with Range support
Unknown repos / revisions / files: 404 with X-Error-Code RepoNotFound /
RevisionNotFound / EntryNotFound. A gated repo without "Authorization: Bearer
<--token>": 401 with X-Error-Code GatedRepo.

Faults, from the JSON file --faults (re-read on every request, so a test can
change it while the server runs), keyed by repo path:
  {"drop_after": {"PATH": N}}    first body request of PATH: send N bytes, then close
  {"corrupt": ["PATH"]}          flip the first byte of every body of PATH
  {"ignore_range": ["PATH"]}     answer 200 with the whole file even to a Range request
  {"status": {"PATH": [503, 503]}}  the first body requests of PATH get these statuses
  {"slow": {"PATH": BYTES_PER_S}}   throttle bodies of PATH
Every request is appended to --log as one JSON line:
  {"method", "path", "range", "auth", "status"}
GET /_reset forgets the per-file request counts (for tests sharing one server).
The chosen port (--port 0 picks a free one) is printed on stdout, then a newline.
"""
import argparse
import fnmatch
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
BODY_REQUESTS = {}  # repo path -> number of body requests so far


def log(entry):
    if not ARGS.log:
        return
    with LOCK:
        with open(ARGS.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def load_faults():
    if not ARGS.faults or not os.path.exists(ARGS.faults):
        return {}
    with open(ARGS.faults) as f:
        text = f.read()
    return json.loads(text) if text.strip() else {}


def load_repo(org, name):
    repo_dir = os.path.join(ARGS.root, org, name)
    meta_path = os.path.join(repo_dir, "repo.json")
    if not os.path.isfile(meta_path):
        return None, None
    with open(meta_path) as f:
        return repo_dir, json.load(f)


def resolve_revision(repo_dir, meta, rev):
    if rev in meta.get("refs", {}):
        return meta["refs"][rev]
    if len(rev) == 40 and os.path.isdir(os.path.join(repo_dir, "commits", rev)):
        return rev
    return None


def list_files(commit_dir):
    out = []
    for dirpath, _, filenames in os.walk(commit_dir):
        for fn in filenames:
            full = os.path.join(dirpath, fn)
            out.append(os.path.relpath(full, commit_dir).replace(os.sep, "/"))
    return sorted(out)


def is_lfs(meta, path):
    return any(fnmatch.fnmatch(path, p) for p in meta.get("lfs", ["*.safetensors", "*.bin"]))


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def find_blob_by_sha256(sha):
    for org in os.listdir(ARGS.root):
        for name in os.listdir(os.path.join(ARGS.root, org)):
            commits = os.path.join(ARGS.root, org, name, "commits")
            if not os.path.isdir(commits):
                continue
            for commit in os.listdir(commits):
                for path in list_files(os.path.join(commits, commit)):
                    with open(os.path.join(commits, commit, path), "rb") as f:
                        data = f.read()
                    if hashlib.sha256(data).hexdigest() == sha:
                        return data
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def record(self, status):
        log({"method": self.command, "path": self.path, "range": self.headers.get("Range"),
             "auth": self.headers.get("Authorization") is not None, "status": status})

    def send_json(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        self.send_json(status, {"error": message}, {"X-Error-Code": code})

    def authorized(self, meta):
        if not meta.get("gated"):
            return True
        return self.headers.get("Authorization") == "Bearer " + ARGS.token

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def repo_or_error(self, org, name):
        repo_dir, meta = load_repo(org, name)
        if meta is None:
            self.error(404, "RepoNotFound", "Repository not found")
            return None, None
        if not self.authorized(meta):
            self.error(401, "GatedRepo", "Access to model %s/%s is restricted" % (org, name))
            return None, None
        return repo_dir, meta

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_reset":  # tests sharing one server: forget fault counters
            with LOCK:
                BODY_REQUESTS.clear()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        query = urllib.parse.parse_qs(url.query)
        if len(parts) >= 6 and parts[0] == "api" and parts[1] == "models" and parts[4] in ("revision", "tree"):
            org, name, kind, rev = parts[2], parts[3], parts[4], "/".join(parts[5:])
            repo_dir, meta = self.repo_or_error(org, name)
            if meta is None:
                return
            commit = resolve_revision(repo_dir, meta, rev)
            if commit is None:
                self.error(404, "RevisionNotFound", "Invalid rev id: " + rev)
                return
            commit_dir = os.path.join(repo_dir, "commits", commit)
            files = list_files(commit_dir)
            if kind == "revision":
                self.send_json(200, {"id": org + "/" + name, "sha": commit,
                                     "siblings": [{"rfilename": p} for p in files]})
                return
            entries = []
            for p in files:
                with open(os.path.join(commit_dir, p), "rb") as f:
                    data = f.read()
                entry = {"type": "file", "path": p, "size": len(data), "oid": git_blob_sha1(data)}
                if is_lfs(meta, p):
                    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (
                        hashlib.sha256(data).hexdigest(), len(data))
                    entry["oid"] = git_blob_sha1(pointer.encode())  # the pointer is what git stores
                    entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data),
                                    "pointerSize": len(pointer)}
                entries.append(entry)
            dirs = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
            entries += [{"type": "directory", "path": d, "size": 0, "oid": "0" * 40} for d in dirs]
            extra = {}
            if ARGS.page_size:
                start = int(query.get("cursor", ["0"])[0])
                if start + ARGS.page_size < len(entries):
                    nxt = "http://127.0.0.1:%d%s?recursive=true&cursor=%d" % (
                        self.server.server_address[1], url.path, start + ARGS.page_size)
                    extra["Link"] = '<%s>; rel="next"' % nxt
                entries = entries[start:start + ARGS.page_size]
            self.send_json(200, entries, extra)
            return
        if len(parts) >= 5 and parts[2] == "resolve":
            org, name, rev, path = parts[0], parts[1], parts[3], "/".join(parts[4:])
            repo_dir, meta = self.repo_or_error(org, name)
            if meta is None:
                return
            commit = resolve_revision(repo_dir, meta, rev)
            if commit is None:
                self.error(404, "RevisionNotFound", "Invalid rev id: " + rev)
                return
            full = os.path.join(repo_dir, "commits", commit, path)
            if not os.path.isfile(full):
                self.error(404, "EntryNotFound", "Entry not found")
                return
            with open(full, "rb") as f:
                data = f.read()
            headers = {"X-Repo-Commit": commit}
            if is_lfs(meta, path):
                sha = hashlib.sha256(data).hexdigest()
                self.record(302)
                self.send_response(302)
                self.send_header("Location", "/cdn/%s/%s" % (sha, urllib.parse.quote(path)))
                self.send_header("X-Linked-Etag", '"%s"' % sha)
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("X-Repo-Commit", commit)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers["ETag"] = '"%s"' % git_blob_sha1(data)
            self.serve_body(path, data, headers)
            return
        if len(parts) >= 3 and parts[0] == "cdn":
            sha, path = parts[1], "/".join(parts[2:])
            data = find_blob_by_sha256(sha)
            if data is None:
                self.error(404, "EntryNotFound", "no such blob")
                return
            self.serve_body(path, data, {"ETag": '"%s"' % sha})
            return
        self.error(404, "RepoNotFound", "no route for " + url.path)

    def serve_body(self, path, data, headers):
        faults = load_faults()
        with LOCK:
            n = BODY_REQUESTS.get(path, 0)
            BODY_REQUESTS[path] = n + 1
        statuses = faults.get("status", {}).get(path, [])
        if n < len(statuses):
            self.error(statuses[n], "Fault", "injected failure")
            return
        if path in faults.get("corrupt", []) and data:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        status, start = 200, 0
        rng = self.headers.get("Range")
        if rng and path not in faults.get("ignore_range", []):
            if not rng.startswith("bytes=") or not rng.endswith("-"):
                self.error(400, "BadRange", "only bytes=N- is supported")
                return
            start = int(rng[len("bytes="):-1])
            if start >= len(data):
                self.record(416)
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:]
        self.record(status)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        drop = faults.get("drop_after", {}).get(path)
        if drop is not None and n == 0 and drop < len(body):
            self.wfile.write(body[:drop])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        rate = faults.get("slow", {}).get(path)
        if rate:
            chunk = max(1, rate // 20)
            for i in range(0, len(body), chunk):
                self.wfile.write(body[i:i + chunk])
                self.wfile.flush()
                time.sleep(chunk / rate)
            return
        self.wfile.write(body)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--faults")
    parser.add_argument("--log")
    parser.add_argument("--token", default="secret-token")
    parser.add_argument("--page-size", type=int, default=0)
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
