"""Stripe's invoicing quickstart, end to end through the real SDK."""

from __future__ import annotations

import stripe

from reconciler.sandbox import RunningSandbox


def test_quickstart_flow_product_to_paid(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    product = stripe_client.v1.products.create({"name": "Gold Special"})
    price = stripe_client.v1.prices.create(
        {"product": product.id, "unit_amount": 1000, "currency": "usd"}
    )
    customer = stripe_client.v1.customers.create(
        {"name": "Jenny Rosen", "email": "jenny.rosen@example.com", "description": "My first customer"}
    )
    invoice = stripe_client.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30}
    )
    assert invoice.status == "draft"
    assert invoice.number is None
    item = stripe_client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "pricing": {"price": price.id}}
    )
    assert item.amount == 1000
    assert item.pricing is not None and item.pricing.price_details is not None
    assert item.pricing.price_details.price == price.id

    finalized = stripe_client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open"
    assert finalized.total == 1000 and finalized.amount_due == 1000 and finalized.amount_remaining == 1000
    assert finalized.number == f"{customer.invoice_prefix}-0001"
    assert finalized.due_date == invoice.created + 30 * 86400
    assert invoice.due_date == finalized.due_date
    assert finalized.hosted_invoice_url is not None
    assert [line.amount for line in finalized.lines.data] == [1000]

    sent = stripe_client.v1.invoices.send_invoice(invoice.id)
    assert sent.status == "open"

    paid = sandbox.pay(invoice.id, "succeeded")
    assert paid["status"] == "paid"
    final = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (final.status, final.amount_paid, final.amount_remaining) == ("paid", 1000, 0)

    types = [e.type for e in stripe_client.v1.events.list({"limit": 100}).data]
    assert types == [
        "invoice.paid",
        "invoice.payment_succeeded",
        "payment_intent.succeeded",
        "invoice.sent",
        "invoice.finalized",
        "invoice.updated",  # the item changed its totals (issue 23)
        "invoiceitem.created",
        "invoice.created",
        "customer.created",
        "price.created",
        "product.created",
    ]
