"""Stripe's limits on what an invoice says and adds up to (issue 18): text lengths, the maximum
amount per line and per invoice, supported currencies, divisible amounts, an email to send to."""

from __future__ import annotations

from collections.abc import Callable

import pytest

Check = Callable[..., list[str]]

CATALOG = """\
products:
  gold:
    name: Gold
prices:
  gold-usd:
    product: gold
    unit_amount: 1000
    currency: usd
customers:
  jenny:
    name: Jenny Rosen
    email: jenny@example.com
"""


def invoice(*lines: str, customer: str = "jenny") -> str:
    """An invoices file with one invoice 'inv'; `lines` follow `days_until_due` (line 5 on)."""
    body = f"invoices:\n  inv:\n    customer: {customer}\n    days_until_due: 30\n"
    return body + "".join(f"    {line}\n" for line in lines)


@pytest.mark.parametrize(
    ("field", "limit"), [("name", 256), ("phone", 20), ("description", 350)]
)
def test_customer_text_lengths(check: Check, field: str, limit: int) -> None:
    text = f"customers:\n  c:\n    {field}: {'x' * (limit + 1)}\n"
    assert check(a_yaml=text) == [
        f"a.yaml:3:{7 + len(field)}: customer 'c' {field}: must be at most {limit} characters, got {limit + 1}"
    ]
    assert check(a_yaml=f"customers:\n  c:\n    {field}: {'x' * limit}\n") == []


@pytest.mark.parametrize(("field", "limit"), [("description", 1500), ("footer", 5000)])
def test_invoice_text_lengths(check: Check, field: str, limit: int) -> None:
    text = invoice(f"{field}: {'x' * (limit + 1)}", "items:", "  - price: gold-usd")
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        f"b.yaml:5:{7 + len(field)}: invoice 'inv' {field}: must be at most {limit} characters, got {limit + 1}"
    ]


def test_a_line_total_above_stripes_maximum_is_an_error(check: Check) -> None:
    text = invoice("items:", "  - price: gold-usd", "    quantity: 1000000000000")
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:7:19: invoice 'inv' items[0]: the line total is 1000000000000000 usd; Stripe's maximum amount is "
        "99999999 usd (8 digits): lower the quantity or split the invoice"
    ]


def test_a_line_total_at_stripes_maximum_is_fine(check: Check) -> None:
    catalog = CATALOG.replace("unit_amount: 1000", "unit_amount: 1")
    assert check(a_yaml=catalog, b_yaml=invoice("items:", "  - price: gold-usd", "    quantity: 99999999")) == []


def test_an_invoice_total_above_stripes_maximum_is_an_error(check: Check) -> None:
    text = invoice(
        "items:",
        "  - {description: a, amount: 60000000, currency: usd}",
        "  - {description: b, amount: 60000000, currency: usd}",
    )
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:6:7: invoice 'inv' items: the invoice total is 120000000 usd; Stripe's maximum amount is "
        "99999999 usd (8 digits): split the invoice"
    ]


@pytest.mark.parametrize("code", ["xau", "CLF", "xdr"])
def test_iso_currencies_stripe_does_not_support_are_errors(check: Check, code: str) -> None:
    text = CATALOG.replace("currency: usd", f"currency: {code}")
    assert check(a_yaml=text) == [
        f"a.yaml:8:15: price 'gold-usd' currency: Stripe does not support the currency '{code.lower()}' "
        "(docs.stripe.com/currencies lists those it does)"
    ]


def test_xts_is_not_a_currency_to_invoice_in(check: Check) -> None:
    text = CATALOG.replace("currency: usd", "currency: xts")
    assert check(a_yaml=text) == [
        "a.yaml:8:15: price 'gold-usd' currency: 'xts' is not an ISO 4217 currency code (did you mean 'tzs'?)"
    ]


