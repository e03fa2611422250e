"""The credit notes phase on plain data: issue, wait, refuse, update memo/metadata, void."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from plan_builders import converged, desired, invoice

from reconciler.live.records import Live, LiveCreditNote, LiveCreditNoteLine
from reconciler.ownership import KEYS_KEY
from reconciler.plan.actions import CreateCreditNote, UpdateCreditNote, VoidCreditNote
from reconciler.plan.errors import CreditNoteRefused
from reconciler.plan.planner import make_plan
from reconciler.spec.models import CreditNoteSpec, Desired

KEY = "jenny-rosen-2026-11"


def _setup(status: str = "paid", **note: Any) -> tuple[Desired, Live]:
    """The quickstart's invoice (2 x 10.00) in `status`, its item with a line id, and one credit note spec."""
    if "status_note" in note:  # the credit note's own status (`status` is the invoice's)
        note["status"] = note.pop("status_note")
    spec = CreditNoteSpec(**{"invoice": KEY, "lines": [{"item": "gold-special-usd", "quantity": 1}],
                             "refund_amount": 1000, **note})
    d = desired(invoices={KEY: invoice(status=status)}, credit_notes={"cn-1": spec})
    live = converged(d)
    inv = live.invoices[KEY]
    items = tuple(replace(i, line_id=f"il_{i.key}") for i in inv.items)
    return d, replace(live, invoices={KEY: replace(inv, items=items)})


def _issued(d: Desired, live: Live, **over: Any) -> Live:
    """`live` with cn-1 issued as the spec says (a post-payment refund by default)."""
    note = LiveCreditNote(
        id="cn_1", key="cn-1", invoice_id=f"in_{KEY}", status="issued", amount=1000, currency="usd",
        post_payment_amount=1000, refund_amount=1000, number="NUM-CN-01",
        lines=(LiveCreditNoteLine("invoice_line_item", 1000, "il_gold-special-usd", quantity=1),),
    )
    return replace(live, credit_notes={"cn-1": replace(note, **over)})


def test_a_paid_invoice_gets_a_refund_by_line() -> None:
    d, live = _setup(reason="order_change", memo="One seat less")
    (action,) = make_plan(d, live).actions
    assert isinstance(action, CreateCreditNote)
    assert action.params == {
        "invoice": f"in_{KEY}",
        "lines": [{"type": "invoice_line_item", "invoice_line_item": "il_gold-special-usd", "quantity": 1}],
        "reason": "order_change", "memo": "One seat less", "refund_amount": 1000,
        "metadata": {"reconciler_id": "cn-1"},
    }
    assert action.reason == f"not in Stripe: credits 1000 on invoice {KEY}"


def test_an_open_invoice_is_credited_against_its_amount_remaining() -> None:
    d, live = _setup(status="sent", refund_amount=0)
    (action,) = make_plan(d, live).actions
    assert isinstance(action, CreateCreditNote) and "refund_amount" not in action.params
    d, live = _setup(status="sent", refund_amount=0, lines=None, amount=2500, credit_amount=500)
    assert isinstance(make_plan(d, live).actions[0], CreateCreditNote)


def test_a_split_that_does_not_add_up_is_refused_with_the_numbers() -> None:
    d, live = _setup(status="sent")
    with pytest.raises(CreditNoteRefused) as caught:
        make_plan(d, live)
    assert caught.value.lines() == [
        "credit note cn-1: refund_amount + credit_amount + out_of_band_amount is 1000, but Stripe needs exactly "
        f"0: the credit note's total 1000 less what it takes off invoice {KEY}'s amount remaining (1000 of "
        "2000, the invoice being open)"
    ]


def test_an_invoice_paid_out_of_band_is_not_refunded() -> None:
    d, live = _setup()
    live = replace(live, invoices={KEY: replace(live.invoices[KEY], paid_out_of_band=True)})
    with pytest.raises(CreditNoteRefused, match="paid outside Stripe: there is no payment to refund"):
        make_plan(d, live)
    d, live = _setup(refund_amount=0, out_of_band_amount=1000)
    live = replace(live, invoices={KEY: replace(live.invoices[KEY], paid_out_of_band=True)})
    assert isinstance(make_plan(d, live).actions[0], CreateCreditNote)


