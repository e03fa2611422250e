"""StripeGateway: the one place the tool holds a `stripe.StripeClient`.

It pins the API version, turns the SDK's own retries off (GETs are retried
here with reconciler.gateway.retry; writes by the applier, with its rate
limit and idempotency keys), counts every HTTP request it sends, and
translates every SDK exception into reconciler.gateway.errors so no stripe
type leaks out of this package.

Calls go through `StripeClient.raw_request` and return the parsed JSON as
plain dicts: the SDK's object hydration costs ~1 ms per invoice, which alone
would exceed the read budget on 10,000 invoices; the wire format (form
encoding, headers, version, auth) is the SDK's own either way.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import stripe
from stripe import RequestsClient

from reconciler import stripe_facts
from reconciler.gateway.deadline import Watchdog, watched_session
from reconciler.gateway.errors import (
    AuthenticationFailed,
    CardFailed,
    GatewayError,
    IdempotencyConflict,
    IdempotencyKeyInUse,
    InvalidRequest,
    NetworkFailure,
    PermissionDenied,
    RateLimited,
    ServerError,
    UnexpectedAnswer,
    scrub,
)
from reconciler.gateway.pacing import Pacer, call_paced
from reconciler.gateway.retry import ATTEMPT_TIMEOUT, DEFAULT_TIMEOUT, Deadline, RetryPolicy, call_with_retries
from reconciler.stripe_facts import PAGE_SIZE

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.stripe.com"
_WATCHDOG = Watchdog()
# Keys StripeClient.raw_request takes out of its params as request options.
_RAW_REQUEST_OPTIONS = frozenset(
    {"api_key", "stripe_version", "stripe_account", "stripe_context", "max_network_retries",
     "idempotency_key", "content_type", "headers", "base", "usage"}
)  # fmt: skip


def endpoint_of(method: str, url: str) -> str:
    """'GET /v1/invoices/{id}/lines' for 'get', 'https://host/v1/invoices/in_1/lines?limit=100'.

    Paths are /v1/<collection>/<id>/<action>: the id segment is folded into
    "{id}" so counts group by endpoint, not by object.
    """
    parts = urlsplit(url).path.split("/")
    if len(parts) > 3 and parts[1] == "v1" and parts[3]:
        parts[3] = "{id}"
    return f"{method.upper()} {'/'.join(parts)}"


class AttemptTimedOut(stripe.APIConnectionError):
    """An attempt cut by the watchdog: no complete answer within its limit."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"no complete answer within {round(limit, 1):g} s", should_retry=True)  # type: ignore[no-untyped-call]
        self.limit = limit


class _CountingHTTPClient(RequestsClient):
    """The SDK's requests-based client, counting each request it sends (thread-safe)
    and cutting each at its wall-clock limit (see reconciler.gateway.deadline)."""

    def __init__(self, *, attempt_timeout: float, watchdog: Watchdog) -> None:
        # The socket's own timeouts only back up the watchdog (connect is not watched).
        super().__init__(timeout=(attempt_timeout, attempt_timeout + 5))
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._watchdog = watchdog
        self._attempt_timeout = attempt_timeout
        self._limits = threading.local()

    def limit_next(self, seconds: float) -> None:
        """The wall-clock limit of this thread's next request."""
        self._limits.seconds = seconds

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:  # type: ignore[override]
        with self._lock:
            self.counts[endpoint_of(method, url)] += 1
        if getattr(self._thread_local, "session", None) is None:
            self._thread_local.session = watched_session(self._watchdog)
        limit = getattr(self._limits, "seconds", None) or self._attempt_timeout
        self._limits.seconds = None
        self._limits.status = None
        with self._watchdog.attempt(limit) as attempt:
            try:
                answer = super().request(method, url, headers, post_data)
            except stripe.APIConnectionError:
                if attempt.expired:
                    raise AttemptTimedOut(limit) from None
                raise
        if attempt.expired:
            # Cut mid-answer: what was read (e.g. a status line and part of
            # the headers) is not an answer, whatever it looks like.
            raise AttemptTimedOut(limit)
        self._limits.status = answer[1]
        return answer

    def answered_status(self) -> int | None:
        """The HTTP status of this thread's last request, None when it got no answer."""
        status = getattr(self._limits, "status", None)
        return status if isinstance(status, int) else None


