"""Revisions on plain data: `revise: true` plans a Stripe revision; the reader's chains make the
newest revision the key's invoice and the originals its history."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import converged, desired, ids, invoice, item, live_invoice_for, with_invoice

from reconciler.live.records import LiveCreditNote
from reconciler.live.revisions import revision_chains
from reconciler.plan.actions import CreateRevision, SendInvoice, UpdateInvoice, UpdateInvoiceItem
from reconciler.plan.errors import FrozenInvoiceChanges
from reconciler.plan.notices import customer_notices
from reconciler.plan.planner import make_plan
from reconciler.spec.models import CreditNoteSpec

INV = "jenny-rosen-2026-11"


def _corrected(status: str = "sent", **over: object) -> tuple[object, object]:
    before = desired(invoices={INV: invoice(status=status)})
    after = desired(invoices={INV: invoice(status=status, revise=True, items=[item(quantity=3)], **over)})
    return after, converged(before)


def test_revise_plans_a_revision_brought_to_the_spec_then_finalized_and_sent() -> None:
    d, live = _corrected()
    plan = make_plan(d, live)
    assert ids(plan) == [
        f"CreateRevision:{INV}",
        f"UpdateInvoice:{INV}",
        f"UpdateInvoiceItem:{INV}:gold-special-usd",
        f"FinalizeInvoice:{INV}",
        f"SendInvoice:{INV}",
    ]
    revise, fields, update, _, send = plan.actions
    assert isinstance(revise, CreateRevision) and revise.revises == f"in_{INV}" and revise.number == f"NUM-{INV}"
    assert revise.params == {"from_invoice": {"action": "revision", "invoice": f"in_{INV}"}}
    # The copied item exists only once the revision does: named by its key, its id "" until then.
    assert isinstance(update, UpdateInvoiceItem) and update.stripe_id == "" and update.depends_on == (fields.id,)
    # Every invoice field the spec names is set on the revision, whatever Stripe copied.
    assert isinstance(fields, UpdateInvoice) and fields.stripe_id == "" and fields.depends_on == (revise.id,)
    assert {c.field for c in fields.changes} >= {"collection_method", "days_until_due"}
    assert isinstance(send, SendInvoice) and send.stripe_id == ""
    notices = [(n.effect, n.invoice) for n in customer_notices(plan.actions, d, live, plan.invoice_totals)]
    assert notices[0][0] == f"revised: number NUM-{INV} (in_{INV}) is voided when its revision is finalized"
    assert notices[1][0].startswith("emailed (the revision replacing number") and "a second email" in notices[1][0]


def test_an_open_invoice_revised_stays_open() -> None:
    d, live = _corrected(status="open")
    assert [a.name for a in make_plan(d, live).actions] == ["CreateRevision", "UpdateInvoice", "UpdateInvoiceItem", "FinalizeInvoice"]


@pytest.mark.parametrize("status", ["paid", "void"])
def test_paid_and_void_invoices_are_not_revised_and_the_error_names_credit_notes(status: str) -> None:
    d, live = _corrected(status=status)
    with pytest.raises(FrozenInvoiceChanges) as err:
        make_plan(d, live)
    assert f"a {status} invoice is final and Stripe revises only open or uncollectible ones" in str(err.value)
    assert "credit note" in str(err.value)


def test_a_revision_keeps_the_customer() -> None:
    before = desired(invoices={INV: invoice(status="open")})
    after = desired(invoices={INV: invoice(status="open", revise=True, customer="other")},
                    customers={"jenny-rosen": before.customers["jenny-rosen"], "other": before.customers["jenny-rosen"]})
    with pytest.raises(FrozenInvoiceChanges) as err:
        make_plan(after, converged(before))
    assert "a Stripe revision keeps the customer and currency" in str(err.value)


def test_a_draft_revision_without_revise_is_held_and_with_it_is_finished() -> None:
    d = desired(invoices={INV: invoice(status="sent", items=[item(quantity=3)])})
    original = live_invoice_for(d, INV, status="open", id="in_old")
    live = with_invoice(converged(d), INV, status="draft", from_invoice="in_old", send_marker="done", number=None)
    live = replace(live, revised={INV: (original,)})
    held = make_plan(d, live)
    assert held.actions == () and "a revision of in_old is in progress" in held.conflicts[0].message
    paid = make_plan(d, replace(live, revised={INV: (replace(original, status="paid"),)}))
    assert paid.actions == () and "in_old, is paid now" in paid.conflicts[0].message
    revised = desired(invoices={INV: invoice(status="sent", revise=True, items=[item(quantity=3)])})
    plan = make_plan(revised, live)
    assert [a.name for a in plan.actions] == ["UpdateInvoice", "FinalizeInvoice", "SendInvoice"]
    assert plan.actions[0].field_changes()[0].field == "metadata.reconciler_send"  # the copied marker goes


def test_chains_make_the_newest_revision_the_keys_invoice() -> None:
    d = desired()
    first = live_invoice_for(d, INV, id="in_1", status="void", latest_revision="in_2", created=1)
    second = live_invoice_for(d, INV, id="in_2", status="void", from_invoice="in_1", latest_revision="in_3", created=2)
    draft = live_invoice_for(d, INV, id="in_3", status="draft", from_invoice="in_2", created=3)
    chains = revision_chains([first, second, draft], {})
    assert chains.superseded == {"in_1", "in_2"}
    assert [i.id for i in chains.revised[INV]] == ["in_1", "in_2"]


def test_chains_find_a_revision_without_the_tag() -> None:
    d = desired()
    original = live_invoice_for(d, INV, id="in_1", status="void", latest_revision="in_2")
    untagged = replace(live_invoice_for(d, INV, id="in_2", from_invoice="in_1"), key="")
    chains = revision_chains([original], {"in_2": untagged})
    assert chains.superseded == {"in_1"} and chains.untagged_revisions == {INV: untagged}


def test_an_uncollectible_invoice_revised_is_written_off_again() -> None:
    d, live = _corrected(status="uncollectible")
    assert [a.name for a in make_plan(d, live).actions] == [
        "CreateRevision", "UpdateInvoice", "UpdateInvoiceItem", "FinalizeInvoice", "MarkUncollectible",
    ]


def test_a_revision_waits_while_a_payment_is_processing() -> None:
    d, live = _corrected(status="open")
    plan = make_plan(d, with_invoice(live, INV, payment_processing=True))
    assert plan.actions == ()
    assert any("the spec revises it, nothing done now: a customer's payment of it is processing" in n
               for n in plan.notes)


def test_credit_notes_stay_on_the_revised_original_and_the_plan_says_so() -> None:
    d, live = _corrected(status="open")
    note = LiveCreditNote(id="cn_1", key="cn-1", invoice_id=f"in_{INV}", status="issued", amount=500,
                          currency="usd", pre_payment_amount=500)
    plan = make_plan(d, replace(live, credit_notes={"cn-1": note}))
    assert [a.name for a in plan.actions][0] == "CreateRevision"
    assert any("its credit notes (cn-1) stay on it once voided" in n for n in plan.notes)


def test_a_credit_note_issued_before_the_revision_is_history_not_a_change() -> None:
    d = desired(invoices={INV: invoice(status="open", items=[item(quantity=3)])},
                credit_notes={"cn-1": CreditNoteSpec(invoice=INV, amount=500)})
    original = live_invoice_for(d, INV, id="in_old", status="void", latest_revision=f"in_{INV}")
    live = with_invoice(converged(d), INV, from_invoice="in_old")
    note = LiveCreditNote(id="cn_1", key="cn-1", invoice_id="in_old", status="issued", amount=500,
                          currency="usd", pre_payment_amount=500)
    plan = make_plan(d, replace(live, revised={INV: (original,)}, credit_notes={"cn-1": note}))
    assert plan.actions == ()
