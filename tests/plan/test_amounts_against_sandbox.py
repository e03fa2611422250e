"""The planner's amounts against the sandbox's, on random invoices applied through the real SDK.

Two readings of Stripe's rules written apart (reconciler/plan/amounts.py and
reconciler/sandbox/models/money.py, neither importing the other): where they disagree,
docs/plan.md and docs/sandbox.md decide which one is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sdk_client import sdk_client

from reconciler.plan.amounts import CouponTerms, InvoiceTerms, LineTerms, TaxRateTerms, compute
from reconciler.sandbox import RunningSandbox


@dataclass(frozen=True)
class Rate:
    percentage: Decimal
    inclusive: bool


@dataclass(frozen=True)
class Coupon:
    percent_off: Decimal | None
    amount_off: int | None


@dataclass(frozen=True)
class Line:
    amount: int
    discountable: bool | None  # None: Stripe's default
    rates: tuple[int, ...] | None  # indexes into the invoice's rates; None: the defaults
    coupon: int | None


@dataclass(frozen=True)
class Case:
    currency: str
    balance: int
    rates: tuple[Rate, ...]
    coupons: tuple[Coupon, ...]
    defaults: tuple[int, ...]
    invoice_coupons: tuple[int, ...]
    lines: tuple[Line, ...]


_percent = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)
_rate = st.builds(Rate, st.decimals(min_value=Decimal(0), max_value=Decimal(30), places=3), st.booleans())
_coupon = st.one_of(st.builds(Coupon, _percent, st.none()),
                    st.builds(Coupon, st.none(), st.integers(min_value=1, max_value=20_000)))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    rates = tuple(draw(st.lists(_rate, max_size=3)))
    coupons = tuple(draw(st.lists(_coupon, max_size=3)))
    indexes = st.lists(st.sampled_from(range(len(rates))), unique=True).map(tuple) if rates else st.just(())
    coupon_index = st.sampled_from(range(len(coupons))) if coupons else st.nothing()
    line = st.builds(
        Line,
        st.integers(min_value=-5_000, max_value=20_000),
        st.one_of(st.none(), st.booleans()),
        st.one_of(st.none(), indexes),
        st.one_of(st.none(), coupon_index) if coupons else st.none(),
    )
    return Case(
        currency=draw(st.sampled_from(["usd", "eur", "jpy", "kwd", "gbp"])),
        balance=draw(st.one_of(st.just(0), st.integers(min_value=-5_000, max_value=5_000))),
        rates=rates,
        coupons=coupons,
        defaults=draw(indexes),
        invoice_coupons=tuple(draw(st.lists(coupon_index, unique=True, max_size=2))) if coupons else (),
        lines=tuple(draw(st.lists(line, min_size=1, max_size=5))),
    )


def _in_sandbox(client: stripe.StripeClient, case: Case) -> tuple[stripe.Invoice, list[str], list[str]]:
    """The case applied and finalized; (the invoice, rate ids, coupon ids)."""
    customer = client.v1.customers.create({"name": "Property"})
    if case.balance:
        client.v1.customers.balance_transactions.create(customer.id, {"amount": case.balance,
                                                                      "currency": case.currency})
    rate_ids = [client.v1.tax_rates.create({"display_name": "T", "percentage": float(r.percentage),
                                            "inclusive": r.inclusive}).id for r in case.rates]
    coupon_ids = []
    for c in case.coupons:
        terms: dict[str, Any] = ({"percent_off": float(c.percent_off)} if c.percent_off is not None
                                 else {"amount_off": c.amount_off, "currency": case.currency})
        coupon_ids.append(client.v1.coupons.create({"duration": "once", **terms}).id)
    invoice = client.v1.invoices.create({
        "customer": customer.id, "currency": case.currency, "collection_method": "send_invoice",
        "days_until_due": 30, "default_tax_rates": [rate_ids[i] for i in case.defaults],
        "discounts": [{"coupon": coupon_ids[i]} for i in case.invoice_coupons] or "",
    })
    for line in case.lines:
        params: dict[str, Any] = {"invoice": invoice.id, "amount": line.amount, "currency": case.currency}
        if line.discountable is not None:
            params["discountable"] = line.discountable
        if line.rates:
            params["tax_rates"] = [rate_ids[i] for i in line.rates]
        if line.coupon is not None:
            params["discounts"] = [{"coupon": coupon_ids[line.coupon]}]
        client.v1.invoice_items.create(params)
    return client.v1.invoices.finalize_invoice(invoice.id), rate_ids, coupon_ids


def _planned(case: Case, rate_ids: list[str], coupon_ids: list[str]) -> Any:
    rates = [TaxRateTerms(rate_ids[i], Fraction(r.percentage), r.inclusive) for i, r in enumerate(case.rates)]
    coupons = [CouponTerms(coupon_ids[i], Fraction(c.percent_off) if c.percent_off is not None else None,
                           c.amount_off) for i, c in enumerate(case.coupons)]
    lines = tuple(
        LineTerms(
            amount=line.amount,
            discountable=line.discountable if line.discountable is not None else line.amount >= 0,
            coupons=(coupons[line.coupon],) if line.coupon is not None else (),
            # An empty list sets no rates of the item's own: the invoice's defaults apply.
            tax_rates=tuple(rates[i] for i in line.rates) if line.rates else None,
        )
        for line in case.lines
    )
    return compute(InvoiceTerms(case.currency, lines, tuple(coupons[i] for i in case.invoice_coupons),
                                tuple(rates[i] for i in case.defaults), case.balance))


def _coupons_of_discounts(client: stripe.StripeClient, invoice_id: str) -> dict[str, str]:
    """Discount id -> coupon id, for the invoice's discounts and its items'."""
    found = list(client.v1.invoices.retrieve(invoice_id, {"expand": ["discounts"]}).discounts)
    items = client.v1.invoice_items.list({"invoice": invoice_id, "limit": 100, "expand": ["data.discounts"]})
    for item in items.data:
        found += item.discounts
    return {d.id: str(d.source.coupon) for d in found if not isinstance(d, str)}


def _compare(client: stripe.StripeClient, case: Case) -> None:
    invoice, rate_ids, coupon_ids = _in_sandbox(client, case)
    plan = _planned(case, rate_ids, coupon_ids)
    coupon_of = _coupons_of_discounts(client, invoice.id)
    sandbox_discounts: dict[str, int] = {}
    for d in invoice.total_discount_amounts or []:
        key = coupon_of[str(d.discount)]
        sandbox_discounts[key] = sandbox_discounts.get(key, 0) + d.amount
    planned_discounts: dict[str, int] = {}
    for k, a in plan.item_discounts + plan.discounts:
        planned_discounts[k] = planned_discounts.get(k, 0) + a
    assert {k: a for k, a in sandbox_discounts.items() if a} == {k: a for k, a in planned_discounts.items() if a}
    sandbox_taxes = {t.tax_rate_details.tax_rate: (t.amount, t.taxable_amount) for t in invoice.total_taxes or []
                     if t.tax_rate_details is not None}
    assert sandbox_taxes == {t.rate: (t.amount, t.taxable) for t in plan.taxes}
    assert (invoice.subtotal, invoice.total) == (plan.subtotal, plan.total)
    assert (invoice.starting_balance, invoice.ending_balance, invoice.amount_due) == (
        plan.starting_balance, plan.ending_balance, plan.amount_due)
    assert invoice.status == ("paid" if plan.amount_due == 0 else "open")


@pytest.fixture(scope="module")
def client(sandbox_session: RunningSandbox) -> stripe.StripeClient:
    sandbox_session.reset()
    return sdk_client(sandbox_session.url)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_planned_amounts_equal_the_sandbox(client: stripe.StripeClient, case: Case) -> None:
    _compare(client, case)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_planned_amounts_equal_the_sandbox_many(client: stripe.StripeClient, case: Case) -> None:
    _compare(client, case)
