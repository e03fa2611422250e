"""Invoice rules and references between entries."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.spec.loader import load_specs

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
  gold-eur:
    product: gold
    unit_amount: 900
    currency: EUR
customers:
  jenny:
    name: Jenny Rosen
    email: jenny@example.com
"""


def invoice(body: str) -> str:
    """An invoices file with one invoice 'inv' (line 3 is its first field)."""
    return "invoices:\n  inv:\n" + "".join(f"    {line}\n" for line in body.strip("\n").split("\n"))


ITEM = "items:\n  - price: gold-usd"


def test_valid_invoice(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jenny\ndays_until_due: 30\n{ITEM}")) == []


def test_price_references_missing_product(check: Check) -> None:
    text = "products:\n  gold-special:\n    name: G\nprices:\n  p:\n    product: gold\n    unit_amount: 1\n    currency: usd\n"
    assert check(a_yaml=text) == ["a.yaml:6:14: price 'p' product: no product 'gold' is defined (closest: 'gold-special')"]


def test_reference_when_nothing_is_defined(check: Check) -> None:
    assert check(a_yaml="prices:\n  p:\n    product: gold\n    unit_amount: 1\n    currency: usd\n") == [
        "a.yaml:3:14: price 'p' product: no product 'gold' is defined (there are no products)"
    ]


def test_invoice_references_missing_customer(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jeny\ndays_until_due: 30\n{ITEM}")) == [
        "b.yaml:3:15: invoice 'inv' customer: no customer 'jeny' is defined (closest: 'jenny')"
    ]


def test_item_references_missing_price(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - price: gold-usd\n  - price: gold-gbp"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:7:16: invoice 'inv' items[1].price: no price 'gold-gbp' is defined (closest: 'gold-usd')"
    ]


def test_dangling_reference_reported_beside_type_errors(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: nobody\ndays_until_due: '30'\n{ITEM}")) == [
        "b.yaml:3:15: invoice 'inv' customer: no customer 'nobody' is defined (closest: 'jenny')",
        "b.yaml:4:21: invoice 'inv' days_until_due: expected an integer, got a string ('30'); "
        "write the number without quotes",
    ]


def test_no_items(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice("customer: jenny\ndays_until_due: 30\nitems: []")) == [
        "b.yaml:5:12: invoice 'inv' items: an invoice needs 1 to 250 items, got 0"
    ]


def test_items_missing(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice("customer: jenny\ndays_until_due: 30")) == [
        "b.yaml:2:3: invoice 'inv': missing required field 'items'"
    ]


def test_too_many_items(check: Check) -> None:
    items = "items:\n" + "\n".join(f"  - {{price: gold-usd, key: i{n}}}" for n in range(251))
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jenny\ndays_until_due: 30\n{items}")) == [
        "b.yaml:6:7: invoice 'inv' items: an invoice needs 1 to 250 items, got 251"
    ]


def test_250_items_is_fine(check: Check) -> None:
    items = "items:\n" + "\n".join("  - price: gold-usd" for _ in range(250))
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jenny\ndays_until_due: 30\n{items}")) == []
    keys = [key for key, _ in load_specs(["a.yaml", "b.yaml"]).invoices["inv"].keyed_items()]
    assert len(set(keys)) == 250
    assert keys[:3] == ["gold-usd", "gold-usd#2", "gold-usd#3"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{price: gold-usd, amount: 5, currency: usd}", "6:9: invoice 'inv' items[0]: give either price or amount with currency, not both"),
        ("{price: gold-usd, currency: usd}", "6:9: invoice 'inv' items[0]: give either price or amount with currency, not both"),
        ("{description: Setup}", "6:9: invoice 'inv' items[0]: needs either price or amount with currency"),
        ("{amount: 5}", "6:18: invoice 'inv' items[0]: amount needs a currency"),
        ("{currency: usd, description: x}", "6:20: invoice 'inv' items[0]: currency needs an amount"),
    ],
)
def test_item_price_xor_amount_and_currency(check: Check, item: str, message: str) -> None:
    body = f"customer: jenny\ndays_until_due: 30\nitems:\n  - {item}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [f"b.yaml:{message}"]


def test_item_amount_strict_integer(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - amount: 9.99\n    currency: usd"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:6:17: invoice 'inv' items[0].amount: expected an integer, got a float (9.99)"
    ]


