#!/usr/bin/env python3
"""immich-double -- a stateful Immich server double on 127.0.0.1 for tests.

It holds the invariants of shared/reference/immich.md section 7: assets are
keyed per user by the SHA-1 of their bytes, bulk checks answer in request
order, albums are sets with names that need not be unique, keys carry
permissions, and a v2 and a v3 profile differ where the real servers do.
It is proven faithful by the official @immich/cli (tests/immich-double.bats).

Checked against the real server (Immich v3.1.0 built from source by
tests/immich/server; tests/immich-real.bats replays the same requests on both
and compares them line by line):
  - POST /api/assets: 201 {"status":"created","id"} for new bytes, then 200
    {"status":"duplicate"} with the same id for the same bytes (per user);
  - POST /api/assets/bulk-upload-check: 200, one result per asset in request
    order, ids echoed verbatim (a repeated id too), hex and base64 checksums,
    reject + reason "duplicate" + assetId + isTrashed false, or accept;
  - POST /api/albums: 201 {albumName, assetCount 0}; the same name again makes
    a second album; GET /api/albums lists both with their counts;
  - PUT /api/albums/ID/assets: 200 [{id, success true}], then [{id, success
    false, error "duplicate"}] for a member already in; a locked asset gets
    error "no_permission" (tests/immich-real.bats, issue 15's test);
  - PUT /api/assets/ID {"livePhotoVideoId"}: 200 with the asset, which now
    names the video, and the video hidden (GET /api/assets/ID shows both);
    the same again is 200 too;
  - the statuses of errors: 400 for an unsupported file type and for an
    unknown album, 401 for a bad key; 400 "Live photo video not found",
    "Live photo video must be a video" and "Not found or no asset.update
    access" for a link to no asset, to an image, and of an unknown asset.
Known difference from v3.1.0: its error bodies are only {"message"} (the
double adds Nest's statusCode and error).
What a real server cannot be made to do on demand stays the double's alone:
5xx and 429 with Retry-After, hangs, resets, slow bodies, redirects, TLS
errors, the early checksum answer, the v2 profile, the trash.

Usage:
  immich-double.py --port-file FILE [--profile v2|v3] [--key SECRET=USER:PERMS]...
                   [--lifetime SECONDS] [--checksum-early] [--latency SECONDS]
                   [--tls-cert PEM --tls-key PEM]

Control endpoints (no auth), for tests:
  GET  /__double/state    assets and albums as JSON
  GET  /__double/log      every request, in order, with parsed multipart fields
  POST /__double/faults   [{"match":"POST /api/assets","kind":"status","status":500,
                            (match is exact, or a prefix when it ends in "*")
                            "count":2,"skip":0,"retry_after":1}, ...]
                          kinds: status (with "message", e.g. the quota's
                          "Quota has been exceeded!"), hang, reset, slow, redirect,
                          empty_id (a 201 "created" whose id is "", nothing stored)
  POST /__double/trash    {"checksum": "<hex>"}: move that asset to the trash
  POST /__double/config   {"checksum_early": true, "latency": 0.1, "profile": "v2",
                           "stale_check": true, "duplicate_accept": true (each
                           "accept" row of a bulk check comes twice),
                           "well_known": "http://host:port/api" (the endpoint
                           /.well-known/immich names)}
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import uuid

IMAGE_EXT = [".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".tif",
             ".tiff", ".dng", ".avif", ".bmp", ".jxl", ".raw", ".cr2", ".nef",
             ".arw", ".orf", ".raf", ".rw2", ".insp", ".jp2", ".svg"]
VIDEO_EXT = [".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v", ".3gp", ".mts",
             ".m2ts", ".mpg", ".mpeg", ".wmv", ".flv", ".insv", ".mp2t", ".ts",
             ".3gpp", ".vob"]
SIDECAR_EXT = [".xmp"]
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
ISO_ANY = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
                     r"(Z|[+-]\d{2}:?\d{2})?$")
VISIBILITY = ("archive", "timeline", "hidden", "locked")


class State:
    def __init__(self, profile, keys):
        self.lock = threading.Lock()
        self.profile = profile
        self.users = {}         # name -> {id, name, email, password, isAdmin}
        self.keys = {}          # secret -> (user name, set of permissions)
        self.tokens = {}        # access token -> user name
        self.assets = []        # dicts, see upload()
        self.albums = []        # {id, name, owner, assets: [ids], createdAt}
        self.log = []
        self.faults = []
        self.checksum_early = False
        self.stale_check = False    # bulk checks answer "accept" (a race)
        self.duplicate_accept = False   # each "accept" row twice
        self.well_known = "/api"
        self.latency = 0.0
        self.stopping = False
        for spec in keys:
            secret, _, rest = spec.partition("=")
            user, _, perms = rest.partition(":")
            self.user(user or "admin")
            self.keys[secret] = (user or "admin", set((perms or "all").split(",")))

    def user(self, name):
        if name not in self.users:
            self.users[name] = {"id": str(uuid.uuid4()), "name": name,
                                "email": name + "@example.com", "password": None,
                                "isAdmin": not self.users}
        return self.users[name]

    def asset_by_checksum(self, owner, hexsum):
        for a in self.assets:
            if a["owner"] == owner and a["checksum"] == hexsum:
                return a
        return None

    def asset_by_id(self, aid):
        for a in self.assets:
            if a["id"] == aid:
                return a
        return None


def checksum_hex(s):
    """Immich's fromChecksum: base64 when 28 characters long, else hex."""
    if len(s) == 28:
        try:
            return base64.b64decode(s).hex()
        except ValueError:
            return None
    if re.fullmatch(r"[0-9a-fA-F]{40}", s):
        return s.lower()
    return None


