"""Planner: tax rates and discounts on invoices and items, on plain data."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import amount_item, converged, desired, invoice

from reconciler.live.records import Live, LiveCoupon, LiveCustomer, LiveTaxRate
from reconciler.plan.actions import AddInvoiceItem, CreateInvoice, Ref, UpdateInvoice
from reconciler.plan.errors import PlanError
from reconciler.plan.planner import make_plan
from reconciler.plan.render import render
from reconciler.plan.review import plan_for_review
from reconciler.spec.models import CouponSpec, InvoiceItemSpec, TaxRateSpec

INV = "jenny-rosen-2026-11"
VAT = TaxRateSpec(display_name="MwSt.", percentage=19, inclusive=False)
TEN = CouponSpec(name="Partner 10%", percent_off=10)


def _money(**over: object) -> dict[str, object]:
    return {"tax_rates": {"de-vat-19": VAT}, "coupons": {"partner-10": TEN}, **over}


def test_a_new_invoice_states_its_discounts_none_is_an_empty_string() -> None:
    plan = make_plan(desired(invoices={INV: invoice(items=[amount_item(amount=1000)])}), Live())
    create = next(a for a in plan.actions if isinstance(a, CreateInvoice))
    assert create.params["discounts"] == "" and "default_tax_rates" not in create.params


def test_rates_and_coupons_are_sent_as_references_after_their_creation() -> None:
    credit = InvoiceItemSpec(description="Goodwill credit", amount=-200, currency="usd", discounts=[])
    line = amount_item(amount=1000, tax_rates=["de-vat-19"], discounts=["partner-10"])
    d = desired(invoices={INV: invoice(items=[line, credit], default_tax_rates=["de-vat-19"],
                                       discounts=["partner-10"])}, **_money())
    plan = make_plan(d, Live())
    create = next(a for a in plan.actions if isinstance(a, CreateInvoice))
    assert create.params["default_tax_rates"] == [Ref("tax_rate", "de-vat-19")]
    assert create.params["discounts"] == [{"coupon": Ref("coupon", "partner-10")}]
    assert {"CreateTaxRate:de-vat-19", "CreateCoupon:partner-10"} <= set(create.depends_on)
    add = next(a for a in plan.actions if isinstance(a, AddInvoiceItem) and a.item_key == "setup-fee")
    assert add.params["tax_rates"] == [Ref("tax_rate", "de-vat-19")]
    assert add.params["discounts"] == [{"coupon": Ref("coupon", "partner-10")}]


def test_the_plan_shows_tax_and_discounts_as_stripe_will_compute_them() -> None:
    d = desired(invoices={INV: invoice(status="sent", items=[amount_item(amount=1000)],
                                       default_tax_rates=["de-vat-19"], discounts=["partner-10"])}, **_money())
    text = render(plan_for_review(d, Live(), account=None), "text")
    assert ("invoice jenny-rosen-2026-11 amounts: subtotal $10.00 USD; discounts partner-10 -$1.00 USD; "
            "tax de-vat-19 $1.71 USD (added); total $10.71 USD; customer balance -; amount due $10.71 USD") in text


def _live_with(d: object, **customer: object) -> Live:
    live = converged(d)  # type: ignore[arg-type]
    jenny = live.customers["jenny-rosen"]
    changed = LiveCustomer(jenny.id, jenny.key, values=jenny.values, metadata=jenny.metadata,
                           owned_keys=jenny.owned_keys, **customer)
    rates = {"de-vat-19": LiveTaxRate("txr_1", "de-vat-19", values={"display_name": "MwSt.", "percentage": 19.0,
                                                                       "inclusive": False}, metadata={})}
    coupons = {"partner-10": LiveCoupon("partner-10-abc", "partner-10", values={"name": "Partner 10%",
                                                                                 "percent_off": 10.0}, metadata={})}
    return replace(live, customers={"jenny-rosen": changed}, tax_rates=rates, coupons=coupons, invoices={})


def test_a_customers_own_discount_is_named_and_not_inherited() -> None:
    d = desired(invoices={INV: invoice(items=[amount_item(amount=1000)])}, **_money())
    plan = make_plan(d, _live_with(d, discount_coupon="LOYAL20"))
    assert any("customer jenny-rosen has its own discount in Stripe (coupon LOYAL20); the invoice states its "
               "discounts (none), so it does not inherit that one" in n for n in plan.notes), plan.notes


def test_a_drafts_discounts_follow_the_spec() -> None:
    d = desired(invoices={INV: invoice(items=[amount_item(amount=1000)], discounts=["partner-10"])}, **_money())
    live = _live_with(d)
    draft = replace(converged(d).invoices[INV], discounts=(), default_tax_rates=("txr_1",))
    plan = make_plan(d, replace(live, invoices={INV: draft}))
    update = next(a for a in plan.actions if isinstance(a, UpdateInvoice))
    assert {c.field: c.new for c in update.changes} == {
        "default_tax_rates": "", "discounts": [{"coupon": Ref("coupon", "partner-10")}]}


def test_a_finalized_invoices_discounts_are_frozen() -> None:
    d = desired(invoices={INV: invoice(status="open", items=[amount_item(amount=1000)], discounts=["partner-10"])},
                **_money())
    live = _live_with(d)
    opened = replace(converged(d).invoices[INV], discounts=(), status="open")
    with pytest.raises(PlanError, match="cannot change discounts"):
        make_plan(d, replace(live, invoices={INV: opened}))


def test_a_finalized_items_rates_and_discounts_are_frozen() -> None:
    line = amount_item(amount=1000, discounts=["partner-10"])
    d = desired(invoices={INV: invoice(status="open", items=[line], default_tax_rates=["de-vat-19"])}, **_money())
    live = _live_with(d)
    issued = converged(d).invoices[INV]
    item = replace(issued.items[0], tax_rates=(), discounts=())
    opened = replace(issued, status="open", default_tax_rates=("txr_1",), discounts=(), items=(item,))
    with pytest.raises(PlanError, match=r"item setup-fee tax_rates \[\] → \[tax_rate:de-vat-19\]; item setup-fee "
                                        r"discounts \[\] → \[coupon:partner-10\]"):
        make_plan(d, replace(live, invoices={INV: opened}))


def test_an_items_own_discount_is_shown_in_the_subtotal_so_the_amounts_line_adds_up() -> None:
    """Review R20: the item's discount is already off the subtotal; counted again among the
    discounts, subtotal - discounts + tax was not the total."""
    line = amount_item(amount=1000, discounts=["partner-10"])
    d = desired(invoices={INV: invoice(status="sent", items=[line], default_tax_rates=["de-vat-19"],
                                       discounts=["partner-10"])}, **_money())
    plan = plan_for_review(d, Live(), account=None)
    # 1000 - 100 (item) = 900 subtotal; - 90 (invoice) = 810; + 19 % = 153.9 -> 154; total 964.
    assert ("invoice jenny-rosen-2026-11 amounts: subtotal $9.00 USD (item discounts partner-10 -$1.00 USD in the "
            "subtotal); discounts partner-10 -$0.90 USD; tax de-vat-19 $1.54 USD (added); total $9.64 USD; "
            "customer balance -; amount due $9.64 USD") in render(plan, "text")
    assert ("| `jenny-rosen-2026-11` | $9.00 USD (item discounts partner-10 -$1.00 USD in the subtotal) | "
            "partner-10 -$0.90 USD | de-vat-19 $1.54 USD (added) | $9.64 USD |") in render(plan, "markdown")
    amounts = plan.to_json()["invoice_totals"][0]["amounts"]
    assert (amounts["subtotal"], amounts["discounts"], amounts["item_discounts"], amounts["total"]) == (
        900, [{"coupon": "partner-10", "amount": 90}], [{"coupon": "partner-10", "amount": 100}], 964)
    assert type(plan).from_json(plan.to_json()).invoice_totals == plan.invoice_totals