@pytest.mark.parametrize(("code", "amount", "divisor"), [("kwd", 1005, 10), ("BHD", 1, 10), ("isk", 150, 100)])
def test_amounts_stripe_requires_divisible(check: Check, code: str, amount: int, divisor: int) -> None:
    text = CATALOG.replace("unit_amount: 1000\n    currency: usd", f"unit_amount: {amount}\n    currency: {code}")
    low = amount - amount % divisor
    assert check(a_yaml=text) == [
        f"a.yaml:7:18: price 'gold-usd' unit_amount: Stripe requires amounts in {code.upper()} to be multiples of "
        f"{divisor}; write {low} or {low + divisor} instead of {amount}"
    ]


def test_an_item_amount_in_a_three_decimal_currency_must_end_in_zero(check: Check) -> None:
    text = invoice("items:", "  - description: fee", "    amount: 12345", "    currency: jod")
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:7:17: invoice 'inv' items[0].amount: Stripe requires amounts in JOD to be multiples of 10; "
        "write 12340 or 12350 instead of 12345"
    ]


def test_zero_decimal_and_divisible_amounts_are_fine(check: Check) -> None:
    text = invoice(
        "items:", "  - description: fee", "    amount: 99999999", "    currency: jpy",
    )
    assert check(a_yaml=CATALOG, b_yaml=text) == []
    assert check(a_yaml=CATALOG.replace("1000\n    currency: usd", "1230\n    currency: kwd")) == []


def test_status_sent_needs_a_customer_email(check: Check) -> None:
    catalog = CATALOG.replace("    email: jenny@example.com\n", "")
    text = invoice("status: sent", "items:", "  - price: gold-usd")
    assert check(a_yaml=catalog, b_yaml=text) == [
        "b.yaml:5:13: invoice 'inv' status: sent emails the invoice, and customer 'jenny' has no email: "
        "give the customer an email, or write status: open"
    ]
    assert check(a_yaml=CATALOG, b_yaml=text) == []


def test_an_adopted_invoice_may_already_be_sent_to_a_customer_without_email(check: Check) -> None:
    catalog = CATALOG.replace("    email: jenny@example.com\n", "")
    text = invoice("status: sent", "adopt: in_123", "items:", "  - price: gold-usd")
    assert check(a_yaml=catalog, b_yaml=text) == []


def test_due_date_replaces_days_until_due(check: Check) -> None:
    body = "invoices:\n  inv:\n    customer: jenny\n    due_date: 2030-01-15\n    items:\n      - price: gold-usd\n"
    assert check(a_yaml=CATALOG, b_yaml=body) == []
    both = invoice("due_date: 2030-01-15", "items:", "  - price: gold-usd")
    assert check(a_yaml=CATALOG, b_yaml=both) == [
        "b.yaml:5:15: invoice 'inv' due_date: give either due_date or days_until_due, not both"
    ]


def test_due_date_needs_send_invoice(check: Check) -> None:
    body = (
        "invoices:\n  inv:\n    customer: jenny\n    collection_method: charge_automatically\n"
        "    due_date: 2030-01-15\n    items:\n      - price: gold-usd\n"
    )
    assert check(a_yaml=CATALOG, b_yaml=body) == [
        "b.yaml:5:15: invoice 'inv' due_date: only allowed with collection_method send_invoice, not charge_automatically"
    ]


def test_custom_field_limits(check: Check) -> None:
    fields = "".join(f"      - {{name: F{n}, value: v}}\n" for n in range(5))
    text = invoice("custom_fields:", *fields.rstrip("\n").split("\n"), "items:", "  - price: gold-usd")
    text = text.replace("          - {", "      - {")
    (error,) = check(a_yaml=CATALOG, b_yaml=text)
    assert error.startswith("b.yaml:6:7: invoice 'inv' custom_fields: ") and "at most 4" in error, error
    long_name = invoice(f"custom_fields: [{{name: {'n' * 41}, value: v}}]", "items:", "  - price: gold-usd")
    (error,) = check(a_yaml=CATALOG, b_yaml=long_name)
    assert "custom_fields[0].name: must be at most 40 characters, got 41" in error, error
    long_value = invoice(f"custom_fields: [{{name: PO, value: {'v' * 141}}}]", "items:", "  - price: gold-usd")
    (error,) = check(a_yaml=CATALOG, b_yaml=long_value)
    assert "custom_fields[0].value: must be at most 140 characters, got 141" in error, error


