"""Each planned invoice's amounts (reconciler/plan/amounts.py) and what they mean for its lifecycle."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from reconciler.plan.amounts import (
    MINIMUM_CHARGE,
    Amounts,
    CouponTerms,
    InvoiceTerms,
    LineTerms,
    TaxRateTerms,
    compute,
)
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.items import item_total
from reconciler.plan.planner.lifecycle import ZERO_TOTAL, PaidAtFinalization
from reconciler.plan.render.money import format_money
from reconciler.spec.models import InvoiceSpec


def finalizing_customers(ctx: Context) -> Counter[str]:
    """How many invoices of each customer this plan may finalize: with more than one, the
    order of finalization (which decides who gets the balance) is not the plan's."""
    count: Counter[str] = Counter()
    for key, spec in ctx.desired.invoices.items():
        cur = ctx.live.invoices.get(key)
        if spec.status != "draft" and (cur is None or cur.status == "draft"):
            count[spec.customer] += 1
    return count


def invoice_amounts(
    ctx: Context, spec: InvoiceSpec, currency: str, *, finalizing: Counter[str], revision: bool = False
) -> Amounts:
    """The figures Stripe will compute for a draft the specs describe. The customer's balance
    is known only when this plan finalizes the invoice and no other of the customer's (nor is
    it a revision, which also gets back what its original took)."""
    balance = current_balance(ctx, spec, currency)
    known = spec.status != "draft" and finalizing[spec.customer] == 1 and not revision
    lines = []
    for item in spec.items:
        amount = item_total(ctx, item)
        # "Defaults to false for prorations or negative invoice items" (docs.stripe.com/api/invoiceitems/create).
        lines.append(LineTerms(amount, discountable=amount >= 0, coupons=_coupons(ctx, item.discounts),
                               tax_rates=_rates(ctx, item.tax_rates) if item.tax_rates else None))
    return compute(InvoiceTerms(currency, tuple(lines), coupons=_coupons(ctx, spec.discounts),
                                default_tax_rates=_rates(ctx, spec.default_tax_rates),
                                balance=balance if known else None,
                                stripe_tax=bool(spec.automatic_tax and spec.automatic_tax.enabled)))


def _rates(ctx: Context, keys: list[str]) -> tuple[TaxRateTerms, ...]:
    found = [(k, ctx.desired.tax_rates.get(k)) for k in keys]
    return tuple(TaxRateTerms(k, Fraction(str(s.percentage)), s.inclusive) for k, s in found if s is not None)


def _coupons(ctx: Context, keys: list[str]) -> tuple[CouponTerms, ...]:
    found = [(k, ctx.desired.coupons.get(k)) for k in keys]
    return tuple(
        CouponTerms(k, Fraction(str(s.percent_off)) if s.percent_off is not None else None, s.amount_off)
        for k, s in found if s is not None
    )


def note_own_discount(ctx: Context, key: str, spec: InvoiceSpec) -> None:
    """Name a customer's own discount: the tool's invoice states its discounts, so it does not
    inherit that one, as an invoice created without them would."""
    customer = ctx.live.customers.get(spec.customer)
    coupon = customer.discount_coupon if customer is not None else None
    if not coupon:
        return
    named = next((k for k, c in ctx.live.coupons.items() if c.id == coupon), None)
    which = f"coupon {named} ({coupon})" if named else f"coupon {coupon}"
    ctx.note(f"invoice {key}: customer {spec.customer} has its own discount in Stripe ({which}); the invoice "
             f"states its discounts ({', '.join(spec.discounts) or 'none'}), so it does not inherit that one")


def current_balance(ctx: Context, spec: InvoiceSpec, currency: str) -> int:
    """The customer's balance an invoice in `currency` would use: none in another currency."""
    customer = ctx.live.customers.get(spec.customer)
    if customer is None or customer.balance_currency not in (None, currency):
        return 0
    return customer.balance


def worth_showing(ctx: Context, spec: InvoiceSpec, amounts: Amounts, currency: str) -> bool:
    """Whether the plan spells the figures out: anything beyond "the items add up to the total,
    and that is what is due" (so plans of plain invoices read as they did)."""
    return bool(
        amounts.discounts
        or amounts.item_discounts
        or amounts.taxes
        or amounts.stripe_tax
        or amounts.carried_to_balance
        or amounts.total < 0
        or current_balance(ctx, spec, currency) != 0
    )


def paid_at_finalization(amounts: Amounts, currency: str) -> PaidAtFinalization | None:
    """Why nothing will be collected once it is finalized, or None."""
    if amounts.total == 0:
        return ZERO_TOTAL
    if amounts.total < 0:
        return PaidAtFinalization(
            "its total is negative",
            "its total is negative: Stripe marks it paid when it is finalized and credits the customer's balance")
    if amounts.carried_to_balance:
        short = (f"its amount due, {format_money(amounts.carried_to_balance, currency)}, is below Stripe's minimum "
                 f"charge of {format_money(MINIMUM_CHARGE[currency], currency)}")
        return PaidAtFinalization(short, f"{short}: Stripe marks it paid when it is finalized and carries the "
                                         "amount to the customer's balance")
    if amounts.amount_due == 0:
        short = "the customer's credit balance covers it"
        return PaidAtFinalization(short, f"{short}, and Stripe marks it paid when it is finalized")
    return None


def likely_paid_at_finalization(
    spec: InvoiceSpec, amounts: Amounts, currency: str, finalizing: Counter[str]
) -> PaidAtFinalization | None:
    """For a void or uncollectible wish only: a total below the minimum charge where the balance
    it meets is not known (review R19). Only a debit on the balance could lift it to the minimum;
    otherwise Stripe marks it paid at finalization and the void fails with the amount already
    owed on the balance, so it is held before anything is created."""
    minimum = MINIMUM_CHARGE.get(currency)
    if (spec.status not in ("void", "uncollectible") or amounts.amount_due is not None or amounts.stripe_tax
            or minimum is None or not 0 < amounts.total < minimum):
        return None
    why = "more than one invoice of" if finalizing[spec.customer] > 1 else "a revision, which gets back what its " \
        "original took from the balance of"
    short = (f"its total, {format_money(amounts.total, currency)}, is below Stripe's minimum charge of "
             f"{format_money(minimum, currency)} and the customer's balance at its finalization is not known now "
             f"(this plan finalizes {why} customer {spec.customer})")
    return PaidAtFinalization(short, f"{short}: unless a debit on the balance lifts it to the minimum, Stripe "
                                     "marks it paid when it is finalized and carries the amount to the customer's "
                                     "balance")
