"""validate: tax rates, coupons, and what invoices take from them (Stripe's limits, with positions)."""

from __future__ import annotations

from collections.abc import Callable

Check = Callable[..., list[str]]

BASE = """\
customers:
  jenny: {name: Jenny Rosen, email: jenny@example.com}
tax_rates:
  vat: {display_name: VAT, percentage: 19, inclusive: false}
  old: {display_name: Old, percentage: 16, inclusive: false, active: false}
coupons:
  ten: {percent_off: 10}
  five-eur: {amount_off: 500, currency: eur}
"""


def _invoice(extra: str, item: str = "{description: Fee, amount: 1000, currency: usd}") -> str:
    return BASE + f"""invoices:
  inv:
    customer: jenny
    days_until_due: 30
    items:
      - {item}
{extra}"""


def test_a_coupon_takes_percent_off_or_amount_off_with_a_currency(check: Check) -> None:
    assert check(a_yaml="coupons:\n  both: {percent_off: 10, amount_off: 5, currency: usd}\n") == [
        "a.yaml:2:9: coupon 'both': a coupon takes exactly one of percent_off and amount_off"]
    assert check(a_yaml="coupons:\n  bare: {amount_off: 5}\n") == [
        "a.yaml:2:22: coupon 'bare' amount_off: needs a currency (the coupon's amount is in it)"]
    assert check(a_yaml="coupons:\n  months: {percent_off: 5, duration: repeating}\n") == [
        "a.yaml:2:38: coupon 'months': duration_in_months goes with duration repeating, and only with it"]


def test_at_most_ten_tax_rates_on_a_line(check: Check) -> None:
    rates = "[" + ", ".join(["vat"] * 11) + "]"
    assert check(a_yaml=_invoice(f"    default_tax_rates: {rates}\n")) == [
        "a.yaml:15:24: invoice 'inv' default_tax_rates: at most 10 items, got 11"]


def test_references_name_defined_rates_and_coupons(check: Check) -> None:
    errors = check(a_yaml=_invoice("    default_tax_rates: [vta]\n    discounts: [tne]\n"))
    assert errors == [
        "a.yaml:15:25: invoice 'inv' default_tax_rates[0]: no tax_rate 'vta' is defined (closest: 'vat')",
        "a.yaml:16:17: invoice 'inv' discounts[0]: no coupon 'tne' is defined (closest: 'ten')",
    ]


def test_an_archived_rate_a_twice_listed_coupon_and_a_foreign_currency_coupon_are_refused(check: Check) -> None:
    errors = check(a_yaml=_invoice("    default_tax_rates: [old]\n    discounts: [ten, ten, five-eur]\n"))
    assert errors == [
        "a.yaml:15:25: invoice 'inv' default_tax_rates[0]: tax rate old is archived (active: false); an archived rate "
        "cannot be applied to a new invoice",
        "a.yaml:16:22: invoice 'inv' discounts[1]: ten is listed twice",
        "a.yaml:16:27: invoice 'inv' discounts[2]: coupon five-eur takes eur off, the invoice is in usd: an amount_off "
        "coupon applies only in its own currency",
    ]


def test_a_negative_credit_line_is_allowed_but_a_negative_total_cannot_be_void(check: Check) -> None:
    credit = "{description: Goodwill credit, amount: -500, currency: usd}"
    assert check(a_yaml=_invoice("", item=credit)) == []
    assert check(a_yaml=_invoice("    status: void\n", item=credit)) == [
        "a.yaml:15:13: invoice 'inv' status: void is out of reach: the total is below 0 and Stripe marks such an "
        "invoice paid when it is finalized (crediting the customer's balance); write status: paid (or draft)"]


def test_stripe_tax_takes_no_tax_rates_and_no_credit_lines(check: Check) -> None:
    credit = "{description: Goodwill credit, amount: -500, currency: usd}"
    errors = check(a_yaml=_invoice("    automatic_tax: {enabled: true}\n    default_tax_rates: [vat]\n", item=credit))
    assert sorted(e.split(": ", 2)[1] for e in errors) == ["invoice 'inv' default_tax_rates", "invoice 'inv' items[0].amount"], errors


def test_a_tax_rates_percentage_has_at_most_four_decimal_places(check: Check) -> None:
    """Review R14: Stripe takes "a number (up to 4 decimal places)"."""
    assert check(a_yaml="tax_rates:\n  odd: {display_name: Odd, percentage: 7.123456789, inclusive: false}\n") == [
        "a.yaml:2:40: tax_rate 'odd' percentage: 7.123456789 has 9 decimal places; Stripe takes at most 4"]
    assert check(a_yaml="tax_rates:\n  ok: {display_name: Ok, percentage: 8.8751, inclusive: false}\n"
                        "  whole: {display_name: Whole, percentage: 19, inclusive: true}\n") == []


def test_a_tax_rates_country_is_an_iso_country(check: Check) -> None:
    """Review R14: `country: XX` passed (two uppercase letters, no such country)."""
    assert check(a_yaml="tax_rates:\n  vat: {display_name: VAT, percentage: 19, inclusive: false, country: XX}\n") == [
        "a.yaml:2:71: tax_rate 'vat' country: 'XX' is not an ISO 3166-1 alpha-2 country code (e.g. DE, US, GB)"]
