"""The planner's amounts on plain data: Stripe's worked examples, then the rules one by one."""

from __future__ import annotations

from fractions import Fraction

from reconciler.plan.amounts import (
    Amounts,
    CouponTerms,
    InvoiceTerms,
    LineTerms,
    TaxAmount,
    TaxRateTerms,
    compute,
    half_away,
    largest_remainder,
)

VAT = TaxRateTerms("de-vat-19", Fraction(19), inclusive=False)
VAT_INCLUDED = TaxRateTerms("de-vat-19-incl", Fraction(19), inclusive=True)
TEN_OFF = CouponTerms("partner-10", percent_off=Fraction(10))


def _invoice(*amounts: int, currency: str = "usd", **terms: object) -> Amounts:
    lines = tuple(LineTerms(a, discountable=a >= 0) for a in amounts)
    return compute(InvoiceTerms(currency, lines, **terms))  # type: ignore[arg-type]


# -- Stripe's worked examples -------------------------------------------------------------


def test_percent_off_50_makes_a_100_invoice_50() -> None:
    """docs.stripe.com/api/coupons/object: "a coupon with percent_off of 50 will make a $100 invoice $50 instead"."""
    got = _invoice(10_000, coupons=(CouponTerms("half", percent_off=Fraction(50)),))
    assert (got.total, got.amount_due, got.discounts) == (5_000, 5_000, (("half", 5_000),))


def test_amount_off_200_on_subtotals_100_and_300() -> None:
    """docs.stripe.com/api/coupons/object: "an invoice with a subtotal of 100 will have a final total of 0 if a
    coupon with an amount_off of 200 is applied to it and an invoice with a subtotal of 300 will have a final
    total of 100"."""
    off = (CouponTerms("two-hundred", amount_off=200),)
    assert (_invoice(100, coupons=off).total, _invoice(300, coupons=off).total) == (0, 100)


def test_below_the_minimum_charge_is_paid_and_carried() -> None:
    """docs.stripe.com/billing/customer/balance: "When the amount due on an invoice is less than the minimum
    chargeable amount the invoice is marked as paid and the amount owed moved to the invoice balance as a
    debit" (USD minimum 0.50, docs.stripe.com/currencies)."""
    got = _invoice(30)
    assert (got.amount_due, got.carried_to_balance, got.ending_balance) == (0, 30, 30)
    assert _invoice(50).amount_due == 50


def test_credit_balance_comes_off_the_amount_due() -> None:
    """docs.stripe.com/api/customer_balance_transactions: a balance is "automatically applied to their next
    invoice upon finalization" (issue 19's example: -300 and a 1,000 item)."""
    got = _invoice(1_000, balance=-300)
    assert (got.starting_balance, got.amount_due, got.ending_balance) == (-300, 700, 0)
    more_credit = _invoice(100, balance=-300)
    assert (more_credit.amount_due, more_credit.ending_balance) == (0, -200)
    owed = _invoice(1_000, balance=250)
    assert (owed.amount_due, owed.ending_balance) == (1_250, 0)


# -- the rules -----------------------------------------------------------------------------


def test_exclusive_vat_goes_on_top() -> None:
    got = _invoice(1_000, 500, default_tax_rates=(VAT,))
    assert got.taxes == (TaxAmount("de-vat-19", False, 285, 1_500),)
    assert (got.subtotal, got.total) == (1_500, 1_785)


def test_inclusive_vat_is_inside_the_amount() -> None:
    got = _invoice(1_190, 1_000, default_tax_rates=(VAT_INCLUDED,))
    assert got.taxes == (TaxAmount("de-vat-19-incl", True, 350, 1_840),)
    assert (got.subtotal, got.total) == (2_190, 2_190)


def test_item_discount_then_invoice_discount_then_tax_on_what_is_left() -> None:
    line = LineTerms(1_000, True, coupons=(TEN_OFF,))
    got = compute(InvoiceTerms("usd", (line,), coupons=(CouponTerms("minus-100", amount_off=100),),
                               default_tax_rates=(VAT,)))
    assert (got.subtotal, got.total) == (900, 952)
    assert got.item_discounts == (("partner-10", 100),)  # in the subtotal
    assert got.discounts == (("minus-100", 100),)  # after it
    assert got.subtotal - sum(a for _, a in got.discounts) + 152 == got.total
    assert got.taxes == (TaxAmount("de-vat-19", False, 152, 800),)


def test_a_negative_credit_line_is_not_discounted_and_amount_off_is_spread() -> None:
    got = _invoice(1_000, 300, -200, coupons=(CouponTerms("five-off", amount_off=500),))
    assert (got.subtotal, got.total, got.amount_due) == (1_100, 600, 600)
    assert got.discounts == (("five-off", 500),)


def test_an_item_rate_replaces_the_invoice_default() -> None:
    reduced = TaxRateTerms("de-vat-7", Fraction(7), inclusive=False)
    lines = (LineTerms(1_000, True), LineTerms(500, True, tax_rates=(reduced,)), LineTerms(100, True, tax_rates=()))
    got = compute(InvoiceTerms("eur", lines, default_tax_rates=(VAT,)))
    assert got.taxes == (TaxAmount("de-vat-19", False, 190, 1_000), TaxAmount("de-vat-7", False, 35, 500))


def test_percent_discounts_round_per_line_half_away_from_zero() -> None:
    got = _invoice(555, 555, coupons=(TEN_OFF,))
    assert got.discounts == (("partner-10", 112),)


def test_zero_decimal_yen() -> None:
    rate = TaxRateTerms("jp-8", Fraction(8), inclusive=False)
    got = _invoice(1_234, currency="jpy", coupons=(CouponTerms("yen-3", percent_off=Fraction(3)),),
                   default_tax_rates=(rate,))
    assert (got.total, got.taxes[0].amount) == (1_293, 96)
    assert _invoice(40, currency="jpy").amount_due == 0  # below ¥50


def test_a_negative_total_is_credit_on_the_balance() -> None:
    got = _invoice(-500)
    assert (got.total, got.amount_due, got.ending_balance) == (-500, 0, -500)


def test_an_unknown_balance_leaves_the_amount_due_unknown() -> None:
    got = _invoice(1_000, balance=None)
    assert (got.total, got.amount_due, got.starting_balance, got.ending_balance) == (1_000, None, None, None)


def test_no_published_minimum_means_none_applies() -> None:
    assert _invoice(5, currency="kwd").amount_due == 5


def test_rounding_helpers() -> None:
    assert [half_away(Fraction(n, 2)) for n in (5, -5, 3, -3, 4)] == [3, -3, 2, -2, 2]
    assert largest_remainder(500, [Fraction(1_000), Fraction(300)]) == [385, 115]
    assert largest_remainder(2, [Fraction(1)] * 3) == [1, 1, 0]
