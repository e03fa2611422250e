"""What an invoice will ask the customer to pay: the planner's reading of Stripe's rules.

Plain data in, plain data out, no I/O. Written apart from the sandbox's arithmetic
(reconciler/sandbox/models/money.py): neither imports the other, so the property test in
tests/plan/test_amounts_against_sandbox.py compares two readings of the rules that
docs/plan.md "Amounts" states and cites. Exact fractions throughout; a figure is rounded
once, on its own line, half away from zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

# Stripe's minimum charge per currency in minor units
# (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
_HALF_DOLLAR = ("usd", "aud", "brl", "cad", "chf", "eur", "inr", "nzd", "sgd")
MINIMUM_CHARGE: dict[str, int] = {
    **dict.fromkeys(_HALF_DOLLAR, 50),
    "gbp": 30, "bgn": 100, "aed": 200, "myr": 200, "pln": 200, "ron": 200, "dkk": 250,
    "nok": 300, "sek": 300, "hkd": 400, "mxn": 1000, "thb": 1000, "czk": 1500, "huf": 17500, "jpy": 50,
}  # fmt: skip


@dataclass(frozen=True)
class TaxRateTerms:
    key: str  # the spec key (or Stripe id) that names the rate in the plan
    percentage: Fraction
    inclusive: bool


@dataclass(frozen=True)
class CouponTerms:
    key: str
    percent_off: Fraction | None = None
    amount_off: int | None = None


@dataclass(frozen=True)
class LineTerms:
    amount: int
    discountable: bool
    coupons: tuple[CouponTerms, ...] = ()
    tax_rates: tuple[TaxRateTerms, ...] | None = None  # None: the invoice's default rates


@dataclass(frozen=True)
class InvoiceTerms:
    currency: str
    lines: tuple[LineTerms, ...]
    coupons: tuple[CouponTerms, ...] = ()
    default_tax_rates: tuple[TaxRateTerms, ...] = ()
    balance: int | None = 0  # the customer's balance at finalization; None: not known
    stripe_tax: bool = False  # automatic_tax: Stripe computes the tax at finalization


@dataclass(frozen=True)
class TaxAmount:
    rate: str
    inclusive: bool
    amount: int
    taxable: int


@dataclass(frozen=True)
class Amounts:
    subtotal: int  # the lines less their own discounts, inclusive tax in it
    # The invoice's discounts, taken off after the subtotal: (coupon key, amount) in order of first use.
    discounts: tuple[tuple[str, int], ...]
    taxes: tuple[TaxAmount, ...]  # one per rate, in order of first use
    total: int
    # The customer's balance before and after finalization (negative: credit they hold);
    # None where it is not known when planning.
    starting_balance: int | None
    ending_balance: int | None
    amount_due: int | None
    carried_to_balance: int  # below the minimum charge: paid at finalization, owed on the balance
    # Stripe Tax computes the tax at finalization: `total` is before it, the amount due not known.
    stripe_tax: bool = False
    # The items' own discounts, already taken off in the subtotal ("Item discounts are already
    # incorporated"): apart, so that subtotal - discounts + added tax is the total (review R20).
    item_discounts: tuple[tuple[str, int], ...] = ()


def half_away(value: Fraction) -> int:
    """The nearest whole unit; a half goes away from zero (2.5 -> 3, -2.5 -> -3)."""
    magnitude = (abs(value.numerator) * 2 + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


def largest_remainder(total: int, weights: list[Fraction]) -> list[int]:
    """`total` (>= 0) shared in proportion to positive `weights`; whole parts summing to it,
    the leftover units to the largest fractional remainders, earlier first on a tie."""
    whole = sum(weights)
    shares = [Fraction(total) * w / whole for w in weights]
    floors = [s.numerator // s.denominator for s in shares]
    ranked = sorted(range(len(shares)), key=lambda i: (floors[i] - shares[i], i))
    for i in ranked[: total - sum(floors)]:
        floors[i] += 1
    return floors


def _percent_of(amount: int, percent: Fraction) -> int:
    return min(amount, half_away(amount * percent / 100))


def _line_tax(net: int, rates: tuple[TaxRateTerms, ...]) -> list[TaxAmount]:
    """Inclusive rates come out of `net`; exclusive ones go on top of what is left."""
    inclusive = [r for r in rates if r.inclusive]
    base = net
    found: dict[str, TaxAmount] = {}
    if inclusive:
        base = half_away(Fraction(net) * 100 / (100 + sum(r.percentage for r in inclusive)))
        inside = net - base
        if len(inclusive) == 1:
            parts = [inside]
        else:
            weights = [r.percentage if r.percentage > 0 else Fraction(1, 10_000) for r in inclusive]
            parts = largest_remainder(abs(inside), weights)
            parts = parts if inside >= 0 else [-p for p in parts]
        for rate, part in zip(inclusive, parts, strict=True):
            found[rate.key] = TaxAmount(rate.key, True, part, base)
    for rate in rates:
        if not rate.inclusive:
            found[rate.key] = TaxAmount(rate.key, False, half_away(base * rate.percentage / 100), base)
    return [found[r.key] for r in rates]


def compute(terms: InvoiceTerms) -> Amounts:
    """The invoice's figures as Stripe computes them (docs/plan.md "Amounts")."""
    left = [line.amount for line in terms.lines]
    item_discounts: dict[str, int] = {}
    discounts: dict[str, int] = {}

    def take(i: int, key: str, amount: int, into: dict[str, int]) -> None:
        left[i] -= amount
        into[key] = into.get(key, 0) + amount

    for i, line in enumerate(terms.lines):
        for coupon in line.coupons if line.discountable else ():
            if left[i] > 0:
                off = _percent_of(left[i], coupon.percent_off) if coupon.percent_off is not None else min(
                    left[i], coupon.amount_off or 0)
                take(i, coupon.key, off, item_discounts)
    subtotal = sum(left)
    for coupon in terms.coupons:
        eligible = [i for i, line in enumerate(terms.lines) if line.discountable and left[i] > 0]
        if not eligible:
            continue
        if coupon.percent_off is not None:
            for i in eligible:
                take(i, coupon.key, _percent_of(left[i], coupon.percent_off), discounts)
        else:
            pool = min(coupon.amount_off or 0, sum(left[i] for i in eligible))
            for i, part in zip(eligible, largest_remainder(pool, [Fraction(left[i]) for i in eligible]), strict=True):
                take(i, coupon.key, part, discounts)
    taxes: dict[str, TaxAmount] = {}
    for i, line in enumerate(terms.lines):
        rates = () if terms.stripe_tax else line.tax_rates if line.tax_rates is not None else terms.default_tax_rates
        for tax in _line_tax(left[i], rates):
            had = taxes.get(tax.rate)
            taxes[tax.rate] = tax if had is None else TaxAmount(
                tax.rate, tax.inclusive, had.amount + tax.amount, had.taxable + tax.taxable)
    total = sum(left) + sum(t.amount for t in taxes.values() if not t.inclusive)
    if terms.stripe_tax:
        return Amounts(subtotal, tuple(discounts.items()), (), total, None, None, None, 0, stripe_tax=True,
                       item_discounts=tuple(item_discounts.items()))
    ending, due, carried = _settle(total, terms.balance, terms.currency)
    return Amounts(subtotal, tuple(discounts.items()), tuple(taxes.values()), total, terms.balance, ending, due,
                   carried, item_discounts=tuple(item_discounts.items()))


