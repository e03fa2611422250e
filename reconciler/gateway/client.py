"""StripeGateway: the one place the tool holds a `stripe.StripeClient`.

It pins the API version, turns the SDK's own retries off (the applier retries
with its own backoff, rate limit and idempotency keys), counts every HTTP
request it sends, and translates every SDK exception into
reconciler.gateway.errors so no stripe type leaks out of this package.

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
from typing import Any
from urllib.parse import urlsplit

import stripe
from stripe import RequestsClient

from reconciler import ownership
from reconciler.gateway.errors import (
    AuthenticationFailed,
    GatewayError,
    IdempotencyConflict,
    InvalidRequest,
    NetworkFailure,
    PermissionDenied,
    RateLimited,
    ServerError,
    scrub,
)

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


class StripeGateway:
    """A Stripe account (or a sandbox) reached through the pinned SDK."""

    def __init__(self, api_key: str, *, api_base: str | None = None, timeout: float = 80.0) -> None:
        self._api_key = api_key
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

    def reset_counts(self) -> None:
        with self._http._lock:
            self._http.counts.clear()

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """One API call; the decoded JSON answer. Raises GatewayError subclasses only.

        None values in params are not sent (the SDK's encoding); send "" to clear a field.
        """
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
        return data

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, PAGE_SIZE per request, following starting_after."""
        query: dict[str, Any] = {**(params or {}), "limit": PAGE_SIZE}
        while True:
            page = self.request("GET", path, query)
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


def _should_retry_header(headers: Mapping[str, str] | None) -> bool | None:
    """Stripe's explicit advice, when it gave one."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "stripe-should-retry":
            return value.strip().lower() == "true"
    return None


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
