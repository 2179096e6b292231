#!/usr/bin/env python3
# cdn.py -- a loopback stand-in for Discord's CDN and Snapchat's memory
# links, for mem-fetch's tests and bench/fetch. It serves the files of ROOT
# by the last segment of the path, with the real URL shapes:
#   GET  /attachments/CH/ATT/NAME?ex=HEX&is=HEX&hm=HEX   ROOT/NAME
#   POST /dmd/memories (form: uid, sid, mid, ts, sig)    answers the media URL
#   GET  /memories/MID                                   ROOT/MID (any extension)
# Faults by the file name's prefix: f404-, f403-, f429- (429 with
# Retry-After: 1 once), f500- (500 once), reset- (cut mid-body once),
# slow- (the body in 10 pieces, 0.2 s apart), redirhttp- (302 to http://),
# redirhttps- (302 to https://cdn.discordapp.com/... of the name without
# the prefix), html- (an HTML error page with 200), stall- (half the body,
# then nothing for 30 s). An ex= in the past answers 404 as Discord does.
# Every request is logged to LOG as "METHOD PATH-WITHOUT-QUERY STATUS".
#
# usage: cdn.py --root DIR --log FILE --port-file FILE [--latency-ms N]
#        [--lifetime S] [--cert PEM]	(--cert: https, with that certificate)
import argparse
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
SEEN = {}		# path -> requests so far


def log(method, path, status):
    with LOCK:
        with open(ARGS.log, "a") as fp:
            fp.write("%s %s %d\n" % (method, path, status))


def count(path):
    with LOCK:
        SEEN[path] = SEEN.get(path, 0) + 1
        return SEEN[path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        log(self.command, self.path.split("?")[0], status)

    def find(self, name):
        p = os.path.join(ARGS.root, name)
        if os.path.isfile(p):
            return p
        for f in sorted(os.listdir(ARGS.root)):
            if os.path.splitext(f)[0] == name:
                return os.path.join(ARGS.root, f)
        return None

    def do_POST(self):
        if ARGS.latency_ms:
            time.sleep(ARGS.latency_ms / 1000)
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        path = self.path.split("?")[0]
        mid = form.get("mid", [""])[0]
        if path != "/dmd/memories" or not mid or self.find(mid) is None:
            return self.reply(404, b"no such memory")
        url = ("https://sc-prod-memories.storage.googleapis.com/memories/%s"
               "?Expires=1900000000&Signature=abc" % mid)
        self.reply(200, url.encode())

    def do_GET(self):
        if ARGS.latency_ms:
            time.sleep(ARGS.latency_ms / 1000)
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        q = urllib.parse.parse_qs(u.query)
        name = urllib.parse.unquote(path.rsplit("/", 1)[-1])
        n = count(path)
        ex = q.get("ex", [None])[0]
        if ex is not None and int(ex, 16) < time.time():
            return self.reply(404, b"This content is no longer available.")
        if name.startswith("f404-"):
            return self.reply(404, b"404: Not Found")
        if name.startswith("f403-"):
            return self.reply(403, b"<?xml version='1.0'?><Error>AccessDenied</Error>",
                              "application/xml")
        if name.startswith("f429-") and n == 1:
            return self.reply(429, b"rate limited", extra=[("Retry-After", "1")])
        if name.startswith("f500-") and n == 1:
            return self.reply(500, b"internal error")
        if name.startswith("html-"):
            return self.reply(200, b"<!DOCTYPE html><html><body>Something went "
                              b"wrong</body></html>", "text/html")
        if name.startswith("redirhttp-"):
            return self.reply(302, extra=[("Location", "http://127.0.0.1:%d%s"
                                           % (self.server.server_port,
                                              path.replace("redirhttp-", "")))])
        if name.startswith("redirhttps-"):
            return self.reply(302, extra=[(
                "Location", "https://cdn.discordapp.com%s?ex=7fffffff&is=1&hm=2"
                % path.replace("redirhttps-", ""))])
        f = self.find(name)
        if f is None:
            return self.reply(404, b"404: Not Found")
        with open(f, "rb") as fp:
            data = fp.read()
        if name.startswith("reset-") and n == 1:
            log("GET", path, 200)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        log("GET", path, 200)	# before the body: the client may be done first
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if name.startswith("slow-"):
            k = max(1, len(data) // 10)
            for i in range(0, len(data), k):
                self.wfile.write(data[i:i + k])
                self.wfile.flush()
                time.sleep(0.2)
        elif name.startswith("stall-"):
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            time.sleep(30)
        else:
            self.wfile.write(data)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--cert")
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    srv.request_queue_size = 128
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as fp:
        fp.write("%d\n" % srv.server_port)
    os.replace(tmp, ARGS.port_file)
    threading.Timer(ARGS.lifetime, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