def test_a_period_ending_before_it_starts_is_an_error(check: Check) -> None:
    text = invoice("items:", "  - price: gold-usd", "    period: {start: 2026-11-30, end: 2026-11-01}")
    (error,) = check(a_yaml=CATALOG, b_yaml=text)
    assert error.startswith("b.yaml:") and "end 2026-11-01 is before start 2026-11-30" in error, error


def test_rendering_page_size_is_one_of_stripes(check: Check) -> None:
    text = invoice("rendering: {pdf: {page_size: a5}}", "items:", "  - price: gold-usd")
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:5:34: invoice 'inv' rendering.pdf.page_size: must be one of a4, letter, auto; got a string ('a5')"
    ]


@pytest.mark.parametrize("country", ["Germany", "de", "XX"])
def test_a_country_is_an_iso_3166_alpha_2_code(check: Check, country: str) -> None:
    text = f"customers:\n  c:\n    address: {{city: Berlin, country: {country}}}\n"
    (error,) = check(a_yaml=text)
    assert error.startswith("a.yaml:3:") and "is not an ISO 3166-1 alpha-2 country code" in error, error
    assert check(a_yaml=text.replace(country, "DE")) == []


def test_invoice_prefix_and_tax_exempt_follow_stripe(check: Check) -> None:
    (error,) = check(a_yaml="customers:\n  c:\n    invoice_prefix: berl-1\n")
    assert error.startswith("a.yaml:3:21: customer 'c' invoice_prefix:"), error
    (error,) = check(a_yaml="customers:\n  c:\n    tax_exempt: yes please\n")
    assert "must be one of none, exempt, reverse" in error, error


def test_shipping_needs_a_name_and_an_address(check: Check) -> None:
    (error,) = check(a_yaml="customers:\n  c:\n    shipping: {name: Lager}\n")
    assert "shipping" in error and "address" in error, error


def test_the_tax_id_types_are_the_pinned_sdks() -> None:
    import inspect
    import re

    from stripe.params import _customer_create_tax_id_params as sdk

    from reconciler.spec.billing import TAX_ID_TYPES

    literal = inspect.getsource(sdk).split("    type: ", 1)[1].split("]", 1)[0]
    assert frozenset(re.findall(r'"([a-z_]+)"', literal)) == TAX_ID_TYPES


@pytest.mark.parametrize(
    ("section", "entry", "message"),
    [
        ("customers", "invoice_prefix: abc",
         "customer 'c' invoice_prefix: 'abc' is not a valid invoice prefix (1 to 12 uppercase letters or digits, e.g. ACME01)"),
        ("customers", "adopt: foo", "customer 'c' adopt: 'foo' is not a Stripe id (expected cus_…)"),
        ("tax_rates", "country: de",
         "tax_rate 'c' country: 'de' is not an ISO 3166-1 alpha-2 country code (two uppercase letters, e.g. DE, US, GB)"),
    ],
)  # fmt: skip
def test_a_value_failing_its_pattern_is_told_its_own_rule_not_the_spec_keys(
    check: Check, section: str, entry: str, message: str
) -> None:
    extra = "    display_name: VAT\n    percentage: 19\n    inclusive: false\n" if section == "tax_rates" else ""
    errors = check(a_yaml=f"{section}:\n  c:\n    {entry}\n{extra}")
    assert [e.split(": ", 1)[1] for e in errors] == [message]


