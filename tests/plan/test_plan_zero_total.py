"""Planner: zero-total invoices, which Stripe marks paid when they are finalized."""

from __future__ import annotations

import pytest
from plan_builders import amount_item, converged, desired, ids, invoice, with_invoice

from reconciler.live.records import Live
from reconciler.plan.planner import make_plan

INV = "jenny-rosen-2026-11"
FREE = amount_item(description="Free trial", amount=0)


@pytest.mark.parametrize("status", ["open", "sent", "paid"])
def test_new_zero_invoice_is_only_finalized(status: str) -> None:
    d = desired(invoices={INV: invoice(status=status, items=[FREE])})
    plan = make_plan(d, Live())
    assert [i for i in ids(plan) if i.endswith(INV) or INV + ":" in i] == [
        f"CreateInvoice:{INV}",
        f"AddInvoiceItem:{INV}:free-trial",
        f"FinalizeInvoice:{INV}",
    ]
    assert plan.actions[-1].reason == (
        f"finalize the draft (spec status: {status}); its total is 0, so Stripe marks it paid at once"
    )


@pytest.mark.parametrize("status", ["open", "sent", "paid"])
def test_live_zero_draft_is_only_finalized(status: str) -> None:
    d = desired(invoices={INV: invoice(status=status, items=[FREE])})
    live = with_invoice(converged(d), INV, status="draft", send_marker=None, number=None)
    assert ids(make_plan(d, live)) == [f"FinalizeInvoice:{INV}"]


@pytest.mark.parametrize("status", ["open", "sent", "paid"])
def test_paid_zero_invoice_has_converged(status: str) -> None:
    d = desired(invoices={INV: invoice(status=status, items=[FREE])})
    # what Stripe holds after the finalize: paid, never sent (no send marker)
    live = with_invoice(converged(d), INV, status="paid", send_marker=None, number="A-1")
    assert make_plan(d, live).actions == ()


@pytest.mark.parametrize(
    ("status", "why"),
    [("void", "voided"), ("uncollectible", "marked uncollectible")],
)
def test_zero_invoice_cannot_be_voided_or_written_off(status: str, why: str) -> None:
    d = desired(invoices={INV: invoice(status=status, items=[FREE])})
    expected = [
        f"invoice {INV}: the spec says {status}: its total is 0 and Stripe marks a zero-total invoice "
        f"paid when it is finalized, and a paid invoice cannot be {why}: write `status: paid`"
    ]
    for live in (Live(), with_invoice(converged(d), INV, status="draft", number=None)):
        held = make_plan(d, live)  # held: not even created, nothing finalized
        assert [a for a in held.actions if a.kind in ("invoice", "item")] == []
        assert [c.message for c in held.conflicts] == expected


def test_total_is_the_desired_one_not_the_live_one() -> None:
    """Items are corrected before the finalize, so the spec's total decides."""
    free = desired(invoices={INV: invoice(status="draft", items=[amount_item(amount=0)])})
    paid_for = desired(invoices={INV: invoice(status="draft", items=[amount_item()])})
    # live total 0, spec total 5000: finalized and voided as usual
    plan = make_plan(desired(invoices={INV: invoice(status="void", items=[amount_item()])}), converged(free))
    assert ids(plan) == [f"UpdateInvoiceItem:{INV}:setup-fee", f"FinalizeInvoice:{INV}", f"VoidInvoice:{INV}"]
    # live total 5000, spec total 0: only finalized
    plan = make_plan(desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=0)])}), converged(paid_for))
    assert ids(plan) == [f"UpdateInvoiceItem:{INV}:setup-fee", f"FinalizeInvoice:{INV}"]