@dataclass(frozen=True)
class Reply:
    """A decoded answer and what its headers said."""

    data: dict[str, Any]
    # `Idempotent-Replayed: true`: Stripe answered a reused idempotency key
    # with the stored first response instead of executing the request.
    replayed: bool = False
    # The server's clock (its `Date` header), in Unix seconds; None without one.
    server_time: int | None = None


class StripeGateway:
    """A Stripe account (or a sandbox) reached through the pinned SDK.

    `retry` is the policy of GET retries (429, 5xx, network errors); writes
    are not retried here. `timeout`: seconds one call may take, its retries
    included; each attempt is cut after `attempt_timeout` (or what is left).
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
        retry: RetryPolicy | None = None,
        watchdog: Watchdog = _WATCHDOG,
    ) -> None:
        self._api_key = api_key
        self.retry_policy = retry or RetryPolicy()
        self._retries = 0  # GET retries so far (guarded by self._http._lock)
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.host = urlsplit(self.api_base).netloc or self.api_base
        self.timeout = timeout
        # Told (path, objects on the page) of every list page read: progress reports.
        self.on_page: Callable[[str, int], None] | None = None
        # Told when read_live has read everything: the progress report ends there.
        self.on_read_done: Callable[[], None] | None = None
        # Stripe's clock: the latest Date of its answers (None before any answer carried one).
        self.server_time: int | None = None
        self._http = _CountingHTTPClient(attempt_timeout=min(attempt_timeout, timeout), watchdog=watchdog)
        self.client = stripe.StripeClient(
            api_key,
            stripe_version=stripe_facts.API_VERSION,
            base_addresses={"api": self.api_base},
            max_network_retries=0,
            http_client=self._http,
        )

    def __repr__(self) -> str:  # never show the key
        return f"StripeGateway(api_base={self.api_base!r})"

    @property
    def livemode(self) -> bool:
        return self._api_key.startswith(("sk_live_", "rk_live_"))

    @property
    def request_counts(self) -> Counter[str]:
        """Requests sent so far, keyed 'GET /v1/invoices', 'POST /v1/invoices/{id}/send', …"""
        with self._http._lock:
            return Counter(self._http.counts)

    @property
    def total_requests(self) -> int:
        with self._http._lock:
            return sum(self._http.counts.values())

    @property
    def retries(self) -> int:
        """GETs repeated after a transient error so far."""
        with self._http._lock:
            return self._retries

    def reset_counts(self) -> None:
        with self._http._lock:
            self._http.counts.clear()
            self._retries = 0

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        retry: bool | None = None,
        pacer: Pacer | None = None,
        policy: RetryPolicy | None = None,
    ) -> dict[str, Any]:
        """One API call; the decoded JSON answer. Raises GatewayError subclasses only.

        None values in params are not sent (the SDK's encoding); send "" to clear a field.
        """
        return self.exchange(
            method, path, params, idempotency_key=idempotency_key, retry=retry, pacer=pacer, policy=policy
        ).data

    def exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        retry: bool | None = None,
        pacer: Pacer | None = None,
        policy: RetryPolicy | None = None,
    ) -> Reply:
        """Like `request`, with what the answer's headers said.

        `retry` (default: only for GET) retries transient failures under
        `policy` (default `retry_policy`); a caller with its own retry loop
        passes False. With a `pacer`, every attempt goes through it.
        """
        if retry is None:
            retry = method.upper() == "GET"
        policy = policy or self.retry_policy
        deadline = Deadline.start(self.timeout, policy.clock)

        def once() -> Reply:
            return self._exchange_once(method, path, params, idempotency_key, deadline)

        if not retry:
            return pacer.call(once) if pacer is not None else once()

        def on_retry(attempt: int, delay: float, exc: BaseException) -> None:
            with self._http._lock:
                self._retries += 1
            log.info("%s %s: attempt %s failed (%s); retrying in %.2fs", method.upper(), path, attempt, exc, delay)

        if pacer is not None:
            return call_paced(once, policy=policy, pacer=pacer, on_retry=on_retry, deadline=deadline)
        return call_with_retries(once, policy, on_retry=on_retry, deadline=deadline)

    def _exchange_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        idempotency_key: str | None,
        deadline: Deadline,
    ) -> Reply:
        body = dict(params or {})
        # raw_request takes request options and Stripe params in one mapping;
        # no Stripe param of the endpoints used here shares a name with an option.
        clash = _RAW_REQUEST_OPTIONS.intersection(body)
        if clash:
            raise ValueError(f"parameter names reserved by the SDK: {sorted(clash)}")
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        self._http.limit_next(max(0.05, min(self._http._attempt_timeout, deadline.remaining())))
        request = f"{method.upper()} {path}"
        try:
            response = self.client.raw_request(method.lower(), path, **body)
        except stripe.StripeError as exc:
            # 401, 403 and 429 mean what they say whatever the body (a proxy's own JSON).
            if exc.http_status not in (401, 403, 429) and _foreign_error_body(exc.json_body):
                raise _foreign_error(self.host, request, exc.http_status) from None
            raise self.translate(exc) from None
        except (AttributeError, TypeError, KeyError):
            # The SDK reads an error answer's "error" as Stripe's error object;
            # a string or list there (`{"error": "boom"}`) breaks it mid-read.
            status = self._http.answered_status()
            if status is None or status < 400:
                raise
            raise _foreign_error(self.host, request, status) from None
        data = response.data
        if not isinstance(data, dict):
            raise ServerError(response.code, "the answer was not a JSON object")
        server_time = _http_date(_header(response.headers, "date"))
        if server_time is not None:
            with self._http._lock:
                self.server_time = max(self.server_time or server_time, server_time)
        return Reply(data, replayed=_header(response.headers, "idempotent-replayed") == "true", server_time=server_time)

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, retry: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, PAGE_SIZE per request, following
        starting_after. With `retry`, each page is retried on its own."""
        query: dict[str, Any] = {**(params or {}), "limit": PAGE_SIZE}
        while True:
            page = self.request("GET", path, query, retry=retry)
            data = list_data(page, host=self.host, request=f"GET {path}")
            if self.on_page is not None:
                self.on_page(path, len(data))
            yield from data
            if not page.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]

    def translate(self, exc: stripe.StripeError) -> GatewayError:
        """The GatewayError for an SDK exception, with any secret scrubbed from its text."""
        status = exc.http_status
        request_id = exc.request_id
        retryable = _should_retry_header(exc.headers)
        body = exc.json_body.get("error") if isinstance(exc.json_body, dict) else None
        error = body if isinstance(body, dict) else {}
        message = scrub(str(error.get("message") or exc.user_message or ""), self._api_key)
        code = error.get("code") or exc.code
        param = error.get("param")
        if isinstance(exc, AttemptTimedOut):
            return NetworkFailure(self.host, str(exc.user_message))
        if isinstance(exc, stripe.APIConnectionError):
            detail = _network_detail(exc)
            # A TLS failure is the same on every try: say it once.
            transient = retryable is not False and detail not in _TLS_FAILURES
            return NetworkFailure(self.host, detail, retryable=transient)
        if isinstance(exc, stripe.AuthenticationError) or status == 401:
            return AuthenticationFailed(request_id=request_id)
        if isinstance(exc, stripe.PermissionError) or status == 403:
            return PermissionDenied(message, request_id=request_id)
        if isinstance(exc, stripe.RateLimitError) or status == 429:
            # Always retryable, whatever Stripe-Should-Retry says: that header
            # steers the SDKs' blind automatic retries (which never retry a 429);
            # Stripe's documented handling of a 429 is to back off and retry,
            # which the applier does under its own rate limit.
            return RateLimited(request_id=request_id)
        if status == 409 and (code == "idempotency_key_in_use" or error.get("type") == "idempotency_error"):
            return IdempotencyKeyInUse(code=code, request_id=request_id)
        if isinstance(exc, stripe.IdempotencyError) or error.get("type") == "idempotency_error":
            return IdempotencyConflict(message, http_status=status, request_id=request_id)
        if isinstance(exc, stripe.CardError) or error.get("type") == "card_error":
            return CardFailed(message, code=code, decline_code=error.get("decline_code"), request_id=request_id)
        if status is not None and status < 500:
            # 409 is a lock or in-flight conflict: Stripe and its SDKs retry it.
            default = status == 409
            return InvalidRequest(
                status,
                message,
                code=code,
                param=param,
                retryable=default if retryable is None else retryable,
                request_id=request_id,
            )
        return ServerError(status, message, retryable=retryable is not False, request_id=request_id)


