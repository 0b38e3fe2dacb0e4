#!/usr/bin/env python3
"""A scripted HTTP/1.1 server on Python's standard http.server, for tests of clients against a
server we did not write. It behaves as http.server does out of the box: ThreadingHTTPServer,
keep-alive, Nagle's algorithm left on (no TCP_NODELAY), and the status line with the headers in
one write, the body in a second.

Control, one message a line, each a tab-separated list of key=value pairs, URL-encoded
(application/x-www-form-urlencoded, as java.net.URLEncoder writes them):
  stdin   verb=plan  id=N path=/p count=K r0.status=503 r0.body=... r0.headers=Name: value\\n...
                     r0.delayMs=0 r0.drop=true ...   (replies for /p in arrival order; after them
                                                       every request to /p gets 200 "default")
          verb=sync  id=N                             (answered after every earlier arrival line)
  stdout  type=ready port=P
          type=ack   id=N
          type=arrival path=/p method=GET body=... headers=Name: value\\n...
The process ends when stdin closes.
"""
import http.server
import socket
import sys
import threading
import time
from urllib.parse import quote_plus, unquote_plus, urlsplit

plans = {}
plans_lock = threading.Lock()
out_lock = threading.Lock()


def emit(message):
    line = "\t".join(quote_plus(k) + "=" + quote_plus(v) for k, v in message.items())
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def decode(line):
    message = {}
    for pair in line.rstrip("\n").split("\t"):
        if "=" in pair:
            k, v = pair.split("=", 1)
            message[unquote_plus(k)] = unquote_plus(v)
    return message


def next_reply(path):
    with plans_lock:
        queue = plans.get(path)
        if queue:
            return queue.pop(0)
    return {"status": "200", "body": "default"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length > 0 else b""

    def serve(self):
        body = self.read_body()
        path = urlsplit(self.path).path
        emit({"type": "arrival", "path": path, "method": self.command,
              "body": body.decode("utf-8", "replace"),
              "headers": "\n".join(name + ": " + value for name, value in self.headers.items())})
        reply = next_reply(path)
        delay = int(reply.get("delayMs", "0"))
        if delay > 0:
            time.sleep(delay / 1000.0)
        if reply.get("drop") == "true":
            self.close_connection = True
            return
        payload = reply.get("body", "").encode("utf-8")
        try:
            self.send_response(int(reply["status"]))
            for line in reply.get("headers", "").split("\n"):
                if ": " in line:
                    name, value = line.split(": ", 1)
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (ConnectionError, socket.error):
            # The client gave up on this request (a hedge that lost): nothing left to answer.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = serve


def control():
    for line in sys.stdin:
        message = decode(line)
        verb = message.get("verb")
        if verb == "plan":
            replies = []
            for i in range(int(message.get("count", "0"))):
                prefix = "r%d." % i
                replies.append({k[len(prefix):]: v for k, v in message.items() if k.startswith(prefix)})
            with plans_lock:
                plans[message["path"]] = replies
        emit({"type": "ack", "id": message.get("id", "")})


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    emit({"type": "ready", "port": str(server.server_address[1])})
    control()
    server.shutdown()


if __name__ == "__main__":
    main()
