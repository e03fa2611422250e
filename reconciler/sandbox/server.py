"""HTTP transport: stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive, bytes only."""

from __future__ import annotations

import json
import logging
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from reconciler.sandbox.app import Reply, SandboxApp
from reconciler.sandbox.exceptions import InvalidRequest, RequestTooLarge
from reconciler.sandbox.faults import FaultConfig

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
# Bodies up to this size are drained before the 413; larger ones get the connection closed.
MAX_DRAINED = 16 * MAX_BODY


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A burst of concurrent clients must not be refused at the socket.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        super().__init__(address, SandboxRequestHandler)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "reconciler-sandbox"
    sys_version = ""
    server: SandboxHTTPServer
    # Headers and body go out in separate writes: without TCP_NODELAY, delayed
    # ACKs cost ~40 ms per keep-alive request.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        log.debug("%s " + format, self.address_string(), *args)

    def _serve(self, method: str) -> None:
        app = self.server.app
        parts = urlsplit(self.path)
        try:
            body = self._read_body()
        except InvalidRequest as exc:
            # The body was not read: the connection cannot be reused.
            self.close_connection = True
            self._send(Reply(exc.http_status, exc.body(), {"Request-Id": app.request_id()}))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = app.handle(method, parts.path, parts.query, headers, body)
        except Exception:  # never a crash: a Stripe-shaped 500 instead
            log.exception("sandbox request failed: %s %s", method, parts.path)
            reply = Reply(500, {"error": {"type": "api_error", "message": "Internal sandbox error."}})
        if reply.lose:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(reply)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise InvalidRequest("Chunked request bodies are not supported; send Content-Length.")
        raw = self.headers.get("Content-Length", "0") or "0"
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
                    length -= len(self.rfile.read(min(length, 65536)) or b"x" * length)
            raise RequestTooLarge(MAX_BODY)
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        payload = json.dumps(reply.body, separators=(",", ":")).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # Headers and body in one write: one segment, one wake-up of the client.
        self._headers_buffer.append(b"\r\n" + payload)
        self.flush_headers()


def make_server(host: str, port: int, app: SandboxApp) -> SandboxHTTPServer:
    return SandboxHTTPServer((host, port), app)


def serve_forever(host: str, port: int, db_path: str | None, faults: FaultConfig | None) -> None:
    """Run the sandbox in the foreground until interrupted (the CLI's `sandbox`)."""
    app = SandboxApp(db_path, faults=faults)
    server = make_server(host, port, app)
    app.dispatcher.start()
    bound_host, bound_port = server.server_address[:2]
    print(f"sandbox listening on http://{bound_host}:{bound_port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()


__all__ = ["serve_forever", "make_server"]
