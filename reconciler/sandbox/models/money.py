"""An invoice's amounts from its lines, discounts and tax rates: the sandbox's reading of Stripe's rules.

Pure: plain dicts in, plain dicts out, no store. The planner has its own reading
(reconciler/plan/amounts.py); neither imports the other, so a property test compares
two independent readings of docs/sandbox.md "Invoice amounts".

Order (docs/sandbox.md cites each rule): each line's own discounts, then the invoice's
discounts, both only on discountable lines; then tax, per line and per rate, on what the
line still amounts to. Every amount is rounded on its own line, half away from zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Discount:
    """A discount as the arithmetic needs it: its id and its coupon's terms."""

    id: str
    percent_off: Decimal | None
    amount_off: int | None


@dataclass(frozen=True)
class Rate:
    id: str
    percentage: Decimal
    inclusive: bool


@dataclass(frozen=True)
class Line:
    key: str
    amount: int
    discountable: bool
    discounts: tuple[Discount, ...] = ()
    rates: tuple[Rate, ...] = ()


@dataclass
class _Work:
    line: Line
    remaining: int
    discount_amounts: list[tuple[str, int]] = field(default_factory=list)


def rounded(value: Decimal) -> int:
    """To a whole minor unit, halves away from zero (Decimal's ROUND_HALF_UP)."""
    return int(value.to_integral_value(ROUND_HALF_UP))


def _discount_on(work: _Work, discount: Discount) -> int:
    """One line's own discount: a share of what remains, or the fixed amount, never more than remains."""
    if work.remaining <= 0:
        return 0
    if discount.percent_off is not None:
        return min(work.remaining, rounded(work.remaining * discount.percent_off / 100))
    return min(work.remaining, discount.amount_off or 0)


def _spread(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (all > 0), whole units, largest remainders first
    (ties to the earlier line), so the parts add up to `total` exactly."""
    whole = sum(weights)
    exact = [Decimal(total) * w / whole for w in weights]
    parts = [int(x) for x in exact]  # both non-negative: int() floors
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _invoice_discount(works: list[_Work], discount: Discount) -> None:
    """An invoice discount on every discountable line that still amounts to something."""
    eligible = [w for w in works if w.line.discountable and w.remaining > 0]
    if not eligible:
        return
    if discount.percent_off is not None:
        amounts = [min(w.remaining, rounded(w.remaining * discount.percent_off / 100)) for w in eligible]
    else:
        base = sum(w.remaining for w in eligible)
        amounts = _spread(min(discount.amount_off or 0, base), [w.remaining for w in eligible])
    for work, amount in zip(eligible, amounts, strict=True):
        work.remaining -= amount
        work.discount_amounts.append((discount.id, amount))


def _taxes(net: int, rates: tuple[Rate, ...]) -> list[Obj]:
    """A line's taxes on `net` (what it amounts to after discounts): inclusive rates are
    taken out of it, exclusive ones are added on the amount without inclusive tax."""
    inclusive = [r for r in rates if r.inclusive]
    base = net
    out: list[Obj] = []
    if inclusive:
        share = sum(r.percentage for r in inclusive)
        base = rounded(Decimal(net) * 100 / (100 + share))
        parts = _signed_spread(net - base, [r.percentage for r in inclusive])
        out += [_tax(r, amount, base) for r, amount in zip(inclusive, parts, strict=True)]
    out += [_tax(r, rounded(base * r.percentage / 100), base) for r in rates if not r.inclusive]
    order = {r.id: n for n, r in enumerate(rates)}
    return sorted(out, key=lambda t: order[t["tax_rate_details"]["tax_rate"]])


def _signed_spread(total: int, percentages: list[Decimal]) -> list[int]:
    """The inclusive tax among inclusive rates by percentage (a negative line's is negative)."""
    if len(percentages) == 1:
        return [total]
    scaled = [int(p * 10_000) or 1 for p in percentages]
    parts = _spread(abs(total), scaled)
    return parts if total >= 0 else [-p for p in parts]


def _tax(rate: Rate, amount: int, taxable: int) -> Obj:
    return {
        "amount": amount,
        "tax_behavior": "inclusive" if rate.inclusive else "exclusive",
        "tax_rate_details": {"tax_rate": rate.id},
        "taxability_reason": "not_available",
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def compute(lines: list[Line], invoice_discounts: list[Discount]) -> tuple[dict[str, Obj], Obj]:
    """(each line's breakdown by key, the invoice's totals)."""
    works = [_Work(line, line.amount) for line in lines]
    for work in works:
        if not work.line.discountable:
            continue
        for discount in work.line.discounts:
            amount = _discount_on(work, discount)
            work.remaining -= amount
            work.discount_amounts.append((discount.id, amount))
    item_discounts = {id(w): sum(a for _, a in w.discount_amounts) for w in works}
    for discount in invoice_discounts:
        _invoice_discount(works, discount)
    breakdown: dict[str, Obj] = {}
    for work in works:
        breakdown[work.line.key] = {
            "discount_amounts": [{"amount": a, "discount": d} for d, a in work.discount_amounts],
            "taxes": _taxes(work.remaining, work.line.rates),
        }
    return breakdown, _totals(works, breakdown, item_discounts)


def _totals(works: list[_Work], breakdown: dict[str, Obj], item_discounts: dict[int, int]) -> Obj:
    subtotal = sum(w.line.amount - item_discounts[id(w)] for w in works)
    net = sum(w.remaining for w in works)
    by_discount: dict[str, int] = {}
    by_rate: dict[str, Obj] = {}
    for work in works:
        for d, amount in work.discount_amounts:
            by_discount[d] = by_discount.get(d, 0) + amount
        for tax in breakdown[work.line.key]["taxes"]:
            rate_id = tax["tax_rate_details"]["tax_rate"]
            if rate_id in by_rate:
                by_rate[rate_id]["amount"] += tax["amount"]
                by_rate[rate_id]["taxable_amount"] += tax["taxable_amount"]
            else:
                by_rate[rate_id] = dict(tax, tax_rate_details=dict(tax["tax_rate_details"]))
    inclusive = sum(t["amount"] for t in by_rate.values() if t["tax_behavior"] == "inclusive")
    exclusive = sum(t["amount"] for t in by_rate.values() if t["tax_behavior"] == "exclusive")
    total = net + exclusive
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total": total,
        "total_excluding_tax": net - inclusive,
        "total_discount_amounts": [{"amount": a, "discount": d} for d, a in by_discount.items()],
        "total_pretax_credit_amounts": [
            {"amount": a, "credit_balance_transaction": None, "discount": d, "type": "discount"}
            for d, a in by_discount.items()
        ],
        "total_taxes": list(by_rate.values()),
    }


def settle_balance(total: int, balance: int) -> tuple[int, int]:
    """(amount_due, ending_balance) at finalization: the customer's balance (negative is credit
    they hold, positive is what they owe) joins the total; what is left below zero stays on
    the balance."""
    net = total + balance
    return max(net, 0), min(net, 0)


# Stripe's minimum charge per currency, in minor units
# (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
    "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}  # fmt: skip


def below_minimum(amount_due: int, currency: str) -> bool:
    """Whether Stripe would mark the invoice paid and carry the amount to the balance instead
    of charging it; a currency without a published minimum never is (the sandbox cannot convert)."""
    minimum = MINIMUM_CHARGE.get(currency)
    return minimum is not None and 0 < amount_due < minimum
