"""Where the sandbox answered unlike Stripe (checked against Stripe's OpenAPI
spec and the Node SDK's types), each through the real SDK over HTTP."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
import stripe

from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from reconciler.stripe_facts import API_VERSION

from .helpers import error_of, make_customer, make_draft, make_open


def test_threshold_reason_is_left_out_not_null(stripe_client: stripe.StripeClient) -> None:
    invoice = make_draft(stripe_client).to_dict(recursive=True)
    assert "threshold_reason" not in invoice


def test_invoice_lines_carry_no_total_count(stripe_client: stripe.StripeClient) -> None:
    invoice = make_draft(stripe_client, items=12)
    assert "total_count" not in invoice.to_dict(recursive=True)["lines"]
    listed = stripe_client.v1.invoices.line_items.list(invoice.id, {"limit": 5}).to_dict(recursive=True)
    assert set(listed) == {"object", "data", "has_more", "url"}


def test_customer_update_applies_address_and_shipping(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client, address={"line1": "1 Main St", "city": "Springfield"})
    assert customer.to_dict(recursive=True)["address"] == {
        "city": "Springfield", "country": None, "line1": "1 Main St", "line2": None, "postal_code": None,
        "state": None,
    }
    updated = stripe_client.v1.customers.update(customer.id, {
        "address": {"postal_code": "12345"},
        "shipping": {"name": "Dock 4", "address": {"line1": "9 Harbour Rd", "country": "US"}},
    }).to_dict(recursive=True)
    assert updated["address"]["line1"] == "1 Main St" and updated["address"]["postal_code"] == "12345"
    assert updated["shipping"] == {
        "address": {"city": None, "country": "US", "line1": "9 Harbour Rd", "line2": None, "postal_code": None,
                    "state": None},
        "carrier": None, "name": "Dock 4", "phone": None, "tracking_number": None,
    }
    cleared = stripe_client.v1.customers.update(customer.id, {"address": "", "shipping": ""})
    assert (cleared.address, cleared.shipping) == (None, None)


def test_invoice_create_applies_rendering(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    invoice = stripe_client.v1.invoices.create({
        "customer": customer.id, "rendering": {"amount_tax_display": "exclude_tax", "pdf": {"page_size": "a4"}},
    })
    assert invoice.to_dict(recursive=True)["rendering"] == {
        "amount_tax_display": "exclude_tax", "pdf": {"page_size": "a4"}, "template": None, "template_version": None,
    }
    updated = stripe_client.v1.invoices.update(invoice.id, {"rendering": {"pdf": {"page_size": "letter"}}})
    assert updated.to_dict(recursive=True)["rendering"]["pdf"] == {"page_size": "letter"}


def test_payment_method_types_are_applied_on_create_and_update(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    invoice = stripe_client.v1.invoices.create({
        "customer": customer.id, "payment_settings": {"payment_method_types": ["card"]},
    })
    assert invoice.payment_settings.payment_method_types == ["card"]
    updated = stripe_client.v1.invoices.update(invoice.id, {"payment_settings": {"payment_method_types": ["card",
                                                                                                           "ach_debit"]}})
    assert updated.payment_settings.payment_method_types == ["card", "ach_debit"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.update(invoice.id, {"payment_settings": {"default_mandate": "mandate_1"}})
    assert error_of(caught.value)["code"] == "parameter_unsupported_by_sandbox"


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"default_payment_method": "pm_nope"}, "default_payment_method", "No such PaymentMethod: 'pm_nope'"),
        ({"default_source": "src_nope"}, "default_source", "No such source: 'src_nope'"),
    ],
)
def test_an_id_parameter_naming_nothing_is_a_400_resource_missing(
    stripe_client: stripe.StripeClient, params: dict[str, str], param: str, message: str
) -> None:
    invoice = make_draft(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.update(invoice.id, params)
    assert caught.value.http_status == 400
    assert (error_of(caught.value)["code"], error_of(caught.value)["param"]) == ("resource_missing", param)
    assert error_of(caught.value)["message"] == message
    with pytest.raises(stripe.InvalidRequestError) as created:
        stripe_client.v1.customers.create({"invoice_settings": {"default_payment_method": "pm_nope"}})
    assert (created.value.http_status, error_of(created.value)["param"]) == (
        400, "invoice_settings[default_payment_method]"
    )


def _get(sandbox: RunningSandbox, headers: str) -> tuple[int, dict[str, str], dict[str, object]]:
    address = urlsplit(sandbox.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"GET /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SANDBOX_API_KEY}\r\n"
                     f"Connection: close\r\n{headers}\r\n".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    found = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in found.items()}, json.loads(body)


def test_responses_name_their_api_version(sandbox: RunningSandbox) -> None:
    status, headers, _ = _get(sandbox, "")
    assert (status, headers["stripe-version"]) == (200, API_VERSION)
    status, headers, _ = _get(sandbox, f"Stripe-Version: {API_VERSION}\r\n")
    assert (status, headers["stripe-version"]) == (200, API_VERSION)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2019-2-19", "Invalid Stripe API version: 2019-2-19"),
        ("2024-06-20", f"Invalid Stripe API version: 2024-06-20 (the sandbox emulates {API_VERSION} only)"),
    ],
)
def test_an_unknown_stripe_version_is_refused(sandbox: RunningSandbox, version: str, message: str) -> None:
    status, _, body = _get(sandbox, f"Stripe-Version: {version}\r\n")
    assert status == 400
    assert body == {"error": {"type": "invalid_request_error", "message": message}}


def test_pay_out_of_band_is_refused_while_a_payment_is_processing(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    invoice = make_open(stripe_client)
    sandbox.pay(invoice.id, "processing")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    assert error_of(caught.value)["message"] == (
        f"This invoice ({invoice.id}) has a payment processing; it can be paid out of band only once that "
        "payment has failed."
    )
    sandbox.settle(invoice.id, "succeeded")
    paid = [e for e in stripe_client.v1.events.list({"type": "invoice.paid"}).data if e.data.object["id"] == invoice.id]
    assert len(paid) == 1