def parse_multipart(body, ctype):
    """Parts in order: (name, filename bytes or None, headers, data)."""
    m = re.search(r'boundary="?([^";]+)"?', ctype or "")
    if not m:
        raise ValueError("no boundary")
    delim = b"--" + m.group(1).encode("latin1")
    parts = []
    pos = body.find(delim)
    if pos < 0:
        raise ValueError("no first boundary")
    while True:
        pos += len(delim)
        if body[pos:pos + 2] == b"--":
            return parts
        if body[pos:pos + 2] != b"\r\n":
            raise ValueError("bad boundary line")
        pos += 2
        hend = body.find(b"\r\n\r\n", pos)
        if hend < 0:
            raise ValueError("unterminated part headers")
        headers = {}
        for line in bytes(body[pos:hend]).split(b"\r\n"):
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode("latin1")] = v.strip()
        nxt = body.find(b"\r\n" + delim, hend + 4)
        if nxt < 0:
            raise ValueError("unterminated part")
        data = memoryview(body)[hend + 4:nxt]
        disp = headers.get("content-disposition", b"")
        name = re.search(rb'(?:^|;)\s*name="([^"]*)"', disp)
        fname = re.search(rb';\s*filename="((?:[^"\\]|\\.)*)"', disp)
        parts.append((name.group(1).decode("utf-8", "replace") if name else "",
                      fname.group(1) if fname else None, headers, data))
        pos = nxt + 2


