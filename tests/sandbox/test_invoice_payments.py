"""Invoice payments by payment intent: the link from a payment_intent.* event to its invoice."""

from __future__ import annotations

import pytest
import stripe

from reconciler.sandbox import RunningSandbox

from .helpers import error_of, make_open


def _intent_of(client: stripe.StripeClient, event_type: str) -> str:
    (event,) = client.v1.events.list({"type": event_type}).data
    return str(event.data.object["id"])


def test_processing_payment_is_listed_by_its_intent_as_open(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    invoice = make_open(stripe_client)
    sandbox.pay(invoice.id, "processing")
    intent = _intent_of(stripe_client, "payment_intent.processing")
    found = stripe_client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": intent}}
    ).data
    assert [(p.invoice, p.status, p.amount_requested, p.amount_paid) for p in found] == [
        (invoice.id, "open", 1000, None)
    ]
    assert found[0].payment.payment_intent == intent and found[0].id.startswith("inpay_")


def test_settled_payment_is_paid_and_listed_by_invoice(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    invoice = make_open(stripe_client)
    sandbox.pay(invoice.id, "processing")
    sandbox.settle(invoice.id, "succeeded")
    (payment,) = stripe_client.v1.invoice_payments.list({"invoice": invoice.id}).data
    assert (payment.status, payment.amount_paid) == ("paid", 1000)
    assert payment.status_transitions.paid_at is not None
    assert stripe_client.v1.invoice_payments.retrieve(payment.id).invoice == invoice.id
    assert stripe_client.v1.invoice_payments.list({"invoice": invoice.id, "status": "open"}).data == []


def test_unknown_intent_lists_nothing_and_unknown_id_is_missing(stripe_client: stripe.StripeClient) -> None:
    listed = stripe_client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": "pi_unknown"}}
    )
    assert listed.data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_payments.retrieve("inpay_unknown")
    assert caught.value.http_status == 404 and error_of(caught.value)["code"] == "resource_missing"