def test_item_currency_not_iso(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - amount: 5\n    currency: xyz"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:7:19: invoice 'inv' items[0].currency: 'xyz' is not an ISO 4217 currency code"
    ]


def test_mixed_currencies_amount_items(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - {amount: 5, currency: usd}\n  - {amount: 5, currency: EUR}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:7:31: invoice 'inv' items[1]: currency eur differs from usd of items[0]; "
        "all items of an invoice must share one currency"
    ]


def test_mixed_currencies_counts_the_price_currency(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - price: gold-eur\n  - {amount: 5, currency: eur}\n  - price: gold-usd"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:8:16: invoice 'inv' items[2]: currency usd differs from eur of items[0]; "
        "all items of an invoice must share one currency"
    ]


def test_days_until_due_required_for_send_invoice(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jenny\ncollection_method: send_invoice\n{ITEM}")) == [
        "b.yaml:2:3: invoice 'inv': days_until_due (1..3650) or due_date is required when collection_method is send_invoice"
    ]


def test_send_invoice_is_the_default_collection_method(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jenny\n{ITEM}")) == [
        "b.yaml:2:3: invoice 'inv': days_until_due (1..3650) or due_date is required when collection_method is send_invoice"
    ]


@pytest.mark.parametrize(("days", "message"), [("0", "must be between 1 and 3650, got 0"), ("3651", "must be between 1 and 3650, got 3651")])
def test_days_until_due_range(check: Check, days: str, message: str) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jenny\ndays_until_due: {days}\n{ITEM}")) == [
        f"b.yaml:4:21: invoice 'inv' days_until_due: {message}"
    ]


def test_days_until_due_not_allowed_with_charge_automatically(check: Check) -> None:
    body = f"customer: jenny\ncollection_method: charge_automatically\ndays_until_due: 30\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:5:21: invoice 'inv' days_until_due: only allowed with collection_method send_invoice, "
        "not charge_automatically"
    ]


def test_charge_automatically_without_days_is_fine(check: Check) -> None:
    body = f"customer: jenny\ncollection_method: charge_automatically\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == []


def test_collection_method_enum(check: Check) -> None:
    body = f"customer: jenny\ncollection_method: email\ndays_until_due: 30\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:4:24: invoice 'inv' collection_method: must be one of send_invoice, charge_automatically; "
        "got a string ('email')"
    ]


def test_status_enum(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice(f"customer: jenny\ndays_until_due: 30\nstatus: Paid\n{ITEM}")) == [
        "b.yaml:5:13: invoice 'inv' status: must be one of draft, open, sent, paid, void, uncollectible; "
        "got a string ('Paid') (did you mean 'paid'?)"
    ]


def test_item_description_too_long(check: Check) -> None:
    body = f"customer: jenny\ndays_until_due: 30\nitems:\n  - amount: 5\n    currency: usd\n    description: {'x' * 501}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:8:22: invoice 'inv' items[0].description: must be at most 500 characters, got 501"
    ]


def test_item_description_of_500_is_fine(check: Check) -> None:
    body = f"customer: jenny\ndays_until_due: 30\nitems:\n  - amount: 5\n    currency: usd\n    description: {'x' * 500}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == []


def test_item_keys_unique_within_invoice(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - {key: fee, amount: 5, currency: usd}\n  - {key: fee, price: gold-usd}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:7:15: invoice 'inv' items[1].key: 'fee' is already the key of items[0]"
    ]


def test_item_key_pattern(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - {key: Setup Fee, amount: 5, currency: usd}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:6:15: invoice 'inv' items[0].key: 'Setup Fee' is not a valid key (lowercase letters, digits, "
        "'.', '_' and '-', starting with a letter or digit, at most 64 characters)"
    ]


def test_item_metadata_limits(check: Check) -> None:
    body = "customer: jenny\ndays_until_due: 30\nitems:\n  - price: gold-usd\n    metadata:\n      reconciler_item: x"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:8:11: invoice 'inv' items[0].metadata: key 'reconciler_item' is reserved "
        "(keys starting with 'reconciler_' belong to reconciler)"
    ]


