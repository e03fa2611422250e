"""Invoice revisions (`from_invoice`): what is copied, the links, the original voided at the
revision's finalization, and which invoices can be revised."""

from __future__ import annotations

import pytest
import stripe

from reconciler.sandbox import RunningSandbox
from tests.sandbox.conformance.rules import INVOICE_EDITS, sandbox_choice, stripe_rule
from tests.sandbox.helpers import error_of, make_in_status

REVISION = "revision"
DAY = 86_400


def _revise(client: stripe.StripeClient, invoice_id: str) -> stripe.Invoice:
    return client.v1.invoices.create({"from_invoice": {"action": REVISION, "invoice": invoice_id}})


@stripe_rule(INVOICE_EDITS, "This request creates a new draft invoice that's linked back to the original as a revision")
def test_a_revision_is_a_draft_linked_to_its_original(stripe_client: stripe.StripeClient) -> None:
    original = make_in_status(stripe_client, "open", items=2, amount=700)
    revision = _revise(stripe_client, original.id)
    assert (revision.status, revision.from_invoice.action, revision.from_invoice.invoice) == (
        "draft", "revision", original.id,
    )
    assert (revision.customer, revision.currency, revision.collection_method) == (
        original.customer, original.currency, original.collection_method,
    )
    # The original is untouched until the revision is finalized ("most recent non-draft revision").
    assert stripe_client.v1.invoices.retrieve(original.id).latest_revision is None


@stripe_rule(INVOICE_EDITS, "It also duplicates all of the invoice line items associated with the invoice")
def test_a_revision_duplicates_the_lines(stripe_client: stripe.StripeClient) -> None:
    original = make_in_status(stripe_client, "open", items=2, amount=700)
    revision = _revise(stripe_client, original.id)
    copied = stripe_client.v1.invoice_items.list({"invoice": revision.id}).data
    kept = stripe_client.v1.invoice_items.list({"invoice": original.id}).data
    assert sorted(i.amount for i in copied) == [700, 700] and revision.total == 1400
    assert not {i.id for i in copied} & {i.id for i in kept}
    # The copies are the draft's own: editable, while the original's stay frozen.
    stripe_client.v1.invoice_items.update(copied[0].id, {"amount": 900})
    assert stripe_client.v1.invoices.retrieve(revision.id).total == 1600
    assert stripe_client.v1.invoices.retrieve(original.id).total == 1400


@stripe_rule(INVOICE_EDITS, "When you click Update invoice, Stripe finalizes the new invoice and voids the old one")
def test_finalizing_the_revision_voids_the_original(stripe_client: stripe.StripeClient) -> None:
    original = make_in_status(stripe_client, "open")
    revision = _revise(stripe_client, original.id)
    finalized = stripe_client.v1.invoices.finalize_invoice(revision.id)
    after = stripe_client.v1.invoices.retrieve(original.id)
    assert (finalized.status, after.status, after.latest_revision) == ("open", "void", revision.id)
    newest = [(e.type, e.data.object["id"]) for e in stripe_client.v1.events.list({"limit": 2}).data]
    assert newest == [("invoice.voided", original.id), ("invoice.finalized", revision.id)]


@pytest.mark.parametrize("status", ["open", "uncollectible"])
@stripe_rule(INVOICE_EDITS, "Stripe lets you revise a finalized invoice in open or uncollectible status")
def test_open_and_uncollectible_invoices_can_be_revised(stripe_client: stripe.StripeClient, status: str) -> None:
    original = make_in_status(stripe_client, status)
    assert _revise(stripe_client, original.id).from_invoice.invoice == original.id


@pytest.mark.parametrize("status", ["draft", "paid", "void"])
@stripe_rule(INVOICE_EDITS, "You can't, however, revise an invoice in void or paid status")
def test_paid_void_and_draft_invoices_cannot_be_revised(stripe_client: stripe.StripeClient, status: str) -> None:
    original = make_in_status(stripe_client, status)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _revise(stripe_client, original.id)
    assert error_of(caught.value)["param"] == "from_invoice[invoice]"
    assert stripe_client.v1.invoices.list({"customer": original.customer}).data == [
        stripe_client.v1.invoices.retrieve(original.id)
    ]


