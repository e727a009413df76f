#!/usr/bin/env python3
"""A scripted HTTP server for dpm's fault-injection tests (loopback only).

Each request takes the next step of the script and answers as it says; when the
script is used up, requests get 599. Every request is logged, so a test can
assert how many attempts were made, with which headers (e.g. Range), how many body
bytes arrived, and on which connection (the client's port).

    python3 fault_server.py SCRIPT.json     # prints "PORT <n>" once listening

A step is an object:
    status          HTTP status (default 200)
    headers         extra response headers
    body            text body (or "body_hex" for bytes)
    content_length  the Content-Length to announce (default: the body's length)
    send_bytes      send only this many body bytes, then drop the connection
    delay           seconds to wait before answering
    range_from_request  answer a Range request with 206 and the requested part of body

GET /__log returns the log as JSON; it does not consume a step.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

script = json.load(open(sys.argv[1]))
lock = threading.Lock()
log = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def handle_any(self):
        if self.path == "/__log":
            data = json.dumps(log).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        length = int(self.headers.get("Content-Length") or 0)
        received = len(self.rfile.read(length)) if length else 0
        with lock:
            log.append({"method": self.command, "path": self.path, "range": self.headers.get("Range"),
                        "connection": self.client_address[1], "received": received})
            step = script.pop(0) if script else {"status": 599, "body": "script exhausted"}
        time.sleep(step.get("delay", 0))
        body = bytes.fromhex(step["body_hex"]) if "body_hex" in step else step.get("body", "").encode()
        status = step.get("status", 200)
        headers = dict(step.get("headers", {}))
        requested = self.headers.get("Range")
        if step.get("range_from_request") and requested and requested.startswith("bytes="):
            start = int(requested[len("bytes="):].split("-")[0])
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(body) - 1, len(body))
            body = body[start:]
            status = 206
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(step.get("content_length", len(body))))
        self.end_headers()
        if self.command == "HEAD":
            return
        sent = body[: step["send_bytes"]] if "send_bytes" in step else body
        self.wfile.write(sent)
        self.wfile.flush()
        if "send_bytes" in step or step.get("content_length", len(body)) != len(sent):
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("PORT %d" % server.server_address[1], flush=True)
# Bounded: the server stops by itself after ten minutes whatever happens.
threading.Timer(600, server.shutdown).start()
server.serve_forever()
