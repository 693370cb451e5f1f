#!/usr/bin/env python3
"""pyserver.py: a static file server in Python, for make grade's own tests.

make grade must grade any server a student writes, not only ours. This one
is written as a student of the notes would write it, in the notes'
language, with the standard library only. As it is, it is correct and
climbs its stage's whole ladder; --mistake puts back one of the notes'
bugs, and tests/grade/grade.bats checks that the grader then stops at the
rung that names it, with a message that says what went wrong.

    pyserver.py [--model MODEL] [--mistake MISTAKE] -p PORT -d DOCROOT

models: blocking (01), fork (02), thread (03), poll (04), keepalive (05),
epoll (06). mistakes: one-recv, decode-utf8, 404-as-200, no-containment,
no-reuseaddr, no-reap, busy-loop.
"""

import argparse
import email.utils
import os
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse

HEAD_MAX = 16384          # a longer head is refused (431)
TIMEOUT = 10              # seconds a client may stay silent
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".png": "image/png",
         ".ico": "image/x-icon"}
KNOWN = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}
TCHAR = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 431: "Request Header Fields Too Large",
           501: "Not Implemented", 505: "HTTP Version Not Supported"}

opts = None


def head_end(buf):
    """Where the head ends (after its empty line), or -1."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = buf.find(sep)
        if i >= 0:
            return i + len(sep)
    return -1


def parse(head):
    """(method, path, keep_alive, body_length) or an error status."""
    if opts.mistake == "decode-utf8":
        head.decode("utf-8")   # the notes: it throws on bytes that are not UTF-8
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    while lines and lines[0] == "":
        lines.pop(0)
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= TCHAR:
        return 400
    method, target, version = parts
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        return 505 if version.startswith("HTTP/") and version[5:].replace(".", "").isdigit() else 400
    fields = {}
    for line in lines[1:]:
        if line == "":
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or not set(name) <= TCHAR:
            return 400
        fields.setdefault(name.lower(), []).append(value.strip(" \t"))
    if version == "HTTP/1.1" and len(fields.get("host", [])) != 1:
        return 400
    if not target.startswith("/"):
        return 400
    tokens = ",".join(fields.get("connection", [])).lower().replace(" ", "").split(",")
    keep = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
    length = fields.get("content-length", ["0"])
    if len(length) != 1 or not length[0].isdigit() or "transfer-encoding" in fields:
        return 400
    return method, target.split("?", 1)[0], keep, int(length[0])


def resolve(path, docroot):
    """The file a path names, or an error status."""
    if opts.mistake == "no-containment":
        name = docroot + urllib.parse.unquote(path)   # the notes: joined unchecked
    else:
        segments = []
        for raw in path.split("/"):
            seg = urllib.parse.unquote(raw, errors="surrogateescape")
            if seg == ".." or "/" in seg or "\0" in seg:
                return 403
            segments.append(seg)
        name = os.path.join(docroot, *segments)
        real, top = os.path.realpath(name), os.path.realpath(docroot)
        if real != top and not real.startswith(top + os.sep):
            return 403
    if os.path.isdir(name):
        name = os.path.join(name, "index.html")
    return name if os.path.isfile(name) else 404


def respond(head, docroot, can_keep):
    """The whole response to one head, and whether the connection stays open."""
    req = parse(head)
    if isinstance(req, int):
        return message(req, False), False
    method, path, keep, _ = req
    keep = keep and can_keep
    if method not in ("GET", "HEAD"):
        status = 405 if method in KNOWN else 501
        return message(status, keep, method == "HEAD"), keep
    name = resolve(path, docroot)
    if isinstance(name, int):
        if name == 404 and opts.mistake == "404-as-200":
            return message(404, keep, method == "HEAD", status=200), keep
        return message(name, keep, method == "HEAD"), keep
    with open(name, "rb") as f:
        body = f.read()
    kind = TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")
    return start(200, kind, len(body), keep) + (b"" if method == "HEAD" else body), keep


def start(status, kind, length, keep):
    return ("HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            "Connection: %s\r\n\r\n" % (status, REASONS[status], email.utils.formatdate(usegmt=True),
                                        kind, length, "keep-alive" if keep else "close")).encode()


def message(code, keep, head_only=False, status=None):
    page = ("<!DOCTYPE html><title>%d</title><h1>%d %s</h1>\n" % (code, code, REASONS[code])).encode()
    extra = b"Allow: GET, HEAD\r\n" if code == 405 else b""
    out = start(status or code, "text/html; charset=utf-8", len(page), keep)
    return out[:-2] + extra + b"\r\n" + (b"" if head_only else page)


# --- One connection at a time: blocking sockets (blocking, fork, thread) ---

def read_head(sock):
    """The request head, or None when the client left or fell silent."""
    buf = b""
    while True:
        try:
            data = sock.recv(1024)
        except (socket.timeout, OSError):
            return None
        if not data:
            return None
        buf += data
        if opts.mistake == "one-recv":
            return buf + b"\r\n\r\n"   # the notes: one recv is the request
        if head_end(buf) >= 0 or len(buf) > HEAD_MAX:
            return buf


def serve_one(sock, docroot):
    sock.settimeout(TIMEOUT)
    head = read_head(sock)
    if head is not None:
        out = message(431, False) if len(head) > HEAD_MAX and head_end(head) < 0 else \
            respond(head, docroot, False)[0]
        try:
            sock.sendall(out)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):   # let the client close first: no RST
                pass
        except OSError:
            pass
    sock.close()


def serve_blocking(listener, docroot):
    while True:
        sock, _ = listener.accept()
        serve_one(sock, docroot)


def reap(signum, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def serve_fork(listener, docroot):
    if opts.mistake != "no-reap":
        signal.signal(signal.SIGCHLD, reap)
    while True:
        try:
            sock, _ = listener.accept()
        except InterruptedError:
            continue
        if os.fork() == 0:
            listener.close()
            serve_one(sock, docroot)
            os._exit(0)
        sock.close()   # the child has its own copy


def serve_thread(listener, docroot):
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve_one, args=(sock, docroot), daemon=True).start()


# --- Every connection at once: non-blocking sockets (poll, keepalive, epoll) ---

class Conn:
    def __init__(self, sock):
        self.sock, self.inbuf, self.out, self.skip = sock, b"", memoryview(b""), 0
        self.closing, self.seen = False, time.monotonic()

    def answer(self, docroot, can_keep):
        """Answer the next whole head in the buffer; False if there is none."""
        if self.skip:   # the rest of the last request's body
            n = min(self.skip, len(self.inbuf))
            self.inbuf, self.skip = self.inbuf[n:], self.skip - n
        self.inbuf = self.inbuf.lstrip(b"\r\n") if not self.skip else self.inbuf
        end = head_end(self.inbuf) if not self.skip else -1
        if end < 0:
            if len(self.inbuf) > HEAD_MAX:
                self.out, self.closing = memoryview(message(431, False)), True
                return True
            return False
        head, self.inbuf = self.inbuf[:end], self.inbuf[end:]
        req = parse(head)
        self.skip = req[3] if not isinstance(req, int) else 0
        out, keep = respond(head, docroot, can_keep)
        self.out, self.closing = memoryview(out), not keep
        return True

    def step(self, docroot, can_keep):
        """Send, read and answer as far as the socket lets: (alive, did anything)."""
        did = False
        while True:
            if self.out:
                try:
                    n = self.sock.send(self.out)
                except BlockingIOError:
                    return True, did
                except OSError:
                    return False, True
                self.out, self.seen, did = self.out[n:], time.monotonic(), True
                if self.out:
                    continue   # until send says the socket is full
                if self.closing:
                    try:
                        self.sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return False, True
            if self.closing or self.answer(docroot, can_keep):
                continue
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return True, did
            except OSError:
                return False, True
            if not data:
                return False, True
            self.inbuf, self.seen, did = self.inbuf + data, time.monotonic(), True


def serve_poll(listener, docroot):
    listener.setblocking(False)
    conns = []
    can_keep = opts.model == "keepalive"
    while True:
        busy = False
        try:
            sock, _ = listener.accept()
            sock.setblocking(False)
            conns.append(Conn(sock))
            busy = True
        except BlockingIOError:
            pass
        for c in list(conns):   # a copy: removing while iterating skips one
            alive, did = c.step(docroot, can_keep)
            busy = busy or did
            if not alive or time.monotonic() - c.seen > TIMEOUT:
                c.sock.close()
                conns.remove(c)
        if not busy and opts.mistake != "busy-loop":
            time.sleep(0.001)


def serve_epoll(listener, docroot):
    listener.setblocking(False)
    ep = select.epoll()
    ep.register(listener.fileno(), select.EPOLLIN)
    conns = {}
    while True:
        for fd, _ in ep.poll(1.0):
            if fd == listener.fileno():
                try:
                    while True:
                        sock, _ = listener.accept()
                        sock.setblocking(False)
                        conns[sock.fileno()] = Conn(sock)
                        ep.register(sock.fileno(), select.EPOLLIN)
                except BlockingIOError:
                    pass
                continue
            c = conns[fd]
            alive, _ = c.step(docroot, True)
            if not alive:
                ep.unregister(fd)
                c.sock.close()
                del conns[fd]
            else:   # write interest only while output waits
                ep.modify(fd, select.EPOLLOUT if c.out else select.EPOLLIN)
        now = time.monotonic()
        for fd, c in list(conns.items()):
            if now - c.seen > TIMEOUT:
                ep.unregister(fd)
                c.sock.close()
                del conns[fd]


MODELS = {"blocking": serve_blocking, "fork": serve_fork, "thread": serve_thread,
          "poll": serve_poll, "keepalive": serve_poll, "epoll": serve_epoll}


def main():
    global opts
    ap = argparse.ArgumentParser(description="a static file server, for make grade's tests")
    ap.add_argument("-p", dest="port", type=int, default=int(os.environ.get("PORT", 8080)))
    ap.add_argument("-d", dest="docroot", default=os.environ.get("DOCROOT", "www"))
    ap.add_argument("--model", choices=MODELS, default="blocking")
    ap.add_argument("--mistake", choices=["one-recv", "decode-utf8", "404-as-200", "no-containment",
                                          "no-reuseaddr", "no-reap", "busy-loop"])
    opts = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if opts.mistake != "no-reuseaddr":
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", opts.port))
    listener.listen(128)
    print("listening on http://127.0.0.1:%d/ (pid %d, %s)" % (opts.port, os.getpid(), opts.model))
    MODELS[opts.model](listener, os.path.abspath(opts.docroot))


if __name__ == "__main__":
    main()
