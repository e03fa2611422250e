"""Builders shared by the sandbox contract tests (through the real SDK)."""

from __future__ import annotations

from typing import Any

import stripe


class StillClock:
    """A sandbox base clock that moves only when a test sets `now`: windows are crossed exactly,
    however slowly the machine runs the requests in between."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def error_of(exc: stripe.StripeError) -> dict[str, Any]:
    """The `error` object of a Stripe error response."""
    assert exc.json_body is not None
    return dict(exc.json_body["error"])


def make_price(client: stripe.StripeClient, amount: int = 1000, currency: str = "usd") -> stripe.Price:
    product = client.v1.products.create({"name": "Gold Special"})
    return client.v1.prices.create({"product": product.id, "unit_amount": amount, "currency": currency})


def make_customer(client: stripe.StripeClient, **fields: Any) -> stripe.Customer:
    return client.v1.customers.create({"name": "Jenny Rosen", "email": "jenny.rosen@example.com", **fields})


def make_draft(
    client: stripe.StripeClient, *, items: int = 1, amount: int = 1000, method: str = "send_invoice"
) -> stripe.Invoice:
    customer = make_customer(client)
    params: dict[str, Any] = {"customer": customer.id, "collection_method": method}
    if method == "send_invoice":
        params["days_until_due"] = 30
    invoice = client.v1.invoices.create(params)
    for _ in range(items):
        client.v1.invoice_items.create(
            {"customer": customer.id, "invoice": invoice.id, "amount": amount, "currency": "usd"}
        )
    return client.v1.invoices.retrieve(invoice.id)


def make_open(client: stripe.StripeClient, **kwargs: Any) -> stripe.Invoice:
    draft = make_draft(client, **kwargs)
    return client.v1.invoices.finalize_invoice(draft.id)


def make_in_status(client: stripe.StripeClient, status: str, **kwargs: Any) -> stripe.Invoice:
    """A send_invoice invoice brought to `status` (draft, open, paid, uncollectible, void)."""
    invoice = make_draft(client, **kwargs)
    invoices = client.v1.invoices
    if status != "draft":
        invoices.finalize_invoice(invoice.id)
    if status == "paid":
        invoices.pay(invoice.id, {"paid_out_of_band": True})
    if status == "void":
        invoices.void_invoice(invoice.id)
    if status == "uncollectible":
        invoices.mark_uncollectible(invoice.id)
    return invoices.retrieve(invoice.id)


def admin_post(base_url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to the sandbox's admin surface (`/_sandbox/...`) over HTTP; the JSON answer."""
    import json
    import urllib.request

    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request) as response:
        return dict(json.loads(response.read()))
