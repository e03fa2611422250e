"""The receiver's ASGI application: verify, journal, acknowledge. Hooks run later.

A bare ASGI callable rather than a framework: it has two routes, needs the
body's raw bytes for the signature, and every allocation shows at a thousand
requests a second. uvicorn (see server.py) does the HTTP.

- POST (any path): a Stripe delivery. 400 for a missing, forged or stale
  signature or a malformed body (logged with the reason, never the secret);
  413 past MAX_BODY_BYTES; 503 when the journal cannot take the event (Stripe
  retries); 200 once the event is journaled, or was already.
- GET /healthz: 200 while the process serves (for a load balancer).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Future
from typing import Any

from reconciler.receiver.event import (
    MAX_BODY_BYTES,
    MalformedEvent,
    ReceivedEvent,
    parse_event,
)
from reconciler.receiver.secrets import SecretSource
from reconciler.receiver.signature import DEFAULT_TOLERANCE, SignatureRejected, verify

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = [(b"content-type", b"application/json")]
_RECEIVED = json.dumps({"received": True, "duplicate": False}).encode()
_DUPLICATE = json.dumps({"received": True, "duplicate": True}).encode()


def _error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


class _TooLarge(Exception):
    pass


class WebhookApp:
    def __init__(
        self,
        *,
        secrets: SecretSource,
        submit: Callable[[ReceivedEvent], Future[bool]],
        clock: Callable[[], float] = time.time,
        tolerance: int = DEFAULT_TOLERANCE,
    ) -> None:
        self.secrets = secrets
        self.submit = submit
        self.clock = clock
        self.tolerance = tolerance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off (server.py starts and stops the background parts)
        method, path = scope["method"], scope["path"]
        if method == "GET" and path == "/healthz":
            await _answer(send, 200, b'{"ok":true}')
        elif method != "POST":
            await _answer(send, 405, _error_body("webhooks are POSTed"), [(b"allow", b"POST")])
        else:
            await self._delivery(scope, receive, send)

    async def _delivery(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await _read_body(receive)
        except _TooLarge:
            await _answer(send, 413, _error_body(f"body larger than {MAX_BODY_BYTES} bytes"))
            return
        header = _header(scope, b"stripe-signature")
        try:
            verify(body, header, self.secrets.current(), now=self.clock(), tolerance=self.tolerance)
            event = parse_event(body)
        except (SignatureRejected, MalformedEvent) as exc:
            log.warning("rejected a delivery from %s: %s", _client(scope), exc.reason)
            await _answer(send, 400, _error_body(exc.reason))
            return
        try:
            new = await asyncio.wrap_future(self.submit(event))
        except Exception as exc:  # noqa: BLE001 - any journal failure means "not acknowledged"
            log.error("event %s not journaled (%s): answering 503 so Stripe retries", event.id, exc)
            await _answer(send, 503, _error_body("the journal is unavailable; retry later"))
            return
        if not new:
            log.info("event %s was already journaled: acknowledged, nothing run", event.id)
        await _answer(send, 200, _RECEIVED if new else _DUPLICATE)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "an unknown client"


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*_JSON, (b"content-length", str(len(body)).encode()), *(headers or [])]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
