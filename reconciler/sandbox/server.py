"""HTTP transport: a minimal HTTP/1.1 server (keep-alive, Content-Length bodies), bytes only.

The stdlib's BaseHTTPRequestHandler parses headers with the email package and
builds responses line by line, which cost more per request than the whole
application; this reads the request line and headers with `readline` into a
dict and answers with one write. Malformed, oversized and chunked requests get
a Stripe-shaped error (and the connection closed when the request could not be
read to its end).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import socket
import socketserver
import sys
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import urlsplit

from reconciler.errors import ReconcilerError
from reconciler.sandbox.app import Reply, SandboxApp, encode_json
from reconciler.sandbox.exceptions import InvalidRequest, RequestTooLarge, StripeApiError
from reconciler.sandbox.faults import FaultConfig

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
# Bodies up to this size are drained before the 413; larger ones get the connection closed.
MAX_DRAINED = 16 * MAX_BODY
# The stdlib server's limits: request line and header lines, and the header count.
MAX_LINE = 65536
MAX_HEADERS = 100
METHODS = frozenset({"GET", "POST", "DELETE", "PUT", "PATCH"})
SERVER = "reconciler-sandbox"

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_INTERNAL_ERROR = {"error": {"type": "api_error", "message": "Internal sandbox error."}}


class ProtocolError(StripeApiError):
    """A request the HTTP layer cannot read: answered, then the connection closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = status


class SandboxHTTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A burst of concurrent clients must not be refused at the socket.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        super().__init__(address, SandboxRequestHandler)


class SandboxRequestHandler(socketserver.StreamRequestHandler):
    server: SandboxHTTPServer
    # Small answers must leave at once: without TCP_NODELAY, delayed ACKs can
    # cost ~40 ms per keep-alive request.
    disable_nagle_algorithm = True

    def handle(self) -> None:
        try:
            while self._handle_one():
                pass
        except OSError:  # the client went away mid-request: nothing to answer
            pass

    def _handle_one(self) -> bool:
        """Serve one request; whether the connection stays open."""
        app = self.server.app
        try:
            request = self._read_request()
            if request is None:
                return False
            method, target, headers, keep_alive = request
            body = self._read_body(headers)
        except StripeApiError as exc:
            # The request was not read to its end: the connection cannot be reused.
            self._send(Reply(exc.http_status, exc.body(), {"Request-Id": app.request_id()}), close=True)
            return False
        if target.startswith("/"):
            path, _, query = target.partition("#")[0].partition("?")
        else:  # absolute form (http://host/path): only its path and query matter
            parts = urlsplit(target)
            path, query = parts.path, parts.query
        try:
            reply = app.handle(method, path, query, headers, body)
        except Exception:  # never a crash: a Stripe-shaped 500 instead
            log.exception("sandbox request failed: %s %s", method, path)
            reply = Reply(500, _INTERNAL_ERROR)
        if reply.lose:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return False
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s -> %d", self.client_address[0], method, target, reply.status)
        self._send(reply, close=not keep_alive)
        return keep_alive

    def _read_request(self) -> tuple[str, str, dict[str, str], bool] | None:
        """(method, target, lower-cased headers, keep-alive), or None at end of stream."""
        rfile = self.rfile
        line = rfile.readline(MAX_LINE + 1)
        while line in (b"\r\n", b"\n"):  # RFC 9112: ignore blank lines before a request
            line = rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE:
            raise ProtocolError(414, "Request line too long.")
        words = line.decode("latin-1").split()
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            raise ProtocolError(400, "Bad request syntax.")
        method, target, version = words
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise ProtocolError(505, f"HTTP version not supported: {version}.")
        headers: dict[str, str] = {}
        name = ""
        while True:
            line = rfile.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                raise ProtocolError(431, "Request header line too long.")
            if line in (b"\r\n", b"\n", b""):
                break
            if len(headers) >= MAX_HEADERS:
                raise ProtocolError(431, f"Too many request headers (more than {MAX_HEADERS}).")
            text = line.decode("latin-1")
            if text[0] in " \t" and name:  # obsolete line folding: continues the previous value
                headers[name] += " " + text.strip()
                continue
            raw_name, colon, value = text.partition(":")
            name = raw_name.lower()
            if not colon or not name or name != name.strip():
                raise ProtocolError(400, "Malformed request header.")
            headers[name] = value.strip()
        if method not in METHODS:
            raise ProtocolError(501, f"Unsupported method ({method!r}).")
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.1":
            keep_alive = connection != "close"
            if headers.get("expect", "").lower() == "100-continue":
                self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        else:
            keep_alive = connection == "keep-alive"
        return method, target, headers, keep_alive

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "transfer-encoding" in headers:
            if headers["transfer-encoding"].lower() == "chunked":
                raise InvalidRequest("Chunked request bodies are not supported; send Content-Length.")
            raise InvalidRequest("Unsupported Transfer-Encoding; send Content-Length.")
        raw = headers.get("content-length", "0") or "0"
        try:
            length = int(raw)
        except ValueError:
            raise InvalidRequest("Invalid Content-Length header.") from None
        if length < 0:
            raise InvalidRequest("Invalid Content-Length header.")
        if length > MAX_BODY:
            if length <= MAX_DRAINED:
                # Read and drop it, so the client sees our answer, not a reset.
                while length > 0:
                    chunk = self.rfile.read(min(length, 65536))
                    if not chunk:
                        break
                    length -= len(chunk)
            raise RequestTooLarge(MAX_BODY)
        if not length:
            return b""
        body = self.rfile.read(length)
        if len(body) < length:
            raise ProtocolError(400, "Request body shorter than its Content-Length.")
        return body

    def _send(self, reply: Reply, *, close: bool) -> None:
        payload = reply.payload if reply.payload is not None else encode_json(reply.body).encode()
        status = reply.status
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
            f"Server: {SERVER}\r\nDate: {_http_date(int(self.server.app.clock()))}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        ]
        for name, value in reply.headers.items():
            head.append(f"{name}: {value}\r\n")
        if close:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        # Status line, headers and body in one write: one segment, one wake-up of the client.
        self.connection.sendall("".join(head).encode("latin-1") + payload)


