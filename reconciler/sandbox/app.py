"""The sandbox application: auth, faults, validation, idempotency, dispatch.

Transport-free: `handle()` takes a parsed request and returns a `Reply`, so
the HTTP layer (server.py) only moves bytes and in-process callers share the
exact same path.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox import admin, responses, urls
from reconciler.sandbox.clock import IDEMPOTENCY_KEY_TTL, SandboxClock
from reconciler.sandbox.delivery import WebhookDispatcher
from reconciler.sandbox.exceptions import (
    AuthenticationError,
    IdempotencyEndpointError,
    IdempotencyError,
    IdempotencyKeyInUse,
    InvalidRequest,
    PermissionDenied,
    StripeApiError,
    UnrecognizedRequestUrl,
)
from reconciler.sandbox.faults import FaultConfig, FaultInjector
from reconciler.sandbox.formparse import parse_form
from reconciler.sandbox.inflight import InFlightKeys
from reconciler.sandbox.models import events, lifecycle, webhooks
from reconciler.sandbox.models.base import Context
from reconciler.sandbox.stats import Stats
from reconciler.sandbox.store import Store, Tx
from reconciler.sandbox.validation import validate
from reconciler.stripe_facts import API_VERSION

MAX_IDEMPOTENCY_KEY = 255

# Compact JSON, the encoder built once (json.dumps with options builds one per call).
encode_json = json.JSONEncoder(separators=(",", ":")).encode


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Commit happened but the connection must be dropped without an answer.
    lose: bool = False
    # `body` already encoded as JSON, when at hand (stored idempotent answers).
    payload: bytes | None = None


class SandboxApp:
    def __init__(
        self,
        db_path: str | None = None,
        *,
        faults: FaultConfig | None = None,
        clock: Callable[[], float] = time.time,
        seed: int = 0,
        holder: str | None = None,
    ) -> None:
        # `holder`: who has the file open, as others finding it locked are told.
        self.store = Store(db_path, holder=holder)
        self.clock = clock if isinstance(clock, SandboxClock) else SandboxClock(clock)
        clock = self.clock
        self.ctx = Context(store=self.store, clock=clock, seed=seed)
        # What a reset returns to: the faults the sandbox was started with (e.g. the
        # test-mode rate limit of `reconciler sandbox`), not none at all.
        self.default_faults = faults or FaultConfig()
        self.faults = FaultInjector(self.default_faults)
        self.stats = Stats()
        self.in_flight = InFlightKeys()
        self.dispatcher = WebhookDispatcher(self.store, clock=clock)
        self.ctx.event_listeners.append(self._enqueue_webhooks)
        # Set (under the store lock) when a transaction queued a delivery: only
        # then is the delivery thread woken, so plain writes do not compete with it.
        self._deliveries_queued = False
        # next() on itertools.count is atomic: request ids need no lock.
        self._request_numbers = itertools.count(1)

    # -- state ---------------------------------------------------------------

    def reset(self) -> None:
        """Empty every object, counter, idempotency record and statistic; faults back to the start's."""
        self.store.wipe()
        self.clock.rewind()  # the state is gone, so nothing can see time run back
        self.faults.configure(self.default_faults)
        self.faults.use_clock()
        self.faults.release()
        self.stats.reset()

    def close(self) -> None:
        self.dispatcher.stop()
        self.store.close()

    def request_id(self) -> str:
        n = next(self._request_numbers)
        return "req_" + hashlib.sha256(f"{self.ctx.seed}:req:{n}".encode()).hexdigest()[:14]

    def _enqueue_webhooks(self, tx: Tx, event: dict[str, Any]) -> int:
        queued = webhooks.enqueue(self.ctx, tx, event)
        if queued:
            self._deliveries_queued = True
        return queued

    def run_timers(self) -> int:
        """Fire Stripe's timers that the clock has passed (auto-advancing drafts); how many.

        Called before every API request and whenever the clock is moved, so a client
        never reads a draft whose finalization time has passed."""
        due_at = self.ctx.timers_due_at
        if due_at is None or due_at > self.ctx.now():
            return 0
        try:
            with self.store.transaction() as tx:
                fired = lifecycle.advance_due(self.ctx, tx)
        except BaseException:
            self.ctx.timers_due_at = 0  # rolled back: look again next time
            raise
        self._wake_dispatcher()
        return fired

    def _wake_dispatcher(self) -> None:
        """After a commit: wake the delivery thread if some transaction queued deliveries.

        The flag is set inside a transaction (store lock held); whoever reads it
        afterwards notifies, and the woken pass takes the store lock, so it sees
        the commit that queued them.
        """
        if self._deliveries_queued:
            self._deliveries_queued = False
            self.dispatcher.notify()

    # -- requests ------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        request_id = self.request_id()
        if path.startswith("/_sandbox/"):
            reply = admin.handle(self, method, path, body)
        else:
            reply = self._handle_api(method, path, query, headers, body, request_id)
        reply.headers.setdefault("Request-Id", request_id)
        return reply

    def _handle_api(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, request_id: str
    ) -> Reply:
        found = urls.match(method, path)
        label = found[0].label if isinstance(found, tuple) else f"{method} (unrecognized)"
        write = method in ("POST", "DELETE")
        sent_key = headers.get("idempotency-key") if method == "POST" else None
        claimed = False
        try:
            api_key = _authenticate(headers.get("authorization"))
            _check_version(headers.get("stripe-version"))
            if found is None or found is False:
                raise UnrecognizedRequestUrl(method, path)
            assert isinstance(found, tuple)
            route, ids = found
            if sent_key is not None:
                # Claimed before the injected latency, so that latency is time in flight.
                claimed = self.in_flight.claim(sent_key)
                if not claimed:
                    raise IdempotencyKeyInUse(sent_key)
            fault = self.faults.before(method, path, body if method == "POST" else query)
            if isinstance(fault, PermissionDenied):
                fault = fault.for_key(_masked(api_key))
            if fault is not None:
                raise fault
            text = body.decode("utf-8") if method == "POST" else query
            raw = parse_form(text)
            if method == "POST" and query:
                raw.update(parse_form(query))
            params = validate(route.params, raw)
            responses.check_supported(route, params)
            self.run_timers()
            reply = self._execute(route, ids, params, sent_key, request_id)
        except UnicodeDecodeError:
            reply = _error(InvalidRequest("Invalid request body: it is not valid UTF-8."))
        except StripeApiError as exc:
            reply = _error(exc)
        finally:
            if claimed:
                assert sent_key is not None
                self.in_flight.release(sent_key)
        keyed = None
        if sent_key is not None:
            keyed = (method, path, sent_key, reply.status, reply.headers.get("Idempotent-Replayed") == "true")
        self.stats.record(label, write=write, status=reply.status, keyed=keyed)
        if reply.status < 300 and write and self.faults.lose_response():
            reply.lose = True
        # Stripe names the version it answered in on every API response.
        reply.headers["Stripe-Version"] = API_VERSION
        return reply

    def _execute(
        self, route: urls.Route, ids: list[str], params: dict[str, Any], key: str | None, request_id: str
    ) -> Reply:
        token = events.current_request.set({"id": request_id, "idempotency_key": key})
        try:
            if key is None:
                with self.store.transaction() as tx:
                    result, failed = _dispatch_keeping(self.ctx, tx, route, ids, params)
                self._wake_dispatcher()
                if failed is not None:
                    raise failed
                return Reply(200, result)
            if len(key) > MAX_IDEMPOTENCY_KEY:
                raise InvalidRequest(
                    f"Idempotency keys can be at most {MAX_IDEMPOTENCY_KEY} characters long.",
                    param="Idempotency-Key",
                )
            digest = hashlib.sha256(
                json.dumps([route.label, ids, params], sort_keys=True, default=str).encode()
            ).hexdigest()
            # The endpoint rides along, for the error naming both when a key is reused on another.
            fingerprint = f"{_endpoint(route, ids)} {digest}"
            return self._execute_once(route, ids, params, key, fingerprint)
        finally:
            events.current_request.reset(token)

    def _execute_once(
        self, route: urls.Route, ids: list[str], params: dict[str, Any], key: str, fingerprint: str
    ) -> Reply:
        """Run at most once per key: a concurrent same-key request was refused
        (409) before getting here, and the stored answer commits in the same
        transaction as the change."""
        try:
            with self.store.transaction() as tx:
                replay = _replay(tx, key, fingerprint, self.ctx.now())
                if replay is not None:
                    return replay
                result, failed = _dispatch_keeping(self.ctx, tx, route, ids, params)
                if failed is not None:
                    # A failed charge is kept with its answer, in one commit: a retry replays the decline.
                    _remember(tx, key, fingerprint, failed.http_status, failed.body(), self.ctx.now())
                else:
                    stored = _remember(tx, key, fingerprint, 200, result, self.ctx.now())
        except IdempotencyError:
            raise
        except StripeApiError as exc:
            # Stripe saves the outcome of a request that started executing, errors included.
            with self.store.transaction() as tx:
                replay = _replay(tx, key, fingerprint, self.ctx.now())
                if replay is not None:
                    return replay
                _remember(tx, key, fingerprint, exc.http_status, exc.body(), self.ctx.now())
            raise
        self._wake_dispatcher()
        if failed is not None:
            raise failed
        return Reply(200, result, payload=stored.encode())


