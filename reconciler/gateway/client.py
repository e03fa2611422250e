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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import stripe
from stripe import RequestsClient

from reconciler import ownership
from reconciler.gateway.errors import (
    AuthenticationFailed,
    GatewayError,
    IdempotencyConflict,
    IdempotencyKeyInUse,
    InvalidRequest,
    NetworkFailure,
    PermissionDenied,
    RateLimited,
    ServerError,
    scrub,
)
from reconciler.gateway.retry import RetryPolicy, call_with_retries

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.stripe.com"
PAGE_SIZE = 100
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


class _CountingHTTPClient(RequestsClient):
    """The SDK's requests-based client, counting each request it sends (thread-safe)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:  # type: ignore[override]
        with self._lock:
            self.counts[endpoint_of(method, url)] += 1
        return super().request(method, url, headers, post_data)


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
    are not retried here.
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        timeout: float = 80.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._api_key = api_key
        self.retry_policy = retry or RetryPolicy()
        self._retries = 0  # GET retries so far (guarded by self._http._lock)
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.host = urlsplit(self.api_base).netloc or self.api_base
        self._http = _CountingHTTPClient(timeout=timeout)
        self.client = stripe.StripeClient(
            api_key,
            stripe_version=ownership.API_VERSION,
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
    ) -> dict[str, Any]:
        """One API call; the decoded JSON answer. Raises GatewayError subclasses only.

        None values in params are not sent (the SDK's encoding); send "" to clear a field.
        """
        return self.exchange(method, path, params, idempotency_key=idempotency_key, retry=retry).data

    def exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        retry: bool | None = None,
    ) -> Reply:
        """Like `request`, with what the answer's headers said.

        `retry` (default: only for GET) retries transient failures under
        `retry_policy`; a caller with its own retry loop passes False.
        """
        if retry is None:
            retry = method.upper() == "GET"
        if not retry:
            return self._exchange_once(method, path, params, idempotency_key)

        def on_retry(attempt: int, delay: float, exc: BaseException) -> None:
            with self._http._lock:
                self._retries += 1
            log.info("%s %s: attempt %s failed (%s); retrying in %.2fs", method.upper(), path, attempt, exc, delay)

        return call_with_retries(
            lambda: self._exchange_once(method, path, params, idempotency_key), self.retry_policy, on_retry=on_retry
        )

    def _exchange_once(
        self, method: str, path: str, params: Mapping[str, Any] | None, idempotency_key: str | None
    ) -> Reply:
        body = dict(params or {})
        # raw_request takes request options and Stripe params in one mapping;
        # no Stripe param of the endpoints used here shares a name with an option.
        clash = _RAW_REQUEST_OPTIONS.intersection(body)
        if clash:
            raise ValueError(f"parameter names reserved by the SDK: {sorted(clash)}")
        if idempotency_key is not None:
            body["idempotency_key"] = idempotency_key
        try:
            response = self.client.raw_request(method.lower(), path, **body)
        except stripe.StripeError as exc:
            raise self.translate(exc) from None
        data = response.data
        if not isinstance(data, dict):
            raise ServerError(response.code, "the answer was not a JSON object")
        return Reply(
            data,
            replayed=_header(response.headers, "idempotent-replayed") == "true",
            server_time=_http_date(_header(response.headers, "date")),
        )

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, retry: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, PAGE_SIZE per request, following
        starting_after. With `retry`, each page is retried on its own."""
        query: dict[str, Any] = {**(params or {}), "limit": PAGE_SIZE}
        while True:
            page = self.request("GET", path, query, retry=retry)
            data = page.get("data") or []
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
        if isinstance(exc, stripe.APIConnectionError):
            return NetworkFailure(self.host, _network_detail(exc), retryable=retryable is not False)
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
        ("certificate", "TLS certificate could not be verified"),
        ("remotedisconnected", "connection closed without an answer"),
        ("connection aborted", "connection closed without an answer"),
    ):
        if needle in text:
            return detail
    return "no answer"
