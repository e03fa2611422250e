"""Planner: Stripe Tax (automatic_tax) invoices, on plain data."""

from __future__ import annotations

import pytest
from plan_builders import amount_item, customer, desired, invoice

from reconciler.live.records import Live
from reconciler.plan.actions import CreateInvoice
from reconciler.plan.errors import PlanError
from reconciler.plan.planner import make_plan
from reconciler.plan.render import render
from reconciler.plan.review import plan_for_review
from reconciler.spec.billing import Address
from reconciler.spec.models import AutomaticTax

INV = "jenny-rosen-2026-11"
STRIPE_TAX = AutomaticTax(enabled=True)


def test_stripe_computes_the_tax_the_plan_says_so() -> None:
    d = desired(customers={"jenny-rosen": customer(address=Address(country="DE"))},
                invoices={INV: invoice(status="sent", items=[amount_item(amount=1000)], automatic_tax=STRIPE_TAX)})
    plan = plan_for_review(d, Live(), account=None)
    create = next(a for a in plan.actions if isinstance(a, CreateInvoice))
    assert create.params["automatic_tax"] == {"enabled": True}
    assert ("tax computed by Stripe at finalization; total $10.00 USD before Stripe's tax; customer balance applied "
            "at finalization; amount due known at finalization") in render(plan, "text")


@pytest.mark.parametrize(("address", "why"), [
    (None, "it has no address with a country"),
    (Address(country="US", postal_code="9410"), "a US address needs a 5-digit postal code"),
    (Address(country="CA", city="Toronto"), "a Canadian address needs a province or a postal code"),
])
def test_a_customer_stripe_tax_cannot_place_is_a_plan_error_before_the_finalize(address: Address | None, why: str) -> None:
    d = desired(customers={"jenny-rosen": customer(address=address)},
                invoices={INV: invoice(status="open", items=[amount_item(amount=1000)], automatic_tax=STRIPE_TAX)})
    with pytest.raises(PlanError, match=f"Stripe Tax cannot place customer jenny-rosen: {why}"):
        make_plan(d, Live())


def test_a_draft_needs_no_location_yet() -> None:
    d = desired(invoices={INV: invoice(items=[amount_item(amount=1000)], automatic_tax=STRIPE_TAX)})
    assert make_plan(d, Live()).actions