def _foreign_error_body(body: Any) -> bool:
    """A JSON error answer that is not Stripe's `{"error": {...}}` (an OAuth-style string, a list, `[1, 2]`).

    None is no JSON at all (a proxy's HTML page on a 502): that stays a server error, retried.
    """
    if body is None:
        return False
    return not isinstance(body, dict) or not isinstance(body.get("error"), dict)


def _foreign_error(host: str, request: str, status: int | None) -> UnexpectedAnswer:
    """Never retried: an API base that answers errors in another shape is not Stripe's API."""
    return UnexpectedAnswer(host, request, f"an error answer ({status or '?'}) whose error is not Stripe's error object")


def list_data(page: Mapping[str, Any], *, host: str, request: str) -> list[dict[str, Any]]:
    """The objects of a list answer, once its shape is Stripe's; else UnexpectedAnswer.

    Checked on every page: an answer without them (`{"foo": 1}` from some
    other server) must stop the command, not read as an empty account.
    """
    data = page.get("data")
    if page.get("object") != "list" or not isinstance(data, list) or not isinstance(page.get("has_more"), bool):
        raise UnexpectedAnswer(host, request, "not a Stripe list (object, data, has_more)")
    for index, obj in enumerate(data):
        problem = _object_problem(obj)
        if problem:
            raise UnexpectedAnswer(host, request, f"data[{index}] {problem}")
    return data


