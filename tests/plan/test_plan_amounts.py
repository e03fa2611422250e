"""Planner: each invoice's amounts in the plan, and what they mean for its lifecycle."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import amount_item, converged, customer, desired, ids, invoice

from reconciler.live.records import Live, LiveCustomer
from reconciler.plan.planner import make_plan
from reconciler.plan.render import render
from reconciler.plan.review import plan_for_review

INV = "jenny-rosen-2026-11"


def _with_balance(d: object, balance: int) -> Live:
    live = converged(d)  # type: ignore[arg-type]
    jenny = live.customers["jenny-rosen"]
    credited = LiveCustomer(jenny.id, jenny.key, values=jenny.values, metadata=jenny.metadata,
                            owned_keys=jenny.owned_keys, balance=balance)
    return replace(live, customers={"jenny-rosen": credited}, invoices={})


def test_a_credit_balance_lowers_the_amount_due_the_customer_is_emailed() -> None:
    d = desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=1000)])})
    plan = plan_for_review(d, _with_balance(d, -300), account=None)
    total = plan.total_of(INV)
    assert total is not None and total.amounts is not None
    assert (total.amount, total.amounts.amount_due, total.amounts.ending_balance) == (1000, 700, 0)
    text = render(plan, "text")
    assert "invoice jenny-rosen-2026-11 emailed — Jenny Rosen <jenny.rosen@example.com>: $7.00 USD" in text
    assert ("invoice jenny-rosen-2026-11 amounts: subtotal $10.00 USD; discounts -; tax -; total $10.00 USD; "
            "customer balance -$3.00 USD; amount due $7.00 USD") in text
    assert "| `jenny-rosen-2026-11` | $10.00 USD | - | - | $10.00 USD | -$3.00 USD | $7.00 USD |" in render(
        plan, "markdown")


def test_a_draft_says_the_balance_is_applied_at_finalization() -> None:
    d = desired(invoices={INV: invoice(status="draft", items=[amount_item(amount=1000)])})
    plan = make_plan(d, _with_balance(d, -300))
    total = plan.total_of(INV)
    assert total is not None and total.amounts is not None and total.amounts.amount_due is None
    assert "customer balance applied at finalization, not known now; amount due known at finalization" in render(
        plan, "text")


def test_two_invoices_finalized_for_one_customer_leave_the_balance_unknown() -> None:
    other = "jenny-rosen-2026-12"
    d = desired(invoices={INV: invoice(status="open", items=[amount_item(amount=1000)]),
                          other: invoice(status="open", items=[amount_item(amount=2000)])})
    plan = make_plan(d, _with_balance(d, -300))
    assert [plan.total_of(k).amounts.amount_due for k in (INV, other)] == [None, None]  # type: ignore[union-attr]


def test_a_plain_invoice_shows_no_breakdown() -> None:
    d = desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=1000)])})
    plan = make_plan(d, _with_balance(d, 0))
    assert plan.total_of(INV).amounts is None  # type: ignore[union-attr]
    assert "amounts:" not in render(plan, "text")


def test_below_the_minimum_charge_it_is_only_finalized_and_cannot_be_voided() -> None:
    d = desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=30)])})
    plan = make_plan(d, _with_balance(d, 0))
    assert [i for i in ids(plan) if i.startswith(("FinalizeInvoice", "SendInvoice"))] == [f"FinalizeInvoice:{INV}"]
    assert plan.actions[-1].reason == (
        "finalize the draft (spec status: sent); its amount due, $0.30 USD, is below Stripe's minimum charge of "
        "$0.50 USD, so Stripe marks it paid at once"
    )
    assert "$0.30 USD is below the minimum charge and goes to the customer's balance" in render(plan, "text")
    void = desired(invoices={INV: invoice(status="void", items=[amount_item(amount=30)])})
    held = make_plan(void, _with_balance(void, 0))
    assert held.conflicts[0].message.endswith(
        "below Stripe's minimum charge of $0.50 USD: Stripe marks it paid when it is finalized and carries the "
        "amount to the customer's balance, and a paid invoice cannot be voided: write `status: paid`")


def test_a_credit_balance_that_covers_it_makes_it_paid_at_finalization() -> None:
    d = desired(invoices={INV: invoice(status="uncollectible", items=[amount_item(amount=1000)])})
    plan = make_plan(d, _with_balance(d, -5000))
    assert "the customer's credit balance covers it" in plan.conflicts[0].message


def test_amounts_survive_the_plan_file() -> None:
    d = desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=1000)])},
                customers={"jenny-rosen": customer()})
    plan = make_plan(d, _with_balance(d, -300))
    again = type(plan).from_json(plan.to_json())
    assert again.invoice_totals == plan.invoice_totals


def test_below_the_minimum_charge_with_the_balance_unknown_a_void_is_held_before_anything_is_created() -> None:
    """Review R19: two invoices of one customer leave the balance unknown, yet one below the minimum
    charge is most likely paid at its finalization, and a paid invoice cannot be voided."""
    other = "jenny-rosen-2026-12"
    d = desired(invoices={INV: invoice(status="void", items=[amount_item(amount=30)]),
                          other: invoice(status="uncollectible", items=[amount_item(amount=40)])})
    plan = make_plan(d, _with_balance(d, 0))
    assert not [i for i in ids(plan) if i.endswith((INV, other)) or f":{INV}:" in i or f":{other}:" in i]
    messages = sorted(c.message for c in plan.conflicts if c.object.startswith("invoice:"))
    assert len(messages) == 2
    assert messages[0] == (
        f"invoice {INV}: the spec says void: its total, $0.30 USD, is below Stripe's minimum charge of $0.50 USD "
        "and the customer's balance at its finalization is not known now (this plan finalizes more than one "
        "invoice of customer jenny-rosen): unless a debit on the balance lifts it to the minimum, Stripe marks it "
        "paid when it is finalized and carries the amount to the customer's balance, and a paid invoice cannot "
        "be voided: write `status: paid`")
    assert "a paid invoice cannot be marked uncollectible" in messages[1]


def test_below_the_minimum_charge_with_the_balance_unknown_a_sent_invoice_is_still_sent() -> None:
    other = "jenny-rosen-2026-12"
    d = desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=30)]),
                          other: invoice(status="open", items=[amount_item(amount=4000)])})
    plan = make_plan(d, _with_balance(d, 0))
    assert f"SendInvoice:{INV}" in ids(plan) and not plan.conflicts


def test_a_balance_in_another_currency_is_not_applied() -> None:
    """Stripe: "A CAD invoice doesn't apply a customer credit balance denominated in USD"."""
    d = desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=1000, currency="eur")])})
    live = _with_balance(d, -300)
    jenny = live.customers["jenny-rosen"]
    in_usd = replace(live, customers={"jenny-rosen": LiveCustomer(
        jenny.id, jenny.key, values=jenny.values, metadata=jenny.metadata, owned_keys=jenny.owned_keys,
        balance=-300, balance_currency="usd")})
    total = make_plan(d, in_usd).total_of(INV)
    assert total is not None and total.amounts is None  # nothing beyond the total: no balance applies
    same = replace(live, customers={"jenny-rosen": LiveCustomer(
        jenny.id, jenny.key, values=jenny.values, metadata=jenny.metadata, owned_keys=jenny.owned_keys,
        balance=-300, balance_currency="eur")})
    applied = make_plan(d, same).total_of(INV)
    assert applied is not None and applied.amounts is not None and applied.amounts.amount_due == 700
