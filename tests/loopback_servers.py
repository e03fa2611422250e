"""Misbehaving HTTP servers on a free loopback port, for what the sandbox never does:
accept and never answer, drip an answer a byte at a time, or answer 200 with nonsense.

Real sockets, real SDK on the client side; each server runs in daemon threads
and stops when its block ends.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def _serving(handle: Any) -> Iterator[str]:
    """Listen on 127.0.0.1:<free port>; run `handle(conn, stop)` per connection; yield the URL."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    connections: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=handle, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in connections:
            conn.close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections, reads what is sent, never answers."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(0.05)
        while not stop.is_set():
            try:
                if not conn.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    with _serving(handle) as url:
        yield url


@contextmanager
def dripping_server(interval: float = 0.05) -> Iterator[str]:
    """Answers every connection with a never-ending response, one byte per `interval` seconds."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 100_000

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        for byte in answer:
            if stop.wait(interval):  # the pace of the drip, not a synchronisation
                return
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return

    with _serving(handle) as url:
        yield url


@contextmanager
def canned_server(body: Any, status: int = 200) -> Iterator[tuple[str, list[str]]]:
    """Answers every request with `body` as JSON; yields (URL, request lines seen)."""
    seen: list[str] = []
    payload = json.dumps(body).encode()

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        reader = conn.makefile("rb")
        try:
            while not stop.is_set():
                line = reader.readline()
                if not line:
                    return
                seen.append(line.decode("latin-1").strip())
                length = 0
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                reader.read(length)
                conn.sendall(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
        except OSError:
            return

    with _serving(handle) as url:
        yield url, seen
