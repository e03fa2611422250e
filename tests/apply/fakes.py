"""Test doubles for the applier's unit tests: a fake clock and a fake gateway.

The fake gateway stands in for reconciler.gateway.StripeGateway (our own
class, not the stripe SDK): it answers `request`/`paginate` from a script and
records every call. Integration tests use the real SDK against the sandbox.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from reconciler.gateway.client import Reply
from reconciler.gateway.errors import GatewayError, InvalidRequest, RateLimited


class FakeClock:
    """Time that only moves when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


Handler = Callable[[str, str, Mapping[str, Any], "str | None"], "dict[str, Any] | GatewayError"]


class FakeGateway:
    """Creates objects with sequential ids; `fail` maps a path prefix to an error
    list of errors, raised one per call until none is left."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], str | None]] = []
        self.fail: dict[str, list[GatewayError]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        retry: bool | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            self.calls.append((method, path, dict(params or {}), idempotency_key))
            for prefix, errors in self.fail.items():
                if path.startswith(prefix) and errors:
                    raise errors.pop(0)
            return self._answer(method, path, dict(params or {}))

    def exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        retry: bool | None = None,
    ) -> Reply:
        return Reply(self.request(method, path, params, idempotency_key=idempotency_key))

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, retry: bool = True
    ) -> Iterator[dict[str, Any]]:
        page = self.request("GET", path, params)
        yield from page.get("data", [])

    def _answer(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if path == "/v1/events":
            return {"data": [e for e in self.events if e["type"] == params.get("type")], "has_more": False}
        if method == "GET" and parts[1] == "invoices":
            return self.invoices[parts[2]]
        if len(parts) == 2:  # create
            prefix = {"products": "prod", "prices": "price", "customers": "cus", "invoices": "in"}.get(parts[1], "ii")
            obj = {"id": f"{prefix}_{next(self._ids)}", "object": parts[1], **params}
            if parts[1] == "invoices":
                obj.update(status="draft", customer=params.get("customer"), created=1, lines={"data": []})
                self.invoices[obj["id"]] = obj
            return obj
        obj_id = parts[2]
        if parts[1] == "invoices" and obj_id in self.invoices:
            inv = self.invoices[obj_id]
            if len(parts) == 4 and parts[3] == "send":
                self.events.append({"type": "invoice.sent", "data": {"object": {"id": obj_id}}})
            if "metadata" in params:
                inv["metadata"] = {**inv.get("metadata", {}), **params["metadata"]}
            return inv
        return {"id": obj_id, "deleted": method == "DELETE"}

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _, _ in self.calls if m != "GET"]


def rate_limited() -> RateLimited:
    return RateLimited()


def rejected(message: str = "bad") -> InvalidRequest:
    return InvalidRequest(400, message, code="parameter_invalid")