def _settle(total: int, balance: int | None, currency: str) -> tuple[int | None, int | None, int]:
    """(ending balance, amount due, carried to the balance) at finalization."""
    if balance is None:
        return None, None, 0
    # A credit (negative balance) pays at most the total, a debit is added, and a negative
    # total is left on the balance as credit.
    combined = total + balance
    due, ending = (combined, 0) if combined > 0 else (0, combined)
    minimum = MINIMUM_CHARGE.get(currency)
    if minimum is not None and 0 < due < minimum:
        return ending + due, 0, due
    return ending, due, 0


def to_json(amounts: Amounts) -> dict[str, object]:
    """The figures as a plan file keeps them (display only)."""
    return {
        "subtotal": amounts.subtotal,
        "discounts": _discounts_json(amounts.discounts),
        "taxes": [{"tax_rate": t.rate, "inclusive": t.inclusive, "amount": t.amount, "taxable": t.taxable}
                  for t in amounts.taxes],
        "total": amounts.total,
        "starting_balance": amounts.starting_balance,
        "ending_balance": amounts.ending_balance,
        "amount_due": amounts.amount_due,
        "carried_to_balance": amounts.carried_to_balance,
        **({"stripe_tax": True} if amounts.stripe_tax else {}),
        **({"item_discounts": _discounts_json(amounts.item_discounts)} if amounts.item_discounts else {}),
    }


def _discounts_json(discounts: tuple[tuple[str, int], ...]) -> list[dict[str, object]]:
    return [{"coupon": k, "amount": a} for k, a in discounts]


def _discounts_from_json(discounts: object, name: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(discounts, list):
        raise ValueError(f"{name}: expected a list")
    parsed = []
    for d in discounts:
        if not isinstance(d, dict) or set(d) != {"coupon", "amount"} or not isinstance(d["coupon"], str):
            raise ValueError(f"{name}: expected {{coupon, amount}}")
        parsed.append((d["coupon"], int(_int(d["amount"]) or 0)))
    return tuple(parsed)


def _int(value: object, *, optional: bool = False) -> int | None:
    if optional and value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def from_json(data: object) -> Amounts:
    """The figures from a plan file; ValueError for anything else."""
    keys = {"subtotal", "discounts", "taxes", "total", "starting_balance", "ending_balance", "amount_due",
            "carried_to_balance"}
    optional = {"stripe_tax", "item_discounts"}
    if not isinstance(data, dict) or set(data) - optional != keys or data.get("stripe_tax", True) is not True:
        raise ValueError(f"expected {{{', '.join(sorted(keys))}}}")
    taxes = data["taxes"]
    if not isinstance(taxes, list):
        raise ValueError("taxes: expected a list")
    parsed_taxes = []
    for t in taxes:
        if (not isinstance(t, dict) or set(t) != {"tax_rate", "inclusive", "amount", "taxable"}
                or not isinstance(t["tax_rate"], str) or not isinstance(t["inclusive"], bool)):
            raise ValueError("taxes: expected {tax_rate, inclusive, amount, taxable}")
        parsed_taxes.append(TaxAmount(t["tax_rate"], t["inclusive"], int(_int(t["amount"]) or 0),
                                      int(_int(t["taxable"]) or 0)))
    return Amounts(
        subtotal=int(_int(data["subtotal"]) or 0),
        discounts=_discounts_from_json(data["discounts"], "discounts"),
        taxes=tuple(parsed_taxes),
        total=int(_int(data["total"]) or 0),
        starting_balance=_int(data["starting_balance"], optional=True),
        ending_balance=_int(data["ending_balance"], optional=True),
        amount_due=_int(data["amount_due"], optional=True),
        carried_to_balance=int(_int(data["carried_to_balance"]) or 0),
        stripe_tax="stripe_tax" in data,
        item_discounts=_discounts_from_json(data.get("item_discounts", []), "item_discounts"),
    )
