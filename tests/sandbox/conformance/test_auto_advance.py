"""Stripe's timer: auto-advancing drafts are finalized when the sandbox's clock passes their time."""

from __future__ import annotations

import pytest
import stripe

from reconciler.sandbox import RunningSandbox
from tests.sandbox.conformance.rules import (
    AUTO_ADVANCE,
    CREATE_INVOICE,
    INVOICE_OBJECT,
    SCHEDULED,
    sandbox_choice,
    stripe_rule,
)
from tests.sandbox.helpers import error_of, make_customer

HOUR = 3600


def _draft(client: stripe.StripeClient, method: str = "send_invoice", **params: object) -> stripe.Invoice:
    customer = make_customer(client)
    terms = {"days_until_due": 30} if method == "send_invoice" else {}
    invoice = client.v1.invoices.create({"customer": customer.id, "collection_method": method, **terms, **params})
    client.v1.invoice_items.create({"invoice": invoice.id, "amount": 1000, "currency": "usd"})
    return client.v1.invoices.retrieve(invoice.id)


@stripe_rule(AUTO_ADVANCE, "When you turn on automatic collection, Stripe does everything to drive the invoice "
             "towards payment—including automatically finalizing draft invoices after one hour.")
def test_an_auto_advancing_draft_is_finalized_after_an_hour(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    draft = _draft(stripe_client, auto_advance=True)
    assert draft.automatically_finalizes_at == draft.created + HOUR
    sandbox.advance_clock(HOUR - 60)  # the session sandbox's clock also runs in real time
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"
    sandbox.advance_clock(60)
    finalized = stripe_client.v1.invoices.retrieve(draft.id)
    assert (finalized.status, finalized.automatically_finalizes_at) == ("open", None)
    events = stripe_client.v1.events.list({"type": "invoice.*", "limit": 2}).data
    # Finalized and emailed by Stripe itself: no request made these events.
    assert [(e.type, e.request.id) for e in events] == [("invoice.sent", None), ("invoice.finalized", None)]


@stripe_rule(CREATE_INVOICE, "Controls whether Stripe performs automatic collection of the invoice. If `false`, "
             "the invoice's state doesn't automatically advance without an explicit action. Defaults to false.")
def test_a_draft_without_auto_advance_is_never_touched(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    draft = _draft(stripe_client)
    assert (draft.auto_advance, draft.automatically_finalizes_at) == (False, None)
    sandbox.advance_clock(30 * 86_400)
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"


@stripe_rule(SCHEDULED, "Turning off automatic advancement disables the invoice from being automatically charged "
             "or sent.")
def test_turning_auto_advance_off_cancels_the_timer(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    draft = _draft(stripe_client, auto_advance=True)
    off = stripe_client.v1.invoices.update(draft.id, {"auto_advance": False})
    assert off.automatically_finalizes_at is None
    sandbox.advance_clock(2 * HOUR)
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"
    on = stripe_client.v1.invoices.update(draft.id, {"auto_advance": True})
    assert on.automatically_finalizes_at is not None and on.automatically_finalizes_at > draft.created + HOUR
    sandbox.advance_clock(HOUR)
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "open"


@stripe_rule(SCHEDULED, "You can automatically finalize an invoice up to 5 years in the future.")
def test_a_chosen_finalization_time(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    customer = make_customer(stripe_client)
    created = stripe_client.v1.invoices.create({"customer": customer.id})
    at = created.created + 3 * 86_400
    draft = _draft(stripe_client, "charge_automatically", auto_advance=True, automatically_finalizes_at=at)
    assert draft.automatically_finalizes_at == at
    with pytest.raises(stripe.InvalidRequestError) as far:
        stripe_client.v1.invoices.update(draft.id, {"automatically_finalizes_at": at + 6 * 366 * 86_400})
    assert error_of(far.value)["param"] == "automatically_finalizes_at"
    sandbox.advance_clock(2 * 86_400)
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"
    sandbox.advance_clock(86_400)
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "open"


@stripe_rule(INVOICE_OBJECT, "If the invoice is not in the draft state, this field will always be `null`")
def test_manual_finalization_clears_the_timer(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    draft = _draft(stripe_client, auto_advance=True)
    opened = stripe_client.v1.invoices.finalize_invoice(draft.id)
    assert opened.automatically_finalizes_at is None
    sandbox.advance_clock(2 * HOUR)
    assert len(stripe_client.v1.events.list({"type": "invoice.finalized"}).data) == 1


@stripe_rule(AUTO_ADVANCE, "Invoices that are `paid`, `void`, or `uncollectible` always have automatic advancement "
             "turned off.")
def test_settled_invoices_never_auto_advance(stripe_client: stripe.StripeClient) -> None:
    invoices = stripe_client.v1.invoices
    for end in ("pay", "void_invoice", "mark_uncollectible"):
        draft = _draft(stripe_client)
        invoices.finalize_invoice(draft.id, {"auto_advance": True})
        args = ({"paid_out_of_band": True},) if end == "pay" else ()
        assert getattr(invoices, end)(draft.id, *args).auto_advance is False


@sandbox_choice("the timer finalizes a charge_automatically draft whose customer has no payment method and "
                "leaves it open, attempting nothing (Stripe would try, and fail, to charge)")
def test_the_timer_charges_nothing_without_a_card(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    draft = _draft(stripe_client, "charge_automatically", auto_advance=True)
    sandbox.advance_clock(HOUR)
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "open"
    assert stripe_client.v1.events.list({"type": "invoice.payment_*"}).data == []


@stripe_rule(INVOICE_OBJECT, "If your invoice is configured to be billed through automatic charges, Stripe "
             "automatically finalizes your invoice and attempts payment.")
@pytest.mark.parametrize(("card", "status"), [("pm_card_visa", "paid"), ("pm_card_chargeDeclined", "open")])
def test_the_timer_charges_the_default_card(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox, card: str, status: str
) -> None:
    draft = _draft(stripe_client, "charge_automatically", auto_advance=True)
    method = stripe_client.v1.payment_methods.attach(card, {"customer": str(draft.customer)})
    stripe_client.v1.customers.update(str(draft.customer), {"invoice_settings": {"default_payment_method": method.id}})
    sandbox.advance_clock(HOUR)
    after = stripe_client.v1.invoices.retrieve(draft.id)
    assert (after.status, after.attempted) == (status, True)


@stripe_rule(AUTO_ADVANCE, "An invoice must be in a `draft` or `open` state to update automatic advancement.")
def test_auto_advance_changes_only_on_drafts_and_open_invoices(stripe_client: stripe.StripeClient) -> None:
    invoices = stripe_client.v1.invoices
    draft = _draft(stripe_client)
    invoices.finalize_invoice(draft.id)
    assert invoices.update(draft.id, {"auto_advance": True}).auto_advance is True
    invoices.mark_uncollectible(draft.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        invoices.update(draft.id, {"auto_advance": True})
    assert error_of(caught.value)["param"] == "auto_advance"
    assert invoices.retrieve(draft.id).auto_advance is False
