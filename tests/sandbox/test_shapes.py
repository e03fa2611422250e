"""Every field the sandbox returns exists on the SDK's class for that object."""

from __future__ import annotations

from typing import Any

import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox

from .helpers import make_open, make_price

CLASSES: dict[str, type] = {
    "product": stripe.Product,
    "price": stripe.Price,
    "customer": stripe.Customer,
    "invoice": stripe.Invoice,
    "invoiceitem": stripe.InvoiceItem,
    "line_item": stripe.InvoiceLineItem,
    "event": stripe.Event,
    "webhook_endpoint": stripe.WebhookEndpoint,
}
LIST_KEYS = {"object", "data", "has_more", "url", "total_count"}


def unknown_fields(value: Any, cls: type, path: str) -> list[str]:
    """Paths of fields in `value` that `cls` (a StripeObject class) does not declare."""
    if not isinstance(value, dict):
        return []
    declared = set(getattr(cls, "__annotations__", {}))
    inner: dict[str, type] = getattr(cls, "_inner_class_types", {})
    problems = [f"{path}.{key}" for key in value if key not in declared]
    for key, sub in value.items():
        if key in inner:
            for element in sub if isinstance(sub, list) else [sub]:
                problems += unknown_fields(element, inner[key], f"{path}.{key}")
        elif isinstance(sub, dict) and sub.get("object") == "list":
            problems += [f"{path}.{key}.{k}" for k in sub if k not in LIST_KEYS]
            for element in sub["data"]:
                problems += unknown_fields(element, CLASSES[element["object"]], f"{path}.{key}[]")
    return problems


def test_every_returned_field_exists_on_the_sdk_class(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    make_price(stripe_client)
    stripe_client.v1.webhook_endpoints.create({"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]})
    invoice = make_open(stripe_client, items=2)
    stripe_client.v1.invoice_items.create({"customer": str(invoice.customer), "amount": 5, "currency": "usd"})
    sandbox.pay(invoice.id, "succeeded")
    seen: set[str] = set()
    for listing in (
        stripe_client.v1.products.list(), stripe_client.v1.prices.list(),
        stripe_client.v1.customers.list(), stripe_client.v1.invoices.list(),
        stripe_client.v1.invoice_items.list(), stripe_client.v1.webhook_endpoints.list(),
        stripe_client.v1.events.list({"limit": 100}),
    ):
        for obj in listing.data:
            body = obj.to_dict(recursive=True)
            seen.add(body["object"])
            assert unknown_fields(body, CLASSES[body["object"]], body["object"]) == []
            if body["object"] == "event" and body["data"]["object"]["object"] in CLASSES:
                inner = body["data"]["object"]
                assert unknown_fields(inner, CLASSES[inner["object"]], body["type"]) == []
    assert seen == set(CLASSES) - {"line_item"}


def test_account_fields_exist_on_the_sdk_class(stripe_client: stripe.StripeClient) -> None:
    body = stripe_client.v1.accounts.retrieve_current().to_dict(recursive=True)
    assert body["id"] == "acct_sandbox" and body["object"] == "account"
    assert unknown_fields(body, stripe.Account, "account") == []


def test_another_seed_is_another_account() -> None:
    from reconciler.sandbox import start_sandbox

    with start_sandbox(seed=7) as other:
        client = sdk_client(other.url)
        assert client.v1.accounts.retrieve_current().id == "acct_sandbox_7"
