"""Errors of the Stripe gateway: one class per way a call can fail.

Each error builds its own one-line message and says whether the applier may
retry the call (`retryable`). Messages never contain the API key: they are
built from Stripe's structured fields, and `scrub` removes anything that looks
like a key as a last line of defence.
"""

from __future__ import annotations

import re

from reconciler.errors import ReconcilerError

# sk_/rk_/pk_ keys and webhook secrets, test or live, with any suffix.
_SECRET_PATTERN = re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9_*]+|\bwhsec_[A-Za-z0-9]+")


_MAX_MESSAGE = 300


def scrub(text: str, *secrets: str | None) -> str:
    """`text` with the given secrets and anything shaped like a Stripe key replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _SECRET_PATTERN.sub("[redacted]", text)


def one_line(text: str) -> str:
    """Whitespace collapsed and cut: an HTML error page from a proxy stays one short line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


class GatewayError(ReconcilerError):
    """A Stripe call failed."""

    kind = "api"

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        retryable: bool | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(one_line(scrub(message)))
        self.http_status = http_status
        self.code = code
        self.request_id = request_id
        if retryable is not None:
            self.retryable = retryable


class AuthenticationFailed(GatewayError):
    """401: the key is wrong, expired or revoked."""

    def __init__(self, *, request_id: str | None = None) -> None:
        super().__init__(
            "authentication failed: the API key was rejected (401)",
            http_status=401,
            request_id=request_id,
        )


class PermissionDenied(GatewayError):
    """403: a restricted key lacks a permission."""

    def __init__(self, detail: str, *, request_id: str | None = None) -> None:
        super().__init__(
            f"permission denied (403): {detail or 'the API key may not perform this request'}",
            http_status=403,
            request_id=request_id,
        )


class NetworkFailure(GatewayError):
    """No HTTP answer: connection refused, reset, timed out."""

    retryable = True

    def __init__(self, host: str, detail: str, *, retryable: bool = True) -> None:
        super().__init__(f"network failure talking to {host}: {detail}", retryable=retryable)
        self.host = host


class RateLimited(GatewayError):
    """429: too many requests. Always retryable, after a backoff (Stripe's guidance)."""

    retryable = True

    def __init__(self, *, request_id: str | None = None) -> None:
        super().__init__(
            "rate limited by Stripe (429): too many requests",
            http_status=429,
            code="rate_limit",
            request_id=request_id,
        )


class ServerError(GatewayError):
    """5xx (or an unreadable answer): Stripe's side failed."""

    retryable = True

    def __init__(
        self, http_status: int | None, detail: str, *, retryable: bool = True, request_id: str | None = None
    ) -> None:
        status = f" ({http_status})" if http_status else ""
        super().__init__(
            f"Stripe server error{status}: {detail or 'no detail'}",
            http_status=http_status,
            retryable=retryable,
            request_id=request_id,
        )


class UnexpectedAnswer(GatewayError):
    """A 2xx answer that is not what Stripe sends: the API base is probably not Stripe's API.

    Never retried: reading nonsense as an empty account would plan creating everything.
    """

    def __init__(self, host: str, request: str, detail: str) -> None:
        super().__init__(
            f"unexpected answer from {host} to {request}: {detail}; is the API base a Stripe API?"
        )


class MalformedObject(GatewayError):
    """An object in an answer whose fields have types Stripe never sends."""

    def __init__(self, kind: str, object_id: str, detail: str) -> None:
        super().__init__(f"unexpected {kind} {object_id} in the API's answer ({detail}); is the API base a Stripe API?")


class InvalidRequest(GatewayError):
    """400/402/404/409: Stripe refused the request itself; retrying will not help."""

    def __init__(
        self,
        http_status: int | None,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retryable: bool = False,
        request_id: str | None = None,
    ) -> None:
        parts = [f"Stripe rejected the request ({http_status or '?'}"]
        parts.append(f", {code})" if code else ")")
        text = "".join(parts) + f": {message or 'no message'}"
        if param:
            text += f" [param: {param}]"
        super().__init__(text, http_status=http_status, code=code, retryable=retryable, request_id=request_id)
        self.param = param
        self.stripe_message = message


class CardFailed(GatewayError):
    """402 card_error: a charge was attempted and did not go through (declined, or waiting for the
    customer's 3-D Secure). Never retried: another attempt is the next plan's, seen by a reviewer."""

    REQUIRES_ACTION = "invoice_payment_intent_requires_action"

    def __init__(self, message: str, *, code: str | None, decline_code: str | None = None,
                 request_id: str | None = None, hosted_invoice_url: str | None = None) -> None:
        self.stripe_message, self.decline_code, self.hosted_invoice_url = message, decline_code, hosted_invoice_url
        if code == self.REQUIRES_ACTION:
            where = hosted_invoice_url or "the invoice's hosted page"
            text = f"the charge needs the customer's authentication (3-D Secure): they complete it at {where}"
        else:
            reason = f"{code}/{decline_code}" if decline_code else (code or "card_error")
            text = f"charge declined: {reason}: {message or 'no message'}"
        super().__init__(text, http_status=402, code=code, retryable=False, request_id=request_id)

    @property
    def needs_customer(self) -> bool:
        return self.code == self.REQUIRES_ACTION

    def at(self, hosted_invoice_url: str | None) -> CardFailed:
        """The same failure, naming the page where the customer pays."""
        return CardFailed(self.stripe_message, code=self.code, decline_code=self.decline_code,
                          request_id=self.request_id, hosted_invoice_url=hosted_invoice_url)


class IdempotencyConflict(GatewayError):
    """The idempotency key was used before with other parameters."""

    def __init__(self, message: str, *, http_status: int | None = 400, request_id: str | None = None) -> None:
        super().__init__(
            f"idempotency key reused with different parameters: {message or 'no detail'}",
            http_status=http_status,
            code="idempotency_error",
            request_id=request_id,
        )


class IdempotencyKeyInUse(GatewayError):
    """409: another request with the same idempotency key (a concurrent apply)
    is still running. Retryable: once it finishes, the same key replays its answer."""

    retryable = True

    def __init__(self, *, code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(
            "another request with the same idempotency key was still running (409)",
            http_status=409,
            code=code or "idempotency_key_in_use",
            request_id=request_id,
        )


class RetriesExhausted(GatewayError):
    """A retryable error kept happening until the attempt budget ran out."""

    def __init__(self, last: BaseException, attempts: int, *, within: float | None = None) -> None:
        tried = f"{attempts} attempt{'' if attempts == 1 else 's'}"
        why = f"gave up after {tried}"
        if within is not None:
            why += f" in the {round(within, 1):g} s of --timeout"
        super().__init__(
            f"{last} ({why})",
            http_status=getattr(last, "http_status", None),
            code=getattr(last, "code", None),
            retryable=False,
            request_id=getattr(last, "request_id", None),
        )
        self.last = last
        self.attempts = attempts