@sandbox_choice("a revision copies the original's metadata and its items' metadata")
def test_a_revision_copies_metadata(stripe_client: stripe.StripeClient) -> None:
    original = make_in_status(stripe_client, "draft")
    stripe_client.v1.invoices.update(original.id, {"metadata": {"order": "A-7", "team": "ops"}})
    item = stripe_client.v1.invoice_items.list({"invoice": original.id}).data[0]
    stripe_client.v1.invoice_items.update(item.id, {"metadata": {"line": "seats"}})
    stripe_client.v1.invoices.finalize_invoice(original.id)
    revision = stripe_client.v1.invoices.create(
        {"from_invoice": {"action": REVISION, "invoice": original.id}, "metadata": {"team": "", "fix": "1"}}
    )
    assert revision.metadata.to_dict() == {"order": "A-7", "fix": "1"}
    (copied,) = stripe_client.v1.invoice_items.list({"invoice": revision.id}).data
    assert copied.metadata.to_dict() == {"line": "seats"}


@sandbox_choice("a revision is numbered at finalization as the first invoice's number with -1, -2, … for each revision of the chain")
def test_revisions_are_numbered_after_the_first_invoice(stripe_client: stripe.StripeClient) -> None:
    original = make_in_status(stripe_client, "open")
    first = stripe_client.v1.invoices.finalize_invoice(_revise(stripe_client, original.id).id)
    second = stripe_client.v1.invoices.finalize_invoice(_revise(stripe_client, first.id).id)
    assert (first.number, second.number) == (f"{original.number}-1", f"{original.number}-2")
    assert stripe_client.v1.invoices.retrieve(first.id).latest_revision == second.id


@sandbox_choice("a revision whose original was paid or voided meanwhile cannot be finalized")
def test_a_revision_of_an_invoice_paid_meanwhile_is_not_finalized(stripe_client: stripe.StripeClient) -> None:
    original = make_in_status(stripe_client, "open")
    revision = _revise(stripe_client, original.id)
    stripe_client.v1.invoices.pay(original.id, {"paid_out_of_band": True})
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoices.finalize_invoice(revision.id)
    assert stripe_client.v1.invoices.retrieve(revision.id).status == "draft"
    assert stripe_client.v1.invoices.retrieve(original.id).status == "paid"


@sandbox_choice("a revision keeps the original's customer and currency")
def test_a_revision_keeps_the_customer(stripe_client: stripe.StripeClient) -> None:
    original = make_in_status(stripe_client, "open")
    other = stripe_client.v1.customers.create({"name": "Other"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.create(
            {"from_invoice": {"action": REVISION, "invoice": original.id}, "customer": other.id}
        )
    assert error_of(caught.value)["param"] == "customer"


@sandbox_choice("a revision keeps its original's due date, even once it is past (a date the create itself would refuse)")
def test_a_revision_keeps_a_past_due_date(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create({"name": "Jenny Rosen"})
    due = int(stripe_client.v1.customers.retrieve(customer.id).created) + 2 * DAY
    draft = stripe_client.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "due_date": due}
    )
    stripe_client.v1.invoice_items.create({"invoice": draft.id, "amount": 500, "currency": "usd"})
    original = stripe_client.v1.invoices.finalize_invoice(draft.id)
    sandbox.advance_clock(5 * DAY)
    revision = _revise(stripe_client, original.id)
    assert revision.due_date == original.due_date == due


@sandbox_choice("which fields a revision copies")
def test_a_revision_copies_the_invoice_level_rates_discounts_tax_ids_and_a_set_date_of_issue(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    rate = stripe_client.v1.tax_rates.create({"display_name": "VAT", "percentage": 19, "inclusive": False})
    coupon = stripe_client.v1.coupons.create({"percent_off": 10})
    ours = sandbox.seed_account_tax_id("eu_vat", "DE987654321")
    draft = make_in_status(stripe_client, "draft", amount=1000)
    issued = draft.created - 3 * DAY
    stripe_client.v1.invoices.update(draft.id, {
        "default_tax_rates": [rate.id], "discounts": [{"coupon": coupon.id}], "account_tax_ids": [ours],
        "effective_at": issued,
    })
    original = stripe_client.v1.invoices.finalize_invoice(draft.id)
    revision = _revise(stripe_client, original.id)
    assert [r.id for r in revision.default_tax_rates] == [rate.id]
    assert revision.discounts == original.discounts and revision.account_tax_ids == [ours]
    assert (revision.effective_at, revision.total) == (issued, original.total) and original.total == 1071
    # A date of issue that is Stripe's own (the finalization) is the revision's own finalization.
    plain = make_in_status(stripe_client, "open")
    assert _revise(stripe_client, plain.id).effective_at is None