def _object_problem(obj: Any) -> str:
    """What is wrong with a listed object's common fields ("" if nothing)."""
    if not isinstance(obj, dict):
        return "is not an object"
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        return "has no id"
    if not isinstance(obj.get("created", 0), int) or isinstance(obj.get("created"), bool):
        return "has a created time that is not an integer"
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "has metadata that is not an object"
    lines = obj.get("lines")
    if lines is not None:
        if not isinstance(lines, dict) or not isinstance(lines.get("data"), list):
            return "has lines that are not a Stripe list"
        for index, line in enumerate(lines["data"]):
            problem = _object_problem(line)
            if problem:
                return f"lines.data[{index}] {problem}"
    return ""


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header's value, stripped and lower-cased; names match case-insensitively."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value).strip().lower()
    return None


def _http_date(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _should_retry_header(headers: Mapping[str, str] | None) -> bool | None:
    """Stripe's explicit advice, when it gave one."""
    value = _header(headers, "stripe-should-retry")
    return None if value is None else value == "true"


_NOT_TLS = "the server does not speak TLS (an https:// URL to a plain http port? try http://)"
_BAD_CERTIFICATE = "TLS certificate could not be verified"
_TLS_FAILURES = frozenset({_NOT_TLS, _BAD_CERTIFICATE})


def _network_detail(exc: stripe.StripeError) -> str:
    """A short cause ('connection refused', 'timed out') from the SDK's long text."""
    text = str(exc.user_message or "").lower()
    for needle, detail in (
        ("refused", "connection refused"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
        ("reset", "connection reset"),
        ("name or service not known", "host not found"),
        ("nodename nor servname", "host not found"),
        ("failed to resolve", "host not found"),
        # An https:// URL to a plain-http port fails the handshake, not the certificate.
        ("wrong version number", _NOT_TLS),
        ("record layer failure", _NOT_TLS),
        ("packet length too long", _NOT_TLS),
        ("certificate", _BAD_CERTIFICATE),
        ("remotedisconnected", "connection closed without an answer"),
        ("connection aborted", "connection closed without an answer"),
    ):
        if needle in text:
            return detail
    return "no answer"
