"""Every SDK failure becomes a one-line GatewayError without the API key."""

from __future__ import annotations

import socket

import pytest

from reconciler.gateway import write
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import (
    AuthenticationFailed,
    GatewayError,
    IdempotencyKeyInUse,
    InvalidRequest,
    NetworkFailure,
    PermissionDenied,
    RateLimited,
    RetriesExhausted,
    ServerError,
    scrub,
)
from reconciler.gateway.read import read_live
from reconciler.gateway.retry import RetryPolicy
from reconciler.ownership import OWNER_KEY
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

# The sandbox accepts any sk_test_ key, like test mode; it refuses live keys.
WRONG_KEY = "sk_live_notAcceptedBySandbox123"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_wrong_key_is_authentication_failed(sandbox: RunningSandbox) -> None:
    gateway = StripeGateway(WRONG_KEY, api_base=sandbox.url)
    with pytest.raises(AuthenticationFailed) as caught:
        read_live(gateway)
    assert str(caught.value) == "authentication failed: the API key was rejected (401)"
    assert (caught.value.http_status, caught.value.retryable) == (401, False)
    assert isinstance(caught.value, GatewayError)
    assert gateway.total_requests == 1


def test_a_closed_port_is_a_network_failure_naming_the_host_not_the_key() -> None:
    port = _closed_port()
    gateway = StripeGateway(
        WRONG_KEY, api_base=f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)
    )
    with pytest.raises(RetriesExhausted) as caught:
        read_live(gateway)
    assert str(caught.value) == (
        f"network failure talking to 127.0.0.1:{port}: connection refused (gave up after 2 attempts)"
    )
    last = caught.value.last
    assert isinstance(last, NetworkFailure) and last.retryable is True and last.http_status is None
    assert (caught.value.retryable, caught.value.attempts) == (False, 2)
    assert gateway.retries == 1
    assert WRONG_KEY not in repr(gateway)


def test_a_missing_object_is_invalid_request_404(gateway: StripeGateway) -> None:
    with pytest.raises(InvalidRequest) as caught:
        write.get_invoice(gateway, "in_doesnotexist")
    error = caught.value
    assert (error.http_status, error.code, error.retryable) == (404, "resource_missing", False)
    assert str(error).startswith("Stripe rejected the request (404, resource_missing): ")
    assert "in_doesnotexist" in str(error)


def test_an_unknown_parameter_is_invalid_request_400_naming_it(gateway: StripeGateway) -> None:
    with pytest.raises(InvalidRequest) as caught:
        write.send(gateway, "create_customer", None, {"name": "Jenny", "colour": "blue"}, idempotency_key="t-400")
    error = caught.value
    assert (error.http_status, error.code, error.param, error.retryable) == (400, "parameter_unknown", "colour", False)
    assert str(error).startswith("Stripe rejected the request (400, parameter_unknown): ")
    assert str(error).endswith("[param: colour]")


def test_a_key_echoed_by_stripe_never_reaches_the_message(gateway: StripeGateway) -> None:
    leaked = "sk_test_pastedInTheWrongPlace42"
    with pytest.raises(InvalidRequest) as caught:
        write.get_invoice(gateway, leaked)
    assert leaked not in str(caught.value)
    assert "[redacted]" in str(caught.value)


def test_scrub_removes_the_given_secret_and_anything_key_shaped() -> None:
    text = "Invalid API Key provided: sk_live_abc123; also rk_test_x9 and whsec_s3cr3t and mysecret"
    assert scrub(text, "mysecret") == (
        "Invalid API Key provided: [redacted]; also [redacted] and [redacted] and [redacted]"
    )


def test_a_429_is_rate_limited_and_retryable(gateway: StripeGateway, sandbox: RunningSandbox) -> None:
    sandbox.set_faults(rate_limit_rps=0)
    with pytest.raises(RateLimited) as caught:
        gateway.request("GET", "/v1/customers", retry=False)
    assert str(caught.value) == "rate limited by Stripe (429): too many requests"
    assert (caught.value.http_status, caught.value.code, caught.value.retryable) == (429, "rate_limit", True)
    assert gateway.total_requests == 1


def test_a_500_is_a_retryable_server_error(gateway: StripeGateway, sandbox: RunningSandbox) -> None:
    sandbox.set_faults(error_rate=1.0)
    with pytest.raises(ServerError) as caught:
        write.send(gateway, "create_customer", None, {"name": "Jenny"}, idempotency_key="t-500")
    assert str(caught.value).startswith("Stripe server error (500): ")
    assert (caught.value.http_status, caught.value.retryable) == (500, True)


def test_a_lost_answer_is_a_retryable_network_failure_and_the_retry_replays(
    gateway: StripeGateway, sandbox: RunningSandbox
) -> None:
    sandbox.set_faults(lose_response_rate=1.0)
    params = {"name": "Jenny", "metadata": {OWNER_KEY: "jenny"}}
    with pytest.raises(NetworkFailure) as caught:
        write.send(gateway, "create_customer", None, params, idempotency_key="t-lost")
    assert caught.value.retryable is True
    assert str(caught.value).startswith(f"network failure talking to {gateway.host}: ")
    sandbox.set_faults(lose_response_rate=0.0)

    retried = write.send(gateway, "create_customer", None, params, idempotency_key="t-lost")

    live = read_live(gateway)
    assert list(live.customers) == ["jenny"]
    assert live.customers["jenny"].id == retried.id


def test_messages_stay_one_short_line() -> None:
    error = InvalidRequest(502, "<html>\n<body>\n" + "bad gateway " * 100 + "</body></html>")
    assert "\n" not in str(error)
    assert len(str(error)) == 300


RESTRICTED_KEY = "rk_test_sandboxRestrictedKey1234"


def test_a_restricted_key_reads_and_a_missing_permission_is_permission_denied(sandbox: RunningSandbox) -> None:
    gateway = StripeGateway(RESTRICTED_KEY, api_base=sandbox.url)
    assert read_live(gateway).customers == {}  # the sandbox accepts rk_test_ keys
    # The key may read customers but not write them: Stripe answers 403.
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/customers", "status": 403}])
    with pytest.raises(PermissionDenied) as caught:
        write.send(gateway, "create_customer", None, {"name": "Jenny"}, idempotency_key="t-403")
    assert str(caught.value) == (
        "permission denied (403): The provided key 'rk_*************************1234' does not have the "
        "required permissions for this endpoint on account 'acct_sandbox'. Having the 'rak_customer_write' "
        "permission would allow this request to continue."
    )
    assert RESTRICTED_KEY not in str(caught.value) and RESTRICTED_KEY not in repr(caught.value)
    assert (caught.value.http_status, caught.value.retryable) == (403, False)
    assert isinstance(caught.value, GatewayError)
    assert sandbox.stats()["by_status"]["403"] == 1


def test_a_key_still_in_use_is_a_retryable_409(sandbox: RunningSandbox) -> None:
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/customers", "status": 409,
                                     "code": "idempotency_key_in_use", "times": 1}])
    with pytest.raises(IdempotencyKeyInUse) as failure:
        gateway.request("POST", "/v1/customers", {"name": "Jenny"}, idempotency_key="t-in-use")
    assert failure.value.retryable and failure.value.http_status == 409
    assert str(failure.value) == "another request with the same idempotency key was still running (409)"
