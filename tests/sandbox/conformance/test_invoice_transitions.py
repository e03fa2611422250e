"""The invoice state machine: every row of Stripe's transitions table, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from reconciler.sandbox import RunningSandbox
from tests.sandbox.conformance.rules import (
    DELETE_INVOICE,
    FINALIZE,
    SEND,
    TRANSITIONS,
    sandbox_choice,
    stripe_rule,
)
from tests.sandbox.helpers import error_of, make_in_status

STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def _call(client: stripe.StripeClient, endpoint: str, invoice_id: str) -> Any:
    invoices = client.v1.invoices
    calls = {
        "delete": lambda: invoices.delete(invoice_id),
        "finalize": lambda: invoices.finalize_invoice(invoice_id),
        "pay": lambda: invoices.pay(invoice_id, {"paid_out_of_band": True}),
        "send": lambda: invoices.send_invoice(invoice_id),
        "void": lambda: invoices.void_invoice(invoice_id),
        "mark_uncollectible": lambda: invoices.mark_uncollectible(invoice_id),
    }
    return calls[endpoint]()


def _newest_types(client: stripe.StripeClient, count: int) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": count}).data]


# Stripe's table: (status, endpoint, emitted event, end status).
TABLE = [
    ("draft", "delete", "invoice.deleted", None),
    ("draft", "finalize", "invoice.finalized", "open"),
    ("open", "pay", "invoice.paid", "paid"),
    ("open", "send", "invoice.sent", "open"),
    ("open", "void", "invoice.voided", "void"),
    ("open", "mark_uncollectible", "invoice.marked_uncollectible", "uncollectible"),
    ("uncollectible", "pay", "invoice.paid", "paid"),
    ("uncollectible", "void", "invoice.voided", "void"),
]


@stripe_rule(TRANSITIONS, "The following table outlines the status transitions and their endpoints. It also "
             "lists the webhooks that are emitted by the endpoint, and the resulting status for each")
@pytest.mark.parametrize(("status", "endpoint", "event", "end"), TABLE)
def test_each_documented_transition(
    stripe_client: stripe.StripeClient, status: str, endpoint: str, event: str, end: str | None
) -> None:
    invoice = make_in_status(stripe_client, status)
    _call(stripe_client, endpoint, invoice.id)
    assert event in _newest_types(stripe_client, 3)
    if end is None:
        with pytest.raises(stripe.InvalidRequestError) as gone:
            stripe_client.v1.invoices.retrieve(invoice.id)
        assert gone.value.http_status == 404
    else:
        assert stripe_client.v1.invoices.retrieve(invoice.id).status == end


@stripe_rule(TRANSITIONS, "| `open` | POST /v1/invoices/:id/pay | `invoice.payment_failed` | `open` |")
@pytest.mark.parametrize("status", ["open", "uncollectible"])
def test_failed_payment_leaves_the_status(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox, status: str
) -> None:
    # The sandbox has no payment methods: a customer's failed payment comes through its admin hook.
    invoice = make_in_status(stripe_client, status)
    sandbox.pay(invoice.id, "failed")
    assert "invoice.payment_failed" in _newest_types(stripe_client, 2)
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == status


@stripe_rule(FINALIZE, "Stripe automatically finalizes drafts before sending and attempting payment on invoices.")
def test_send_on_a_draft_finalizes_it_first(stripe_client: stripe.StripeClient) -> None:
    draft = make_in_status(stripe_client, "draft")
    sent = stripe_client.v1.invoices.send_invoice(draft.id)
    assert sent.status == "open" and sent.number is not None
    assert _newest_types(stripe_client, 2) == ["invoice.sent", "invoice.finalized"]


@stripe_rule(FINALIZE, "Stripe automatically finalizes drafts before sending and attempting payment on invoices.")
def test_pay_on_a_draft_finalizes_it_first(stripe_client: stripe.StripeClient) -> None:
    draft = make_in_status(stripe_client, "draft")
    paid = stripe_client.v1.invoices.pay(draft.id, {"paid_out_of_band": True})
    assert paid.status == "paid" and paid.status_transitions.finalized_at is not None
    assert _newest_types(stripe_client, 2) == ["invoice.paid", "invoice.finalized"]


@sandbox_choice("pay on a draft that could not be paid at all (no paid_out_of_band, no payment method) "
                "is refused before finalizing: the draft stays a draft")
def test_refused_pay_leaves_a_draft_alone(stripe_client: stripe.StripeClient) -> None:
    draft = make_in_status(stripe_client, "draft")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.pay(draft.id)
    assert error_of(caught.value)["param"] == "paid_out_of_band"
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"


@stripe_rule(SEND, "When sending invoices that have already been paid, there will be no reference to the "
             "payment in the email.")
def test_send_on_a_paid_invoice_sends_it(stripe_client: stripe.StripeClient) -> None:
    paid = make_in_status(stripe_client, "paid")
    assert stripe_client.v1.invoices.send_invoice(paid.id).status == "paid"
    assert _newest_types(stripe_client, 1) == ["invoice.sent"]


@stripe_rule(SEND, "Requests made in test-mode result in no emails being sent, despite sending an "
             "invoice.sent event.")
def test_every_send_records_an_event(stripe_client: stripe.StripeClient) -> None:
    invoice = make_in_status(stripe_client, "open")
    stripe_client.v1.invoices.send_invoice(invoice.id)
    stripe_client.v1.invoices.send_invoice(invoice.id)
    assert _newest_types(stripe_client, 2) == ["invoice.sent", "invoice.sent"]


@stripe_rule(DELETE_INVOICE, "Attempts to delete invoices that are no longer in a draft state will fail")
@pytest.mark.parametrize("status", ["open", "paid", "uncollectible", "void"])
def test_only_drafts_are_deleted(stripe_client: stripe.StripeClient, status: str) -> None:
    invoice = make_in_status(stripe_client, status)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.delete(invoice.id)
    assert caught.value.http_status == 400 and "only delete draft invoices" in error_of(caught.value)["message"]
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == status


# Pairs neither in the table nor documented elsewhere: refused, the status unchanged.
ALLOWED = {(s, e) for s, e, _, _ in TABLE} | {("draft", "send"), ("draft", "pay"), ("paid", "send")}
REFUSED = [(s, e) for s in STATUSES for e in ("finalize", "pay", "send", "void", "mark_uncollectible")
           if (s, e) not in ALLOWED]


@stripe_rule(TRANSITIONS, "The following graphic shows the different ways that an invoice can transition "
             "from status to status")
@pytest.mark.parametrize(("status", "endpoint"), REFUSED)
def test_every_other_transition_is_refused(stripe_client: stripe.StripeClient, status: str, endpoint: str) -> None:
    invoice = make_in_status(stripe_client, status)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _call(stripe_client, endpoint, invoice.id)
    assert caught.value.http_status == 400
    assert invoice.id in error_of(caught.value)["message"] or "already finalized" in error_of(caught.value)["message"]
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == status


@sandbox_choice("send on a void or uncollectible invoice is refused (Stripe documents sending open and paid "
                "invoices only): a customer is never emailed an invoice nobody will collect")
@pytest.mark.parametrize("status", ["void", "uncollectible"])
def test_send_refused_on_void_and_uncollectible(stripe_client: stripe.StripeClient, status: str) -> None:
    invoice = make_in_status(stripe_client, status)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.send_invoice(invoice.id)
    assert error_of(caught.value)["message"] == (
        f"You can only send open or paid invoices (a draft is finalized first). This invoice ({invoice.id}) "
        f"is {status}."
    )