@pytest.mark.parametrize("status", ["draft", "sent"])
def test_a_credit_note_waits_while_its_invoice_is_still_moving(status: str) -> None:
    d, live = _setup(status=status)
    if status == "draft":
        live = Live()  # nothing in Stripe yet: the invoice is created by this plan
    else:
        live = replace(live, invoices={KEY: replace(live.invoices[KEY], status="draft", finalized_at=None)})
    plan = make_plan(d, live)
    assert not [a for a in plan.actions if a.kind == "credit_note"]
    assert any(f"credit note cn-1 waits for invoice {KEY}" in note for note in plan.notes)


def test_an_issued_credit_note_as_the_spec_says_plans_nothing() -> None:
    d, live = _setup()
    assert make_plan(d, _issued(d, live)).actions == ()


def test_memo_and_metadata_are_updated_then_the_credit_note_voided() -> None:
    d, live = _setup(memo="Late delivery", metadata={"ticket": "T-1"}, status_note="void")
    live = _issued(d, live, refund_amount=0, post_payment_amount=1000, out_of_band_amount=1000)
    d = d.model_copy(update={"credit_notes": {"cn-1": d.credit_notes["cn-1"].model_copy(
        update={"refund_amount": 0, "out_of_band_amount": 1000})}})
    update, void = make_plan(d, live).actions
    assert isinstance(update, UpdateCreditNote) and isinstance(void, VoidCreditNote)
    assert {c.field for c in update.changes} == {"memo", "metadata.ticket", f"metadata.{KEYS_KEY}"}
    assert void.depends_on == (update.id,) and void.stripe_id == "cn_1"


def test_other_changes_to_an_issued_credit_note_name_the_way_out() -> None:
    d, live = _setup(lines=[{"item": "gold-special-usd", "quantity": 2}], refund_amount=2000)
    with pytest.raises(CreditNoteRefused) as caught:
        make_plan(d, _issued(d, live))
    assert caught.value.lines() == [
        "credit note cn-1 (NUM-CN-01) is issued: refund_amount (1000 -> 2000); lines cannot change (only memo, "
        "metadata and status: void can); to change it, void it (status: void) and issue a new one under a new key"
    ]


def test_a_refund_cannot_be_voided_nor_a_void_credit_note_issued_again() -> None:
    d, live = _setup(status_note="void")
    with pytest.raises(CreditNoteRefused, match="refunded 1000 to the customer's payment"):
        make_plan(d, _issued(d, live))


def test_a_credit_note_someone_voided_is_held_not_an_error_of_the_whole_plan() -> None:
    # Review R23: like an invoice a colleague voided, the rest of the plan goes on (exit 3).
    d, live = _setup()
    plan = make_plan(d, _issued(d, live, status="void"))
    (held,) = plan.conflicts
    assert held.object == "credit_note:cn-1" and "is void in Stripe and cannot be issued again" in held.message
    assert plan.actions == ()


def test_on_an_invoice_with_tax_the_split_is_left_to_stripes_preview() -> None:
    d, live = _setup(status="sent", refund_amount=0, credit_amount=100)
    taxed = replace(live.invoices[KEY], total=2380, amount_remaining=2380)  # 19% on the 20.00 of items
    (action,) = make_plan(d, replace(live, invoices={KEY: taxed})).actions
    assert isinstance(action, CreateCreditNote) and action.params["credit_amount"] == 100
    assert action.reason == f"not in Stripe: credits 1000 before tax and discounts on invoice {KEY}"
    with pytest.raises(CreditNoteRefused, match="Stripe needs exactly 0"):
        make_plan(d, live)  # without tax the planner's own arithmetic holds