def test_keyed_items_identities(check: Check) -> None:
    body = (
        "customer: jenny\ndays_until_due: 30\nitems:\n  - price: gold-usd\n  - {description: Setup fee, amount: 5, currency: usd}"
        "\n  - price: gold-usd\n  - {key: gold-usd#x, price: gold-usd}"
    )
    errors = check(a_yaml=CATALOG, b_yaml=invoice(body))
    assert errors == [
        "b.yaml:9:15: invoice 'inv' items[3].key: 'gold-usd#x' is not a valid key (lowercase letters, digits, "
        "'.', '_' and '-', starting with a letter or digit, at most 64 characters)"
    ]
    check(b_yaml=invoice(body.rsplit("\n", 1)[0]))
    keys = [key for key, _ in load_specs(["a.yaml", "b.yaml"]).invoices["inv"].keyed_items()]
    assert keys == ["gold-usd", "setup-fee", "gold-usd#2"]


def test_assume_unsent_is_valid_with_status_sent(check: Check) -> None:
    body = f"customer: jenny\ndays_until_due: 30\nstatus: sent\nassume_unsent: true\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == []


def test_assume_unsent_without_status_sent_is_an_error(check: Check) -> None:
    body = f"customer: jenny\ndays_until_due: 30\nstatus: open\nassume_unsent: true\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:6:20: invoice 'inv' assume_unsent: only meaningful with status sent (it allows a send), "
        "not open: remove it"
    ]


# Rules that depend only on the spec: validate catches them, not plan first.


def test_status_sent_needs_send_invoice(check: Check) -> None:
    body = f"customer: jenny\ncollection_method: charge_automatically\nstatus: sent\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:5:13: invoice 'inv' status: sent needs collection_method send_invoice (a charge_automatically "
        "invoice is charged, not emailed); write status: open, or collection_method: send_invoice with days_until_due"
    ]


@pytest.mark.parametrize("status", ["void", "uncollectible"])
def test_a_zero_total_invoice_cannot_be_void_or_uncollectible(check: Check, status: str) -> None:
    catalog = CATALOG.replace("customers:", "  free:\n    product: gold\n    unit_amount: 0\n    currency: usd\n"
                                            "customers:")
    body = (f"customer: jenny\ndays_until_due: 7\nstatus: {status}\n"
            "items:\n  - price: free\n    quantity: 3\n  - amount: 0\n    currency: usd")
    assert check(a_yaml=catalog, b_yaml=invoice(body)) == [
        f"b.yaml:5:13: invoice 'inv' status: {status} is out of reach: the total is 0 and Stripe marks a "
        "zero-total invoice paid when it is finalized; write status: paid (or draft), or give an item an amount"
    ]
    assert check(b_yaml=invoice(body.replace(f"status: {status}", "status: paid"))) == []


def test_a_nonzero_invoice_may_be_voided(check: Check) -> None:
    body = f"customer: jenny\ndays_until_due: 7\nstatus: void\n{ITEM}\n  - amount: 0\n    currency: usd"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == []


def test_a_nul_character_in_any_string_is_an_error(check: Check) -> None:
    body = 'customer: jenny\ndays_until_due: 7\ndescription: "March\\0"\nmetadata: {"k\\0": v}\n' + ITEM
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:5:18: invoice 'inv' description: contains a NUL character (\\0); remove it",
        "b.yaml:6:16: invoice 'inv' metadata: a key contains a NUL character (\\0); remove it",
    ]


def test_paid_out_of_band_is_valid_with_status_paid_on_either_collection_method(check: Check) -> None:
    sent = f"customer: jenny\ndays_until_due: 30\nstatus: paid\npaid_out_of_band: true\n{ITEM}"
    charged = f"customer: jenny\ncollection_method: charge_automatically\nstatus: paid\npaid_out_of_band: false\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(sent)) == []
    assert check(a_yaml=CATALOG, b_yaml=invoice(charged)) == []


def test_paid_out_of_band_without_status_paid_is_an_error(check: Check) -> None:
    body = f"customer: jenny\ndays_until_due: 30\nstatus: open\npaid_out_of_band: true\n{ITEM}"
    assert check(a_yaml=CATALOG, b_yaml=invoice(body)) == [
        "b.yaml:6:23: invoice 'inv' paid_out_of_band: only meaningful with status paid, not open: remove it"
    ]


def test_paid_out_of_band_false_on_send_invoice_is_an_error(check: Check) -> None:
    body = f"customer: jenny\ndays_until_due: 30\nstatus: paid\npaid_out_of_band: false\n{ITEM}"
    (line,) = check(a_yaml=CATALOG, b_yaml=invoice(body))
    assert line.startswith("b.yaml:6:23: invoice 'inv' paid_out_of_band: false needs collection_method "
                           "charge_automatically")