def ext_of(name):
    base = name.rsplit("/", 1)[-1]
    i = base.rfind(".")
    return base[i:].lower() if i > 0 else ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between header and body writes
    server_version = "immich-double"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    # Defer "100 Continue" until the handler decides to read the body, so an
    # early answer (checksum header, fault) can go out without it.
    def handle_expect_100(self):
        self.expect_100 = True
        return True

    def send_continue(self):
        if getattr(self, "expect_100", False):
            self.expect_100 = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()

    def read_body(self):
        self.send_continue()
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("content-length") or 0)
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            k = self.rfile.readinto(view[got:])
            if not k:
                raise ConnectionError("short body")
            got += k
        return data

    def reply(self, status, obj=None, extra=None, close=False):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if close or getattr(self, "expect_100", False):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        slow = getattr(self, "slow", 0)
        if slow and body:
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(slow / len(body))
        else:
            self.wfile.write(body)
        self.entry["status"] = status
        self.entry["end"] = time.time()
        return status

    def error(self, status, message, error=None):
        names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                 404: "Not Found", 500: "Internal Server Error"}
        return self.reply(status, {"message": message,
                                   "error": error or names.get(status, "Error"),
                                   "statusCode": status})

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        self.query = urllib.parse.parse_qs(url.query)
        self.entry = {"method": method, "path": path, "query": url.query,
                      "headers": {k.lower(): v for k, v in self.headers.items()},
                      "status": None, "time": time.time()}
        if path.startswith("/__double/"):
            return self.control(method, path)
        with st.lock:
            st.log.append(self.entry)
            fault = self.take_fault(method + " " + path)
        try:
            if fault and self.inject(fault):
                return
            self.route(method, path)
        except (ConnectionError, ValueError) as e:
            self.entry["status"] = "aborted: %s" % e
            self.close_connection = True

    def take_fault(self, key):
        st = self.server.state
        for f in st.faults:
            m = f.get("match", "")
            if not (key == m or (m.endswith("*") and key.startswith(m[:-1]))):
                continue
            if f.get("skip", 0) > 0:
                f["skip"] -= 1
                continue
            if f.get("count", 1) <= 0:
                continue
            f["count"] = f.get("count", 1) - 1
            return dict(f)
        return None

    def inject(self, f):
        """Apply a fault; True when the request is finished by it."""
        kind = f.get("kind", "status")
        self.entry["fault"] = kind
        if kind == "status":
            self.read_body_quietly()
            extra = {}
            if "retry_after" in f:
                extra["Retry-After"] = str(f["retry_after"])
            self.reply(f.get("status", 500), {"message": f.get("message", "injected fault"),
                                              "statusCode": f.get("status", 500)}, extra)
            return True
        if kind == "redirect":
            self.read_body_quietly()
            self.reply(f.get("status", 308), None,
                       {"Location": f.get("location", "http://127.0.0.1:9/api")})
            return True
        if kind == "hang":
            while not self.server.state.stopping:
                time.sleep(0.05)
            self.close_connection = True
            self.entry["status"] = "hung"
            return True
        if kind == "reset":
            self.send_continue()
            n = int(self.headers.get("content-length") or 0)
            self.rfile.read(min(n // 2, 65536))
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.entry["status"] = "reset"
            self.connection.close()
            return True
        if kind == "empty_id":
            self.read_body_quietly()
            self.reply(201, {"id": "", "status": "created"})
            return True
        if kind == "slow":
            self.slow = f.get("seconds", 2)
            return False
        return False

    def read_body_quietly(self):
        try:
            self.read_body()
        except (ConnectionError, ValueError):
            self.close_connection = True

    def control(self, method, path):
        st = self.server.state
        with st.lock:
            if path == "/__double/state":
                return self.reply(200, {
                    "profile": st.profile,
                    "assets": [{k: v for k, v in a.items() if k != "sidecar_bytes"}
                               for a in st.assets],
                    "albums": st.albums,
                    "users": {k: v["id"] for k, v in st.users.items()}})
            if path == "/__double/log":
                return self.reply(200, st.log)
        body = json.loads(self.read_body() or b"null")
        with st.lock:
            if path == "/__double/faults":
                st.faults = body
                return self.reply(200, {"ok": True})
            if path == "/__double/config":
                st.checksum_early = body.get("checksum_early", st.checksum_early)
                st.latency = body.get("latency", st.latency)
                st.profile = body.get("profile", st.profile)
                st.stale_check = body.get("stale_check", st.stale_check)
                st.duplicate_accept = body.get("duplicate_accept", st.duplicate_accept)
                st.well_known = body.get("well_known", st.well_known)
                return self.reply(200, {"ok": True})
            if path == "/__double/trash":
                for a in st.assets:
                    if a["checksum"] == body["checksum"]:
                        a["trashed"] = True
                return self.reply(200, {"ok": True})
        return self.error(404, "no such control")

    # -- authentication ----------------------------------------------------

    def auth(self, perm):
        """The user name, or None after answering 401/403."""
        st = self.server.state
        key = self.headers.get("x-api-key") or (self.query.get("apiKey") or [None])[0]
        bearer = self.headers.get("authorization", "")
        if key is None and bearer.lower().startswith("bearer "):
            tok = bearer[7:].strip()
            if tok in st.tokens:
                self.perms = {"all"}
                return st.tokens[tok]
            self.error(401, "Invalid user token")
            return None
        if key is None:
            self.error(401, "Authentication required")
            return None
        if key not in st.keys:
            self.error(401, "Invalid API key")
            return None
        user, perms = st.keys[key]
        self.perms = perms
        if perm and "all" not in perms and perm not in perms:
            self.error(403, "Missing required permission: %s" % perm)
            return None
        return user

    # -- routes ------------------------------------------------------------

    def route(self, method, path):
        st = self.server.state
        v3 = st.profile == "v3"
        if path == "/.well-known/immich" and method == "GET":
            return self.reply(200, {"api": {"endpoint": st.well_known}})
        if not path.startswith("/api/"):
            return self.reply(200, None)  # the web app would answer here
        p = path[4:]
        if p == "/server/ping":
            return self.reply(200, {"res": "pong"})
        if p == "/server/version":
            if v3:
                return self.reply(200, {"major": 3, "minor": 2, "patch": 2,
                                        "prerelease": None})
            return self.reply(200, {"major": 2, "minor": 7, "patch": 5})
        if p == "/server/media-types":
            if self.auth(None) is None:
                return
            return self.reply(200, {"image": IMAGE_EXT, "video": VIDEO_EXT,
                                    "sidecar": SIDECAR_EXT})
        if p == "/server/about":
            if self.auth("server.about") is None:
                return
            return self.reply(200, {"version": "v3.2.2" if v3 else "v2.7.5"})
        if p == "/server/statistics" or p == "/server/storage":
            if self.auth(None) is None:
                return
            return self.reply(200, {"photos": 0, "videos": 0, "usage": 0})
        if p == "/auth/admin-sign-up" and method == "POST":
            return self.admin_sign_up()
        if p == "/auth/login" and method == "POST":
            return self.login()
        if p == "/users/me" and method == "GET":
            user = self.auth("user.read")
            if user is None:
                return
            u = st.users[user]
            return self.reply(200, {"id": u["id"], "name": u["name"], "email": u["email"],
                                    "isAdmin": u["isAdmin"]})
        if p == "/api-keys/me" and method == "GET":
            user = self.auth(None)
            if user is None:
                return
            return self.reply(200, {"id": "k", "name": "key",
                                    "permissions": sorted(self.perms)})
        if p == "/api-keys" and method == "POST":
            return self.create_key()
        if p == "/assets/bulk-upload-check" and method == "POST":
            return self.bulk_check()
        if p == "/assets" and method == "POST":
            return self.upload()
        if p == "/albums" and method == "GET":
            return self.list_albums()
        if p == "/albums" and method == "POST":
            return self.create_album()
        m = re.fullmatch(r"/assets/([^/]+)", p)
        if m and method == "PUT":
            return self.update_asset(m.group(1))
        if m and method == "GET":
            return self.get_asset(m.group(1))
        m = re.fullmatch(r"/albums/([^/]+)/assets", p)
        if m and method == "PUT":
            return self.add_to_album(m.group(1))
        m = re.fullmatch(r"/albums/([^/]+)", p)
        if m and method == "GET":
            return self.get_album(m.group(1))
        if p == "/trash/restore/assets" and method == "POST":
            user = self.auth("asset.delete")
            if user is None:
                return
            ids = json.loads(self.read_body()).get("ids", [])
            with st.lock:
                for a in st.assets:
                    if a["id"] in ids and a["owner"] == user:
                        a["trashed"] = False
            return self.reply(200, {"count": len(ids)})
        self.read_body_quietly()
        return self.error(404, "Cannot %s %s" % (method, path), "Not Found")

    def admin_sign_up(self):
        st = self.server.state
        body = json.loads(self.read_body())
        with st.lock:
            if any(u["isAdmin"] and u["password"] for u in st.users.values()):
                return self.error(400, "The server already has an admin")
            u = st.user(body.get("name") or "admin")
            u.update(email=body["email"], password=body["password"], isAdmin=True)
        return self.reply(201, {"id": u["id"], "email": u["email"], "name": u["name"],
                                "isAdmin": True})

    def login(self):
        st = self.server.state
        body = json.loads(self.read_body())
        with st.lock:
            for name, u in st.users.items():
                if u["email"] == body.get("email") and u["password"] == body.get("password"):
                    tok = uuid.uuid4().hex
                    st.tokens[tok] = name
                    return self.reply(201, {"accessToken": tok, "userId": u["id"],
                                            "userEmail": u["email"], "name": name,
                                            "isAdmin": u["isAdmin"], "isOnboarded": True,
                                            "profileImagePath": "",
                                            "shouldChangePassword": False},
                                      {"Set-Cookie": "immich_access_token=" + tok})
        return self.error(401, "Incorrect email or password")

    def create_key(self):
        st = self.server.state
        user = self.auth("apiKey.create")
        if user is None:
            return
        body = json.loads(self.read_body())
        if "permissions" not in body:
            return self.error(400, ["permissions must be an array"])
        secret = uuid.uuid4().hex
        with st.lock:
            st.keys[secret] = (user, set(body["permissions"]))
        key = {"id": str(uuid.uuid4()), "name": body.get("name", "API Key"),
               "permissions": body["permissions"], "createdAt": "2026-01-01T00:00:00.000Z",
               "updatedAt": "2026-01-01T00:00:00.000Z"}
        out = {"apiKey": key, "secret": secret}
        if st.profile == "v3":
            out.update(key)
        return self.reply(201, out)

    def bulk_check(self):
        st = self.server.state
        user = self.auth("asset.upload")
        if user is None:
            return
        body = json.loads(self.read_body())
        results = []
        with st.lock:
            for a in body.get("assets", []):
                hexsum = checksum_hex(a.get("checksum", ""))
                if hexsum is None:
                    return self.error(400, ["checksum must be a sha1 hex or base64"])
                have = None if st.stale_check else st.asset_by_checksum(user, hexsum)
                if have:
                    results.append({"id": a["id"], "action": "reject",
                                    "reason": "duplicate", "assetId": have["id"],
                                    "isTrashed": have["trashed"]})
                else:
                    results.append({"id": a["id"], "action": "accept"})
                    if st.duplicate_accept:
                        results.append({"id": a["id"], "action": "accept"})
        return self.reply(200, {"results": results})

    def upload(self):
        st = self.server.state
        user = self.auth("asset.upload")
        if user is None:
            return
        early = self.headers.get("x-immich-checksum")
        if early and st.checksum_early:
            hexsum = checksum_hex(early)
            with st.lock:
                have = st.asset_by_checksum(user, hexsum) if hexsum else None
            if have:
                # The real interceptor answers before multer reads a byte.
                self.entry["early"] = True
                return self.reply(200, {"id": have["id"], "status": "duplicate"}, close=True)
        body = self.read_body()
        parts = parse_multipart(body, self.headers.get("content-type"))
        fields, files, seen_filename = {}, {}, None
        for name, fname, headers, data in parts:
            if fname is None:
                fields[name] = bytes(data).decode("utf-8", "replace")
                if name == "filename":
                    seen_filename = fields[name]
                continue
            # Immich re-decodes the latin1-read name as UTF-8.
            decoded = fname.decode("utf-8", "replace")
            checked = seen_filename or decoded
            allowed = SIDECAR_EXT if name == "sidecarData" else IMAGE_EXT + VIDEO_EXT
            if name in ("assetData", "sidecarData") and ext_of(checked) not in allowed:
                self.entry["fields"] = fields
                return self.error(400, "Unsupported file type %s" % checked)
            files[name] = {"filename": decoded, "size": len(data),
                           "sha1": hashlib.sha1(data).hexdigest(), "data": data,
                           "type": bytes(headers.get("content-type", b"")).decode("latin1")}
        self.entry["fields"] = fields
        self.entry["files"] = {k: {kk: vv for kk, vv in v.items() if kk != "data"}
                               for k, v in files.items()}
        self.entry["order"] = [p[0] for p in parts]
        problems = self.validate(fields, files)
        if problems:
            return self.error(400, problems)
        if st.latency:
            time.sleep(st.latency)
        f = files["assetData"]
        with st.lock:
            have = st.asset_by_checksum(user, f["sha1"])
            if have:
                return self.reply(200, {"id": have["id"], "status": "duplicate"})
            asset = {"id": str(uuid.uuid4()), "owner": user, "checksum": f["sha1"],
                     "size": f["size"],
                     "originalFileName": fields.get("filename") or f["filename"],
                     "fileCreatedAt": fields.get("fileCreatedAt"),
                     "fileModifiedAt": fields.get("fileModifiedAt"),
                     "isFavorite": fields.get("isFavorite") == "true",
                     "visibility": fields.get("visibility", "timeline"),
                     "type": "VIDEO" if ext_of(fields.get("filename") or f["filename"])
                             in VIDEO_EXT else "IMAGE",
                     "livePhotoVideoId": None,
                     "deviceAssetId": fields.get("deviceAssetId"),
                     "sidecar": "sidecarData" in files,
                     "sidecarSha1": files["sidecarData"]["sha1"] if "sidecarData" in files else None,
                     "trashed": False}
            st.assets.append(asset)
        return self.reply(201, {"id": asset["id"], "status": "created"})

    def validate(self, fields, files):
        v3 = self.server.state.profile == "v3"
        out = []
        if "assetData" not in files:
            out.append("assetData must be a file")
        for k in ("fileCreatedAt", "fileModifiedAt"):
            val = fields.get(k)
            if val is None:
                out.append("%s must be a Date instance" % k)
            elif v3 and not ISO_Z.match(val):
                out.append("%s: Invalid ISO datetime" % k)
            elif not v3 and not ISO_ANY.match(val):
                out.append("%s must be a Date instance" % k)
        if not v3:
            for k in ("deviceAssetId", "deviceId"):
                if not fields.get(k):
                    out.append("%s should not be empty" % k)
        if "isFavorite" in fields:
            ok = ("true", "false") if v3 else ("true", "false", "1", "0")
            if fields["isFavorite"] not in ok:
                out.append("isFavorite must be a boolean value")
        if "visibility" in fields and fields["visibility"] not in VISIBILITY:
            out.append("visibility must be one of the following values")
        if v3 and "duration" in fields and not re.fullmatch(r"\d+", fields["duration"]):
            out.append("Invalid input: expected number, received NaN")
        return out

    # -- one asset ---------------------------------------------------------

    def asset_json(self, a):
        st = self.server.state
        return {"id": a["id"], "ownerId": st.users[a["owner"]]["id"], "type": a["type"],
                "originalFileName": a["originalFileName"],
                "fileCreatedAt": a["fileCreatedAt"], "isFavorite": a["isFavorite"],
                "visibility": a["visibility"], "isTrashed": a["trashed"],
                "livePhotoVideoId": a["livePhotoVideoId"],
                "checksum": base64.b64encode(bytes.fromhex(a["checksum"])).decode()}

    def owned_asset(self, user, aid):
        a = self.server.state.asset_by_id(aid)
        return a if a is not None and a["owner"] == user else None

    def get_asset(self, aid):
        st = self.server.state
        user = self.auth("asset.read")
        if user is None:
            return
        with st.lock:
            a = self.owned_asset(user, aid)
            if a is None:
                return self.error(400, "Not found or no asset.read access")
            return self.reply(200, self.asset_json(a))

    def update_asset(self, aid):
        """v3.1.0's AssetService.update: the access check, then a video to
        link must be the user's own video; linking hides it."""
        st = self.server.state
        user = self.auth("asset.update")
        if user is None:
            return
        body = json.loads(self.read_body() or b"{}")
        with st.lock:
            a = self.owned_asset(user, aid)
            if a is None:
                return self.error(400, "Not found or no asset.update access")
            vid = body.get("livePhotoVideoId")
            if vid:
                v = st.asset_by_id(vid)
                if v is None:
                    return self.error(400, "Live photo video not found")
                if v["type"] != "VIDEO":
                    return self.error(400, "Live photo video must be a video")
                if v["owner"] != user:
                    return self.error(400, "Live photo video does not belong to the user")
                if v["visibility"] == "timeline":
                    v["visibility"] = "hidden"
                a["livePhotoVideoId"] = vid
            elif "livePhotoVideoId" in body and vid is None and a["livePhotoVideoId"]:
                v = st.asset_by_id(a["livePhotoVideoId"])
                if v is not None and v["visibility"] == "hidden":
                    v["visibility"] = a["visibility"]
                a["livePhotoVideoId"] = None
            if "isFavorite" in body:
                a["isFavorite"] = bool(body["isFavorite"])
            if body.get("visibility") in VISIBILITY:
                a["visibility"] = body["visibility"]
            return self.reply(200, self.asset_json(a))

    # -- albums ------------------------------------------------------------

    def album_json(self, al):
        st = self.server.state
        owner = st.users[al["owner"]]
        out = {"id": al["id"], "albumName": al["name"], "description": "",
               "assetCount": len(al["assets"]), "createdAt": al["createdAt"],
               "shared": bool(al.get("shared"))}
        userdto = {"id": owner["id"], "name": owner["name"], "email": owner["email"]}
        if st.profile == "v3":
            out["albumUsers"] = [{"user": userdto, "role": "owner"}] + [
                {"user": {"id": st.users[u]["id"], "name": u,
                          "email": st.users[u]["email"]}, "role": "editor"}
                for u in al.get("shared", [])]
        else:
            out["ownerId"] = owner["id"]
            out["owner"] = userdto
            out["albumUsers"] = [{"user": {"id": st.users[u]["id"], "name": u},
                                  "role": "editor"} for u in al.get("shared", [])]
            out["assets"] = []
        return out

    def list_albums(self):
        st = self.server.state
        user = self.auth("album.read")
        if user is None:
            return
        with st.lock:
            if st.profile == "v3":
                mine = [a for a in st.albums
                        if a["owner"] == user or user in a.get("shared", [])]
                if "name" in self.query:
                    mine = [a for a in mine if a["name"] == self.query["name"][0]]
                if self.query.get("isOwned") == ["true"]:
                    mine = [a for a in mine if a["owner"] == user]
            else:
                mine = [a for a in st.albums if a["owner"] == user]
            return self.reply(200, [self.album_json(a) for a in mine])

    def get_album(self, aid):
        st = self.server.state
        user = self.auth("album.read")
        if user is None:
            return
        with st.lock:
            for a in st.albums:
                if a["id"] == aid and (a["owner"] == user or user in a.get("shared", [])):
                    return self.reply(200, self.album_json(a))
        return self.error(400, "Not found or no album.read access")

    def create_album(self):
        st = self.server.state
        user = self.auth("album.create")
        if user is None:
            return
        body = json.loads(self.read_body())
        if not isinstance(body.get("albumName"), str):
            return self.error(400, ["albumName must be a string"])
        with st.lock:
            al = {"id": str(uuid.uuid4()), "name": body["albumName"], "owner": user,
                  "assets": [], "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                           time.gmtime())}
            for aid in body.get("assetIds", []):
                a = st.asset_by_id(aid)
                if a and a["owner"] == user and aid not in al["assets"]:
                    al["assets"].append(aid)
            st.albums.append(al)
            return self.reply(201, self.album_json(al))

    def add_to_album(self, album_id):
        st = self.server.state
        user = self.auth("albumAsset.create")
        if user is None:
            return
        body = json.loads(self.read_body())
        with st.lock:
            al = next((a for a in st.albums if a["id"] == album_id and
                       (a["owner"] == user or user in a.get("shared", []))), None)
            if al is None:
                return self.error(400, "Album not found")
            out = []
            for aid in body.get("ids", []):
                a = st.asset_by_id(aid)
                if a is None:
                    out.append({"id": aid, "success": False, "error": "not_found"})
                elif a["owner"] != user or a.get("visibility") == "locked":
                    # a locked asset is out of albums (v3.1.0: no_permission
                    # without an unlocked session, and a key has none)
                    out.append({"id": aid, "success": False, "error": "no_permission"})
                elif aid in al["assets"]:
                    out.append({"id": aid, "success": False, "error": "duplicate"})
                else:
                    al["assets"].append(aid)
                    out.append({"id": aid, "success": True})
            return self.reply(200, out)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description="Immich test double")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--profile", choices=("v2", "v3"), default="v3")
    ap.add_argument("--key", action="append", default=[],
                    help="SECRET=USER:PERM,PERM (default k=admin:all)")
    ap.add_argument("--lifetime", type=float, default=900,
                    help="stop by itself after this many seconds")
    ap.add_argument("--checksum-early", action="store_true")
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="and this key (PEM)")
    args = ap.parse_args()
    state = State(args.profile, args.key or ["k=admin:all"])
    state.checksum_early = args.checksum_early
    state.latency = args.latency
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = state
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)

    def stop(*_):
        state.stopping = True
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer = threading.Timer(args.lifetime, stop)
    timer.daemon = True
    timer.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
