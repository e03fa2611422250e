"""Credit notes on open, paid and out-of-band-paid invoices, their preview, update and void (real SDK)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.sandbox.conformance.rules import DOCS, sandbox_choice, stripe_rule
from tests.sandbox.helpers import error_of, make_customer, make_in_status, make_price

CREATE = DOCS + "api/credit_notes/create"
PROGRAMMATIC = DOCS + "invoicing/integration/programmatic-credit-notes"
DASHBOARD = DOCS + "invoicing/dashboard/credit-notes"
OBJECT = DOCS + "api/credit_notes/object"
UPDATE = DOCS + "api/credit_notes/update"
PREVIEW = DOCS + "api/credit_notes/preview"


def _open(client: stripe.StripeClient, *, quantity: int = 3, method: str = "send_invoice",
          card: bool = False) -> stripe.Invoice:
    """An open invoice of one line: `quantity` × 10.00."""
    customer = make_customer(client)
    params: dict[str, Any] = {"customer": customer.id, "collection_method": method}
    if method == "send_invoice":
        params["days_until_due"] = 30
    invoice = client.v1.invoices.create(params)
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "quantity": quantity,
                                    "pricing": {"price": make_price(client).id}})
    if card:
        method_id = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id}).id
        client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": method_id}})
    return client.v1.invoices.finalize_invoice(invoice.id)


def _line(invoice: stripe.Invoice, **credit: Any) -> dict[str, Any]:
    return {"type": "invoice_line_item", "invoice_line_item": invoice.lines.data[0].id, **credit}


def _types(client: stripe.StripeClient, count: int) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list({"limit": count}).data)]


def _refused(call: Any) -> dict[str, Any]:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return error_of(caught.value)


@stripe_rule(CREATE, "A credit note will first reduce the invoice's amount_remaining (and amount_due), "
             "but not below zero. This amount is indicated by the credit note's pre_payment_amount")
def test_a_credit_note_by_quantity_reduces_an_open_invoices_amount_remaining(
    stripe_client: stripe.StripeClient,
) -> None:
    invoice = _open(stripe_client)
    note = stripe_client.v1.credit_notes.create(
        {"invoice": invoice.id, "lines": [_line(invoice, quantity=1)], "reason": "order_change", "memo": "One less"})
    assert (note.status, note.amount, note.pre_payment_amount, note.post_payment_amount, note.type) == (
        "issued", 1000, 1000, 0, "pre_payment")
    assert (note.number, note.memo, note.reason) == (f"{invoice.number}-CN-01", "One less", "order_change")
    (line,) = note.lines.data
    assert (line.type, line.quantity, line.unit_amount, line.amount) == ("invoice_line_item", 1, 1000, 1000)
    after = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_due, after.amount_remaining, after.pre_payment_credit_notes_amount) == (
        "open", 2000, 2000, 1000)
    assert _types(stripe_client, 2) == ["credit_note.created", "invoice.updated"]


@stripe_rule(DASHBOARD, "A credit note reduces the amount due without recording any payment. However, if a "
             "credit note reduces the balance of an open invoice")
def test_an_open_invoice_credited_to_zero_is_paid_without_a_payment(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client)
    stripe_client.v1.credit_notes.create({"invoice": invoice.id, "lines": [_line(invoice, quantity=3)]})
    after = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_remaining, after.amount_paid) == ("paid", 0, 0)
    assert _types(stripe_client, 3) == ["credit_note.created", "invoice.updated", "invoice.paid"]


@stripe_rule(DOCS + "billing/invoices/credit-notes", "The sum of all credit notes cannot exceed the invoice's "
             "total amount")
def test_credit_notes_cannot_exceed_the_invoice_total(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client, method="charge_automatically", card=True)
    stripe_client.v1.invoices.pay(invoice.id)
    stripe_client.v1.credit_notes.create({"invoice": invoice.id, "amount": 2500, "credit_amount": 2500})
    error = _refused(lambda: stripe_client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 600, "credit_amount": 600}))
    assert error["param"] == "amount" and "3000" in error["message"]


@stripe_rule(PROGRAMMATIC, "You can't combine discount types on an invoice line item")
def test_a_line_credited_by_quantity_is_credited_by_quantity_again(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client)
    stripe_client.v1.credit_notes.create({"invoice": invoice.id, "lines": [_line(invoice, quantity=1)]})
    error = _refused(lambda: stripe_client.v1.credit_notes.create(
        {"invoice": invoice.id, "lines": [_line(invoice, amount=500)]}))
    assert "credited by quantity" in error["message"]
    error = _refused(lambda: stripe_client.v1.credit_notes.create(
        {"invoice": invoice.id, "lines": [_line(invoice, quantity=3)]}))
    assert error["param"] == "lines[0][quantity]"


@stripe_rule(CREATE, "Refunds: create a new refund (using refund_amount) or link existing refunds")
def test_a_paid_invoice_is_refunded_by_line_through_its_charge(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client, method="charge_automatically", card=True)
    stripe_client.v1.invoices.pay(invoice.id)
    note = stripe_client.v1.credit_notes.create(
        {"invoice": invoice.id, "lines": [_line(invoice, quantity=1)], "refund_amount": 1000})
    assert (note.pre_payment_amount, note.post_payment_amount, note.type) == (0, 1000, "post_payment")
    (refund,) = note.refunds
    created = stripe_client.v1.refunds.retrieve(str(refund.refund))
    assert (refund.amount_refunded, created.amount, created.status) == (1000, 1000, "succeeded")
    assert stripe_client.v1.charges.retrieve(str(created.charge)).amount_refunded == 1000
    after = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_paid, after.post_payment_credit_notes_amount) == ("paid", 3000, 1000)
    assert _types(stripe_client, 4) == ["refund.created", "charge.refunded", "credit_note.created", "invoice.updated"]


@stripe_rule(CREATE, "The sum of refunds, customer balance credits, and outside of Stripe credits must equal "
             "the post_payment_amount")
def test_the_split_must_add_up_to_the_post_payment_amount(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client, method="charge_automatically", card=True)
    stripe_client.v1.invoices.pay(invoice.id)
    error = _refused(lambda: stripe_client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 1000, "refund_amount": 400, "credit_amount": 500}))
    assert error["param"] == "refund_amount" and "(900)" in error["message"] and "(1000)" in error["message"]
    opened = _open(stripe_client)
    error = _refused(lambda: stripe_client.v1.credit_notes.create(
        {"invoice": opened.id, "amount": 1000, "credit_amount": 1000}))
    assert "post_payment_amount (0)" in error["message"]
    assert stripe_client.v1.credit_notes.list({"limit": 10}).data == []


@sandbox_choice("a refund_amount on an invoice without a succeeded charge (paid out of band) is refused "
                "naming credit_amount and out_of_band_amount")
def test_an_out_of_band_paid_invoice_is_credited_to_balance_or_out_of_band(
    stripe_client: stripe.StripeClient,
) -> None:
    invoice = _open(stripe_client)
    stripe_client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    error = _refused(lambda: stripe_client.v1.credit_notes.create(
        {"invoice": invoice.id, "amount": 1000, "refund_amount": 1000}))
    assert error["param"] == "refund_amount" and "out_of_band_amount" in error["message"]
    outside = stripe_client.v1.credit_notes.create({"invoice": invoice.id, "amount": 1000, "out_of_band_amount": 1000})
    assert (outside.out_of_band_amount, outside.refunds, outside.customer_balance_transaction) == (1000, [], None)
    credited = stripe_client.v1.credit_notes.create({"invoice": invoice.id, "amount": 700, "credit_amount": 700})
    assert stripe_client.v1.customers.retrieve(str(invoice.customer)).balance == -700
    assert str(credited.customer_balance_transaction).startswith("cbtxn_")
    assert stripe_client.v1.invoices.retrieve(invoice.id).post_payment_credit_notes_amount == 1700


@stripe_rule(PREVIEW, "Get a preview of a credit note without creating it")
def test_a_preview_is_the_credit_note_create_would_issue_and_changes_nothing(
    stripe_client: stripe.StripeClient,
) -> None:
    invoice = _open(stripe_client)
    request = {"invoice": invoice.id, "lines": [_line(invoice, quantity=2)], "memo": "Two less"}
    before = stripe_client.v1.events.list({"limit": 1}).data[0].id
    preview = stripe_client.v1.credit_notes.preview(request)
    lines = stripe_client.v1.credit_notes.preview_lines.list({**request, "limit": 1})
    assert stripe_client.v1.events.list({"limit": 1}).data[0].id == before
    assert stripe_client.v1.invoices.retrieve(invoice.id).amount_remaining == 3000
    assert [line.amount for line in lines.data] == [2000] and not lines.has_more
    issued = stripe_client.v1.credit_notes.create(request)
    fields = ("amount", "pre_payment_amount", "post_payment_amount", "number", "memo", "type")
    assert [preview[f] for f in fields] == [issued[f] for f in fields]
    assert stripe_client.v1.credit_notes.list({"invoice": invoice.id}).data[0].id == issued.id
    assert stripe_client.v1.credit_notes.retrieve(issued.id).lines.data[0].quantity == 2
    assert [line.amount for line in stripe_client.v1.credit_notes.line_items.list(issued.id).data] == [2000]


@stripe_rule(UPDATE, "Updates an existing credit note")
def test_only_memo_and_metadata_change_once_issued(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client)
    note = stripe_client.v1.credit_notes.create({"invoice": invoice.id, "amount": 500})
    updated = stripe_client.v1.credit_notes.update(note.id, {"memo": "Goodwill", "metadata": {"ticket": "T-1"}})
    assert (updated.memo, updated.metadata.to_dict()) == ("Goodwill", {"ticket": "T-1"})
    assert _types(stripe_client, 1) == ["credit_note.updated"]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.credit_notes.update(note.id, {"amount": 100})  # type: ignore[typeddict-unknown-key]


@stripe_rule(OBJECT, "Status of this credit note, one of issued or void")
def test_voiding_gives_back_the_amount_remaining_and_the_balance(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client)
    note = stripe_client.v1.credit_notes.create({"invoice": invoice.id, "lines": [_line(invoice, quantity=1)]})
    voided = stripe_client.v1.credit_notes.void_credit_note(note.id)
    assert (voided.status, voided.voided_at is not None) == ("void", True)
    after = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (after.amount_remaining, after.pre_payment_credit_notes_amount) == (3000, 0)
    assert _types(stripe_client, 2) == ["credit_note.voided", "invoice.updated"]
    assert "already void" in _refused(lambda: stripe_client.v1.credit_notes.void_credit_note(note.id))["message"]
    # The line's quantity is free again.
    stripe_client.v1.credit_notes.create({"invoice": invoice.id, "lines": [_line(invoice, quantity=3)]})
    outside = _open(stripe_client)
    stripe_client.v1.invoices.pay(outside.id, {"paid_out_of_band": True})
    credited = stripe_client.v1.credit_notes.create({"invoice": outside.id, "amount": 700, "credit_amount": 700})
    stripe_client.v1.credit_notes.void_credit_note(credited.id)
    assert stripe_client.v1.customers.retrieve(str(outside.customer)).balance == 0


@sandbox_choice("a credit note that refunded a payment cannot be voided (the money is gone), nor one that "
                "reduced an invoice's amount due once that invoice is no longer open")
def test_voids_that_cannot_be_undone_are_refused(stripe_client: stripe.StripeClient) -> None:
    invoice = _open(stripe_client, method="charge_automatically", card=True)
    stripe_client.v1.invoices.pay(invoice.id)
    refunded = stripe_client.v1.credit_notes.create({"invoice": invoice.id, "amount": 100, "refund_amount": 100})
    assert "refunded" in _refused(lambda: stripe_client.v1.credit_notes.void_credit_note(refunded.id))["message"]
    opened = _open(stripe_client)
    note = stripe_client.v1.credit_notes.create({"invoice": opened.id, "amount": 1000})
    stripe_client.v1.invoices.pay(opened.id, {"paid_out_of_band": True})
    assert "now paid" in _refused(lambda: stripe_client.v1.credit_notes.void_credit_note(note.id))["message"]


@stripe_rule(DOCS + "billing/invoices/credit-notes", "You can issue a credit note for open and paid invoices")
@pytest.mark.parametrize("status", ["draft", "void", "uncollectible"])
def test_other_invoices_are_refused(stripe_client: stripe.StripeClient, status: str) -> None:
    invoice = make_in_status(stripe_client, status)
    error = _refused(lambda: stripe_client.v1.credit_notes.create({"invoice": invoice.id, "amount": 100}))
    assert error["param"] == "invoice" and status in error["message"]


@sandbox_choice("an invoice line's credit takes the same fraction of that line's discounts and taxes as of its "
                "amount, each rounded half up")
def test_a_line_of_a_taxed_invoice_credits_its_share_of_the_tax(stripe_client: stripe.StripeClient) -> None:
    rate = stripe_client.v1.tax_rates.create(
        {"display_name": "VAT", "percentage": 19.0, "inclusive": False, "country": "DE"})
    customer = make_customer(stripe_client)
    draft = stripe_client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice",
                                              "days_until_due": 30, "default_tax_rates": [rate.id]})
    stripe_client.v1.invoice_items.create({"customer": customer.id, "invoice": draft.id, "quantity": 3,
                                           "pricing": {"price": make_price(stripe_client).id}})
    invoice = stripe_client.v1.invoices.finalize_invoice(draft.id)
    assert invoice.total == 3570
    note = stripe_client.v1.credit_notes.create({"invoice": invoice.id, "lines": [_line(invoice, quantity=1)]})
    (line,) = note.lines.data
    assert (line.amount, [t.amount for t in line.taxes], note.subtotal, note.total) == (1000, [190], 1000, 1190)
    assert stripe_client.v1.invoices.retrieve(invoice.id).amount_remaining == 3570 - 1190
