"""Params validated against stripe.params, and bad input answered Stripe-shaped."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox

from .helpers import error_of

AUTH = {"Authorization": "Bearer sk_test_sandbox", "Content-Type": "application/x-www-form-urlencoded"}


def raw(sandbox: RunningSandbox, method: str, path: str, body: bytes = b"",
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    parts = urlsplit(sandbox.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body=body, headers=AUTH if headers is None else headers)
    response = conn.getresponse()
    status, payload = response.status, json.loads(response.read())
    conn.close()
    return status, payload


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ("name=x&bogus=1", "parameter_unknown", "bogus"),
        ("name=x&package_dimensions[bogus]=1", "parameter_unknown", "package_dimensions[bogus]"),
        ("description=x", "parameter_missing", "name"),
        ("name=x&package_dimensions[height]=abc&package_dimensions[length]=1&"
         "package_dimensions[weight]=1&package_dimensions[width]=1", None, "package_dimensions[height]"),
        ("name=x&active=maybe", None, "active"),
        ("name=x&active=", "parameter_invalid_empty", "active"),
    ],
)
def test_params_checked_against_sdk(sandbox: RunningSandbox, body: str, code: str | None, param: str) -> None:
    status, payload = raw(sandbox, "POST", "/v1/products", body.encode())
    assert status == 400
    error = payload["error"]
    assert isinstance(error, dict)
    assert error.get("code") == code and error["param"] == param
    assert error["type"] == "invalid_request_error"


def test_invalid_integer_and_enum(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    status, payload = raw(sandbox, "POST", "/v1/prices", b"currency=usd&unit_amount=ten&product=p")
    assert (status, payload["error"]["code"], payload["error"]["param"]) == (  # type: ignore[index]
        400, "parameter_invalid_integer", "unit_amount"
    )
    customer = stripe_client.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.create({"customer": customer.id, "collection_method": "by_pigeon"})
    assert error_of(caught.value)["message"] == (
        "Invalid collection_method: must be one of charge_automatically or send_invoice"
    )


def test_validation_errors_are_not_remembered_for_idempotency(sandbox: RunningSandbox) -> None:
    headers = dict(AUTH, **{"Idempotency-Key": "k"})
    assert raw(sandbox, "POST", "/v1/customers", b"bogus=1", headers)[0] == 400
    status, payload = raw(sandbox, "POST", "/v1/customers", b"name=ok", headers)
    assert status == 200 and payload["name"] == "ok"


@pytest.mark.parametrize(
    ("headers", "message_start"),
    [
        ({}, "You did not provide an API key"),
        ({"Authorization": "Bearer sk_live_abcdefgh1234"}, "Invalid API Key provided: sk_*************1234"),
        ({"Authorization": "Bearer rk_live_abcdefgh1234"}, "Invalid API Key provided: rk_*************1234"),
        ({"Authorization": "Bearer rk_test_"}, "Invalid API Key provided"),
        ({"Authorization": "Bearer nonsense"}, "Invalid API Key provided"),
    ],
)
def test_authentication(sandbox: RunningSandbox, headers: dict[str, str], message_start: str) -> None:
    status, payload = raw(sandbox, "GET", "/v1/customers", headers=headers)
    assert status == 401
    message = payload["error"]["message"]  # type: ignore[index]
    assert message.startswith(message_start) and "abcdefgh" not in message


def test_basic_auth_accepted(sandbox: RunningSandbox) -> None:
    status, _ = raw(sandbox, "GET", "/v1/customers", headers={"Authorization": "Basic c2tfdGVzdF94eXo6"})
    assert status == 200


def test_unknown_route_and_method(sandbox: RunningSandbox) -> None:
    status, payload = raw(sandbox, "GET", "/v1/nothing")
    assert status == 404 and "Unrecognized request URL (GET: /v1/nothing)" in payload["error"]["message"]  # type: ignore[index]
    status, payload = raw(sandbox, "PUT", "/v1/customers")
    assert status == 404 and payload["error"]["type"] == "invalid_request_error"  # type: ignore[index]


@pytest.mark.parametrize("body", [b"a[b=1", b"name=x&name=y", b"a=1&a[b]=2", b"\xff\xfe=1", b"=x"])
def test_malformed_bodies(sandbox: RunningSandbox, body: bytes) -> None:
    status, payload = raw(sandbox, "POST", "/v1/customers", body)
    assert status == 400 and payload["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert raw(sandbox, "GET", "/v1/customers")[0] == 200


def test_body_over_one_megabyte(sandbox: RunningSandbox) -> None:
    status, payload = raw(sandbox, "POST", "/v1/customers", b"name=" + b"x" * (1024 * 1024 + 1))
    assert status == 413
    assert payload["error"]["code"] == "request_too_large"  # type: ignore[index]
    assert raw(sandbox, "GET", "/v1/customers")[0] == 200


def test_admin_bad_json(sandbox: RunningSandbox) -> None:
    status, payload = raw(sandbox, "POST", "/_sandbox/faults", b"{not json", {})
    assert status == 400 and payload["error"]["message"].startswith("Invalid JSON body")  # type: ignore[index]
    status, payload = raw(sandbox, "POST", "/_sandbox/faults", b'{"nope": 1}', {})
    assert (status, payload["error"]["code"]) == (400, "parameter_unknown")  # type: ignore[index]
    status, payload = raw(sandbox, "POST", "/_sandbox/faults", b"[1]", {})
    assert status == 400
    assert raw(sandbox, "GET", "/_sandbox/nothing", b"", {})[0] == 404


def test_restricted_test_key_accepted_and_a_missing_permission_is_403(sandbox: RunningSandbox) -> None:
    client = sdk_client(sandbox.url, api_key="rk_test_abcdefgh1234")
    client.v1.invoices.list()
    sandbox.set_faults(fail_routes=[{"path_prefix": "/v1/invoiceitems", "status": 403}])
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.invoice_items.list()
    assert caught.value.http_status == 403
    assert caught.value.json_body == {
        "error": {
            "type": "invalid_request_error",
            "message": "The provided key 'rk_*************1234' does not have the required permissions for this "
            "endpoint on account 'acct_sandbox'. Having the 'rak_invoice_item_read' permission would allow this "
            "request to continue.",
        }
    }
