#!/usr/bin/env python3
"""A test HTTP server on 127.0.0.1 with injected faults, for e2e_urls.

    http-server.py DIR PORTFILE LOG [SEED]

Serves DIR's files as /MODE/NAME, honouring 'Range: bytes=N-' (206), and
writes its port to PORTFILE once listening. MODE:
  ok        the file
  cut       the connection closed at random offsets, 4 times per file
  norange   ignores Range (200 and the whole file again), cut 3 times
  slow      the body in 4 KiB pieces, 20 ms apart
  stall     sends half, then nothing for 30 s, once per file
  trunc     a correct Content-Length, half the body, then closed, once
  flaky     500 twice per file, then the file
  404, 403, 500   that status, always
Each request is logged to LOG as 'MODE NAME RANGE-START STATUS'.
"""
import http.server
import os
import random
import socketserver
import sys
import threading
import time

ROOT, PORTFILE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
RNG = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 13)
LOCK = threading.Lock()
SEEN = {}  # (mode, name) -> requests so far


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self, mode, name, start, status):
        with LOCK, open(LOG, "a") as f:
            f.write("%s %s %d %d\n" % (mode, name, start, status))

    def do_GET(self):
        parts = self.path.split("/", 2)
        if len(parts) != 3:
            return self.fail(400, "?", "?", 0)
        mode, name = parts[1], parts[2]
        with LOCK:
            n = SEEN.get((mode, name), 0)
            SEEN[(mode, name)] = n + 1
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        if mode in ("404", "403", "500") or (mode == "flaky" and n < 2):
            return self.fail(500 if mode == "flaky" else int(mode), mode, name, start)
        path = os.path.join(ROOT, os.path.basename(name))
        try:
            data = open(path, "rb").read()
        except OSError:
            return self.fail(404, mode, name, start)
        if mode == "norange":
            start = 0
        body = data[start:]
        status = 206 if start > 0 else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        self.note(mode, name, start, status)
        cut = None
        if mode in ("cut", "norange") and n < (4 if mode == "cut" else 3) and len(body) > 1:
            cut = RNG.randrange(1, len(body))
        if mode in ("trunc", "stall") and n == 0:
            cut = len(body) // 2
        try:
            if mode == "slow":
                for i in range(0, len(body), 4096):
                    self.wfile.write(body[i:i + 4096])
                    self.wfile.flush()
                    time.sleep(0.02)
            elif cut is not None:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                if mode == "stall":
                    time.sleep(30)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if cut is not None:
            self.close_connection = True

    def fail(self, status, mode, name, start):
        body = b"no\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.note(mode, name, start, status)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
