"""Rules that keep specs inside what Stripe stores and accepts: empty metadata,
archived prices on items, quantity on amount items, the amount ceiling, shared lookup keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

Check = Callable[..., list[str]]

PRODUCT = "products:\n  gold:\n    name: Gold\n"
CATALOG = PRODUCT + """\
prices:
  gold-usd:
    product: gold
    unit_amount: 1000
    currency: usd
customers:
  jenny:
    name: Jenny Rosen
"""


def invoice(*item_lines: str) -> str:
    """An invoices file with one invoice 'inv' whose first item starts on line 6."""
    body = "invoices:\n  inv:\n    customer: jenny\n    days_until_due: 30\n    items:\n"
    return body + "".join(f"      {line}\n" for line in item_lines)


def test_empty_metadata_value_is_an_error(check: Check) -> None:
    text = PRODUCT + '    metadata:\n      team: ""\n      ok: "x"\n'
    assert check(a_yaml=text) == [
        "a.yaml:5:13: product 'gold' metadata: value of 'team' is empty; "
        "Stripe treats an empty value as unset: remove the key instead"
    ]


def test_empty_metadata_key_is_an_error(check: Check) -> None:
    text = "customers:\n  c:\n    metadata:\n      \"\": v\n"
    assert check(a_yaml=text) == ["a.yaml:4:7: customer 'c' metadata: a key must not be empty"]


def test_empty_item_metadata_value_is_an_error(check: Check) -> None:
    text = invoice("- price: gold-usd", "  metadata:", '    po: ""')
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:8:15: invoice 'inv' items[0].metadata: value of 'po' is empty; "
        "Stripe treats an empty value as unset: remove the key instead"
    ]


def test_item_with_an_archived_price_is_an_error(check: Check) -> None:
    catalog = CATALOG.replace("    currency: usd\n", "    currency: usd\n    active: false\n")
    assert check(a_yaml=catalog, b_yaml=invoice("- price: gold-usd")) == [
        "b.yaml:6:16: invoice 'inv' items[0].price: price 'gold-usd' is archived (active: false); "
        "Stripe refuses inactive prices on new items"
    ]


def test_archived_price_nobody_bills_is_fine(check: Check) -> None:
    assert check(a_yaml=CATALOG.replace("    currency: usd\n", "    currency: usd\n    active: false\n")) == []


def test_quantity_on_an_amount_item_is_an_error(check: Check) -> None:
    text = invoice("- description: seats", "  amount: 500", "  currency: usd", "  quantity: 3")
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:9:19: invoice 'inv' items[0].quantity: quantity applies only to price items; amount is the line total"
    ]


def test_quantity_on_a_price_item_is_fine(check: Check) -> None:
    assert check(a_yaml=CATALOG, b_yaml=invoice("- price: gold-usd", "  quantity: 3")) == []


@pytest.mark.parametrize(
    ("amount", "errors"),
    [
        ("99999999", []),
        (
            "100000000",
            ["a.yaml:7:18: price 'gold-usd' unit_amount: must be at most 99999999 (Stripe's maximum amount: 8 digits), got 100000000"],
        ),
        (
            "99999999999999999999999",
            [
                "a.yaml:7:18: price 'gold-usd' unit_amount: must be at most 99999999 (Stripe's maximum amount: 8 digits), "
                "got 99999999999999999999999"
            ],
        ),
        ("-1", ["a.yaml:7:18: price 'gold-usd' unit_amount: must be at least 0, got -1"]),
    ],
)
def test_unit_amount_ceiling(check: Check, amount: str, errors: list[str]) -> None:
    text = PRODUCT + f"prices:\n  gold-usd:\n    product: gold\n    unit_amount: {amount}\n    currency: usd\n"
    assert check(a_yaml=text) == errors


def test_item_amount_ceiling(check: Check) -> None:
    text = invoice("- description: big", "  amount: 100000000", "  currency: usd")
    assert check(a_yaml=CATALOG, b_yaml=text) == [
        "b.yaml:7:17: invoice 'inv' items[0].amount: must be at most 99999999 (Stripe's maximum amount: 8 digits), "
        "got 100000000"
    ]


def test_two_prices_cannot_share_a_lookup_key(check: Check) -> None:
    text = PRODUCT + (
        "prices:\n"
        "  a:\n    product: gold\n    unit_amount: 1\n    currency: usd\n    lookup_key: pro\n"
        "  b:\n    product: gold\n    unit_amount: 2\n    currency: usd\n    lookup_key: pro\n"
    )
    assert check(a_yaml=text) == ["a.yaml:14:17: price 'b' lookup_key: 'pro' is already the lookup_key of price 'a'"]
