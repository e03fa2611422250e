"""The sandbox's own HTTP/1.1 layer, byte for byte over a raw socket."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from urllib.parse import urlsplit

import pytest

from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

AUTH = f"Authorization: Bearer {SANDBOX_API_KEY}\r\n"


@contextmanager
def connection(sandbox: RunningSandbox) -> Iterator[socket.socket]:
    address = urlsplit(sandbox.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        yield sock


def read_response(reader: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """One response from a buffered reader: (status, lower-cased headers, body)."""
    status_line = reader.readline().decode()
    status = int(status_line.split(" ", 2)[1])
    headers: dict[str, str] = {}
    while (line := reader.readline().decode()) not in ("\r\n", ""):
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return status, headers, body


def exchange(sandbox: RunningSandbox, raw: bytes, responses: int = 1) -> list[tuple[int, dict[str, str], bytes]]:
    with connection(sandbox) as sock:
        sock.sendall(raw)
        reader = sock.makefile("rb")
        return [read_response(reader) for _ in range(responses)]


def test_keep_alive_serves_pipelined_requests_in_order(sandbox: RunningSandbox) -> None:
    one = f"POST /v1/customers HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: 6\r\n\r\nname=a"
    two = f"GET /v1/customers?limit=1 HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n"
    (created_status, _, created), (listed_status, _, listed) = exchange(sandbox, (one + two).encode(), responses=2)
    assert (created_status, listed_status) == (200, 200)
    assert json.loads(listed)["data"][0]["id"] == json.loads(created)["id"]


def test_expect_continue_gets_an_interim_answer(sandbox: RunningSandbox) -> None:
    with connection(sandbox) as sock:
        sock.sendall(f"POST /v1/customers HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: 6\r\n"
                     "Expect: 100-continue\r\n\r\n".encode())
        reader = sock.makefile("rb")
        assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert reader.readline() == b"\r\n"
        sock.sendall(b"name=b")
        status, _, body = read_response(reader)
    assert status == 200 and json.loads(body)["name"] == "b"


@pytest.mark.parametrize(
    ("raw", "status", "message_start"),
    [
        (b"NONSENSE\r\n\r\n", 400, "Bad request syntax."),
        (b"POST /v1/customers HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "Chunked request bodies"),
        (b"POST /v1/customers HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Invalid Content-Length"),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414, ""),
        (b"GET /v1/customers HTTP/1.1\r\nX: " + b"b" * 70000 + b"\r\n\r\n", 431, ""),
        (b"GET /v1/customers HTTP/2.0\r\n\r\n", 505, ""),
    ],
)
def test_malformed_requests_get_a_stripe_shaped_error_and_the_server_lives_on(
    sandbox: RunningSandbox, raw: bytes, status: int, message_start: str
) -> None:
    [(answered, headers, body)] = exchange(sandbox, raw)
    assert answered == status
    error = json.loads(body)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(message_start)
    assert headers.get("connection") == "close"
    # The server still answers the next client.
    [(after, _, _)] = exchange(sandbox, f"GET /v1/customers HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n".encode())
    assert after == 200