def _dispatch_keeping(
    ctx: Context, tx: Tx, route: urls.Route, ids: list[str], params: dict[str, Any]
) -> tuple[dict[str, Any], StripeApiError | None]:
    """Dispatch; an error whose state Stripe keeps (a declined charge) is returned, not raised,
    so the transaction commits; any other error rolls back."""
    try:
        return responses.dispatch(ctx, tx, route, ids, params), None
    except StripeApiError as exc:
        if not getattr(exc, "commits", False):
            raise
        return {}, exc


def _replay(tx: Tx, key: str, fingerprint: str, now: int) -> Reply | None:
    """The stored answer to `key`, if the key is still kept (24 h, like Stripe's)."""
    row = tx.conn.execute(
        "SELECT fingerprint, status, body, created FROM idempotency WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    if int(row[3]) <= now - IDEMPOTENCY_KEY_TTL:
        # Expired: Stripe treats the key as new, and so does a retry after a day.
        tx.conn.execute("DELETE FROM idempotency WHERE key = ?", (key,))
        return None
    if row[0] != fingerprint:
        first, now_used = str(row[0]).rpartition(" ")[0], fingerprint.rpartition(" ")[0]
        if first and first != now_used:
            raise IdempotencyEndpointError(key, first, now_used)
        raise IdempotencyError(key)
    return Reply(int(row[1]), json.loads(row[2]), {"Idempotent-Replayed": "true"}, payload=row[2].encode())


def _endpoint(route: urls.Route, ids: list[str]) -> str:
    """The request's path, as Stripe names an endpoint in its idempotency errors."""
    path = route.label.split(" ", 1)[1]
    for object_id in ids:
        path = re.sub(r"\{[a-z_]+\}", object_id, path, count=1)
    return path


def _remember(tx: Tx, key: str, fingerprint: str, status: int, body: dict[str, Any], now: int) -> str:
    """Store the answer to replay; returns it encoded, for the response itself."""
    text = encode_json(body)
    tx.conn.execute(
        "INSERT INTO idempotency(key, fingerprint, status, body, created) VALUES (?, ?, ?, ?, ?)",
        (key, fingerprint, status, text, now),
    )
    return text


def _error(exc: StripeApiError) -> Reply:
    headers = {}
    if exc.http_status == 429:
        headers["Stripe-Should-Retry"] = "false"
    return Reply(exc.http_status, exc.body(), headers)


_VERSION_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


def _check_version(version: str | None) -> None:
    """Only the pinned API version is emulated; without the header, the account's default is it."""
    if version is None or version == API_VERSION:
        return
    if _VERSION_SHAPE.match(version):
        raise InvalidRequest(f"Invalid Stripe API version: {version} (the sandbox emulates {API_VERSION} only)")
    raise InvalidRequest(f"Invalid Stripe API version: {version}")


# Test-mode secret and restricted keys; live keys never reach a sandbox.
_KEY_PREFIXES = ("sk_test_", "rk_test_")


def _authenticate(header: str | None) -> str:
    """The request's API key, if it is a test-mode secret or restricted key."""
    if not header:
        raise AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    scheme, _, credentials = header.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credentials.strip()).decode().split(":", 1)[0]
        except ValueError:
            key = ""
    if not any(key.startswith(prefix) and len(key) > len(prefix) for prefix in _KEY_PREFIXES):
        # Never echo the key back: only a masked tail, as Stripe does.
        raise AuthenticationError(f"Invalid API Key provided: {_masked(key)}")
    return key


def _masked(key: str) -> str:
    if len(key) <= 4:
        return "*" * len(key)
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:]
