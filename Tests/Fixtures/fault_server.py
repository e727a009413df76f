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
    drop            close the connection without answering
    forward_then_drop   (proxy mode) pass the request on, then close the connection
                    without passing the answer back, as a connection lost in flight

Proxy mode: a script that is an object {"upstream": "http://127.0.0.1:<port>", "rules": [...]}
passes every request on to upstream (a real S3, e.g. moto) and its answer back, except
those a rule takes. A rule is a step with "match" (e.g. {"method": "POST", "query": "uploadId"}:
method equal, query containing the text) and "times" (default 1): it takes the first that
many matching requests.

GET /__log returns the log as JSON; it does not consume a step.
"""
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

script = json.load(open(sys.argv[1]))
upstream = None
rules = []
if isinstance(script, dict):
    upstream = urllib.parse.urlsplit(script["upstream"])
    rules = script.get("rules", [])
    script = []
lock = threading.Lock()
log = []


def take_rule(method, path):
    query = urllib.parse.urlsplit(path).query
    for rule in rules:
        match = rule.get("match", {})
        if rule.get("times", 1) <= 0:
            continue
        if "method" in match and match["method"] != method:
            continue
        if "query" in match and match["query"] not in query:
            continue
        rule["times"] = rule.get("times", 1) - 1
        return rule
    return None


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
        payload = self.rfile.read(length) if length else b""
        received = len(payload)
        with lock:
            entry = {"method": self.command, "path": self.path, "range": self.headers.get("Range"),
                     "connection": self.client_address[1], "received": received}
            log.append(entry)
            if upstream is not None:
                step = take_rule(self.command, self.path)
                entry["faulted"] = step is not None
            else:
                step = script.pop(0) if script else {"status": 599, "body": "script exhausted"}
        if step is None or step.get("forward_then_drop"):
            status, headers, body = self.forward(payload)
            entry["upstream_status"] = status
            if step is None:
                self.answer(status, headers, body)
            else:
                self.drop()
            return
        if step.get("drop"):
            self.drop()
            return
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

    def forward(self, payload):
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            headers = {name: value for name, value in self.headers.items() if name.lower() != "connection"}
            connection.request(self.command, self.path, body=payload if payload else None, headers=headers)
            response = connection.getresponse()
            body = response.read()
            return response.status, response.getheaders(), body
        finally:
            connection.close()

    def answer(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(name, value)
        announced = dict((name.lower(), value) for name, value in headers).get("content-length")
        self.send_header("Content-Length", announced if self.command == "HEAD" and announced else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            self.wfile.flush()

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("PORT %d" % server.server_address[1], flush=True)
# Bounded: the server stops by itself after ten minutes whatever happens.
threading.Timer(600, server.shutdown).start()
server.serve_forever()
