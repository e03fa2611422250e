"""Stripe-shaped API errors raised by the sandbox models and request layer.

Each error carries Stripe's `type`, `code`, `param` and HTTP status; only the
server turns them into `{"error": {...}}` bodies.
"""

from __future__ import annotations

from typing import Any


class StripeApiError(Exception):
    """An error the sandbox answers with, in the shape Stripe answers it."""

    http_status = 400
    error_type = "invalid_request_error"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


class InvalidRequest(StripeApiError):
    """400 invalid_request_error."""


class ParameterUnknown(InvalidRequest):
    def __init__(self, param: str) -> None:
        super().__init__(
            f"Received unknown parameter: {param}", code="parameter_unknown", param=param
        )


class ParameterMissing(InvalidRequest):
    def __init__(self, param: str) -> None:
        super().__init__(
            f"Missing required param: {param}.", code="parameter_missing", param=param
        )


class ParameterInvalidInteger(InvalidRequest):
    def __init__(self, param: str, value: object) -> None:
        super().__init__(
            f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
        )


class ParameterInvalidEmpty(InvalidRequest):
    def __init__(self, param: str) -> None:
        super().__init__(
            f"You passed an empty string for '{param}'. We assume empty values are an "
            "attempt to unset a parameter; however '{param}' cannot be unset. You should "
            f"remove '{param}' from your request or supply a non-empty value.".replace(
                "{param}", param
            ),
            code="parameter_invalid_empty",
            param=param,
        )


class InvalidCurrency(InvalidRequest):
    def __init__(self, value: str, supported: tuple[str, ...], *, param: str) -> None:
        super().__init__(
            f"Invalid currency: {value}. Stripe currently supports these currencies: {', '.join(supported)}",
            param=param,
        )


class ResourceMissing(InvalidRequest):
    """404 for the object a URL names; 400 for one a parameter names, as Stripe answers."""

    http_status = 404

    def __init__(self, kind: str, object_id: str, *, param: str | None = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
        if param not in (None, "id"):
            self.http_status = 400


class ResourceAlreadyExists(InvalidRequest):
    def __init__(self, message: str, *, param: str | None = "id") -> None:
        super().__init__(message, code="resource_already_exists", param=param)


class InvoiceNotEditable(InvalidRequest):
    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message, code="invoice_not_editable", param=param)


class UnrecognizedRequestUrl(InvalidRequest):
    http_status = 404

    def __init__(self, method: str, path: str) -> None:
        super().__init__(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/."
        )


class RequestTooLarge(InvalidRequest):
    http_status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Request body too large: the limit is {limit} bytes.", code="request_too_large"
        )


class AuthenticationError(StripeApiError):
    http_status = 401
    error_type = "invalid_request_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class PermissionDenied(InvalidRequest):
    """403: a restricted key lacks the permission the endpoint needs.

    Stripe names the key (masked), the account and the missing permission;
    `for_key` fills in the key once the request layer knows it.
    """

    http_status = 403

    def __init__(self, permission: str, key: str = "****") -> None:
        self.permission = permission
        super().__init__(
            f"The provided key '{key}' does not have the required permissions for this endpoint on "
            f"account 'acct_sandbox'. Having the '{permission}' permission would allow this request "
            "to continue."
        )

    def for_key(self, masked_key: str) -> PermissionDenied:
        return PermissionDenied(self.permission, masked_key)


class IdempotencyError(StripeApiError):
    http_status = 400
    error_type = "idempotency_error"

    def __init__(self, key: str) -> None:
        super().__init__(
            "Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. Try using a key other than '{key}' if you meant to "
            "execute a different request."
        )


class IdempotencyEndpointError(IdempotencyError):
    """A key reused on another endpoint: Stripe's wording, as quoted in stripe/stripe-ruby#598."""

    def __init__(self, key: str, first: str, now_used: str) -> None:
        StripeApiError.__init__(
            self,
            "Keys for idempotent requests can only be used for the same endpoint they were first used "
            f"for ('{now_used}' vs '{first}'). Try using a key other than '{key}' if you meant to "
            "execute a different request.",
        )


class IdempotencyKeyInUse(StripeApiError):
    """409: another request with this key is still in flight (Stripe does not wait)."""

    http_status = 409
    error_type = "idempotency_error"

    def __init__(self, key: str) -> None:
        super().__init__(
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            code="idempotency_key_in_use",
        )


class RateLimited(StripeApiError):
    http_status = 429
    error_type = "invalid_request_error"

    def __init__(self) -> None:
        super().__init__(
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )


class ApiError(StripeApiError):
    http_status = 500
    error_type = "api_error"

    def __init__(self, message: str = "An unknown error occurred (injected by the sandbox).") -> None:
        super().__init__(message)


class CardError(StripeApiError):
    """402 card_error: a charge was attempted and failed. The attempt itself
    (a failed charge, the invoice's attempt count, the events) is kept, as at
    Stripe: `commits` tells the request layer to commit before answering."""

    http_status = 402
    error_type = "card_error"
    commits = True

    def __init__(self, message: str, *, code: str, decline_code: str | None = None,
                 charge: str | None = None, payment_intent: dict[str, Any] | None = None,
                 payment_method: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code)
        self.extra: dict[str, Any] = {
            "decline_code": decline_code,
            "charge": charge,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "payment_intent": payment_intent,
            "payment_method": payment_method,
        }

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"].update({k: v for k, v in self.extra.items() if v is not None})
        return body