_date_cache: tuple[int, str] = (0, "")


def _http_date(now: int) -> str:
    """The Date header (the sandbox clock's time), formatted once per second."""
    global _date_cache
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


class CannotListen(ReconcilerError):
    def __init__(self, host: str, port: int, detail: str) -> None:
        super().__init__(f"the sandbox cannot listen on {host}:{port}: {detail}")


_LISTEN_ERRORS = {
    errno.EADDRINUSE: "the port is in use (another sandbox?); pick another --port, or --port 0 for a free one",
    errno.EADDRNOTAVAIL: "that address is not one of this machine's; use 127.0.0.1",
    errno.EACCES: "permission denied (ports below 1024 need privileges); pick a port above 1024",
}


def make_server(host: str, port: int, app: SandboxApp) -> SandboxHTTPServer:
    """A server bound to (host, port); CannotListen says why not, in one line."""
    try:
        return SandboxHTTPServer((host, port), app)
    except socket.gaierror:
        raise CannotListen(host, port, f"no such host {host!r}; use an address such as 127.0.0.1") from None
    except (OSError, OverflowError, UnicodeError) as exc:
        detail = _LISTEN_ERRORS.get(getattr(exc, "errno", None) or -1) or getattr(exc, "strerror", None) or str(exc)
        raise CannotListen(host, port, detail) from None


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_of(server: SandboxHTTPServer) -> str:
    host, port = server.server_address[:2]
    name = host.decode() if isinstance(host, bytes) else str(host)
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


def serve_forever(host: str, port: int, db_path: str | None, faults: FaultConfig | None) -> None:
    """Run the sandbox in the foreground until interrupted (the CLI's `sandbox`)."""
    app = SandboxApp(db_path, faults=faults, holder=f"`reconciler sandbox` (pid {os.getpid()})")
    try:
        server = make_server(host, port, app)
    except BaseException:
        app.close()
        raise
    url = url_of(server)
    app.store.describe_holder(f"`reconciler sandbox` (pid {os.getpid()}) serving {url}")
    app.dispatcher.start()
    print(f"sandbox listening on {url}", file=sys.stderr, flush=True)
    bound = str(server.server_address[0])
    if not is_loopback(bound):
        print(
            f"warning: the sandbox listens on {bound}, so other machines can reach it, and its /_sandbox/ admin "
            "surface (reset, faults) has no authentication; use --host 127.0.0.1 unless that is what you want",
            file=sys.stderr, flush=True,
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()


__all__ = ["MAX_BODY", "CannotListen", "ProtocolError", "SandboxHTTPServer", "is_loopback", "make_server",
           "serve_forever", "url_of"]