def test_an_account_tax_id_that_is_not_a_txi_id_says_so(check: Check) -> None:
    text = invoice("account_tax_ids: [foo]", "items:", "  - price: gold-usd")
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:5:23: invoice 'inv' account_tax_ids[0]: 'foo' is not a Stripe id (expected txi_…)"
    ]


def test_pydantic_wording_is_said_the_way_the_other_messages_are(check: Check) -> None:
    fields = "[" + ", ".join(["{name: a, value: b}"] * 5) + "]"
    rate = "tax_rates:\n  vat:\n    display_name: VAT\n    percentage: '19'\n    inclusive: false\n"
    coupon = "coupons:\n  c:\n    percent_off: 0\n"
    b_yaml = invoice(f"custom_fields: {fields}", "due_date: tomorrow", "items:", "  - price: gold-usd",
                     "    period: {start: 2026-12-10, end: 2026-12-01}")  # fmt: skip
    assert check(a_yaml=CATALOG + rate + coupon, b_yaml=b_yaml) == [
        "a.yaml:16:17: tax_rate 'vat' percentage: expected a number, got a string ('19')",
        "a.yaml:20:18: coupon 'c' percent_off: must be more than 0, got 0",
        "b.yaml:5:20: invoice 'inv' custom_fields: at most 4 items, got 5",
        "b.yaml:6:15: invoice 'inv' due_date: expected a date (a bare YAML date such as 2026-12-15), got a string ('tomorrow')",
        "b.yaml:9:17: invoice 'inv' items[0].period: end 2026-12-01 is before start 2026-12-10",
    ]


def test_preferred_locales_name_at_least_one(check: Check) -> None:
    (error,) = check(a_yaml="customers:\n  c:\n    preferred_locales: []\n")
    assert error.startswith("a.yaml:3:24: customer 'c' preferred_locales:"), error


def test_an_empty_address_or_shipping_is_accepted_and_other_values_say_what_is_expected(check: Check) -> None:
    # Review R22: "" removes them (Stripe's own unset); pydantic's union branches never show.
    assert check(a_yaml='customers:\n  c:\n    address: ""\n    shipping: ""\n') == []
    assert check(a_yaml='customers:\n  c:\n    shipping: "x"\n    address: [1]\n') == [
        "a.yaml:3:15: customer 'c' shipping: expected a mapping, got a string ('x')",
        "a.yaml:4:14: customer 'c' address: expected a mapping, got a list",
    ]
    assert check(a_yaml="customers:\n  c:\n    shipping: {name: x}\n") == [
        "a.yaml:3:5: customer 'c' shipping: missing required field 'address'",
    ]


def test_days_stripe_cannot_take_duplicate_account_tax_ids_and_odd_locales_are_refused(check: Check) -> None:
    # Review R3: each validated OK, and Stripe refuses or misreads them.
    customers = "customers:\n  c:\n    preferred_locales: [de, en-GB, es-419, zh-Hant-TW, klingon-xx-yy]\n"
    assert check(a_yaml=customers) == [
        "a.yaml:3:56: customer 'c' preferred_locales[4]: 'klingon-xx-yy' is not a language tag such as de, "
        "en-GB or es-419",
    ]
    text = CATALOG + invoice(
        "effective_at: 0001-01-01",
        "account_tax_ids: [txi_1, txi_2, txi_1]",
        "items:",
        "  - {price: gold-usd, period: {start: 2026-11-01, end: 9999-12-31}}",
    )
    assert check(a_yaml=text) == [
        "a.yaml:17:19: invoice 'inv' effective_at: 0001-01-01 is outside 1970-01-02..2099-12-31 "
        "(Stripe takes days as Unix times)",
        "a.yaml:18:22: invoice 'inv' account_tax_ids: txi_1 named more than once",
        "a.yaml:20:60: invoice 'inv' items[0].period.end: 9999-12-31 is outside 1970-01-02..2099-12-31 "
        "(Stripe takes days as Unix times)",
    ]
