"""Field rules: unknown and missing fields, strict types, keys, currencies, email, metadata."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.spec.loader import load_specs

Check = Callable[..., list[str]]

PRODUCT = "products:\n  gold:\n    name: Gold\n"


def test_unknown_field_with_near_miss(check: Check) -> None:
    assert check(a_yaml="products:\n  gold:\n    nmae: Gold\n") == [
        "a.yaml:2:3: product 'gold': missing required field 'name'",
        "a.yaml:3:5: product 'gold': unknown field 'nmae' (did you mean 'name'?)",
    ]


def test_unknown_field_without_near_miss_lists_allowed(check: Check) -> None:
    assert check(a_yaml=PRODUCT + "    colour: gold\n") == [
        "a.yaml:4:5: product 'gold': unknown field 'colour' (allowed: name, description, active, unit_label, metadata, adopt)"
    ]


def test_unknown_item_field(check: Check) -> None:
    text = """
    customers:
      c:
        name: C
    invoices:
      i:
        customer: c
        days_until_due: 30
        items:
          - amont: 100
            currency: usd
    """
    assert check(a_yaml=text) == [
        "a.yaml:9:9: invoice 'i' items[0]: unknown field 'amont' (did you mean 'amount'?)"
    ]


def test_missing_required_fields(check: Check) -> None:
    assert check(a_yaml=PRODUCT + "prices:\n  gold-usd:\n    currency: usd\n") == [
        "a.yaml:5:3: price 'gold-usd': missing required field 'product'",
        "a.yaml:5:3: price 'gold-usd': missing required field 'unit_amount'",
    ]


def test_entry_that_is_not_a_mapping(check: Check) -> None:
    assert check(a_yaml="products:\n  gold: Gold\n  silver:\n") == [
        "a.yaml:2:9: product 'gold': expected a mapping, got a string ('Gold')",
        "a.yaml:3:10: product 'silver': expected a mapping, got null",
    ]


def price(amount: str, currency: str = "usd") -> str:
    return PRODUCT + f"prices:\n  gold-usd:\n    product: gold\n    unit_amount: {amount}\n    currency: {currency}\n"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ('"10"', "expected an integer, got a string ('10'); write the number without quotes"),
        ("10.0", "expected an integer, got a float (10.0)"),
        ("true", "expected an integer, got a boolean (true)"),
        ("-1", "must be at least 0, got -1"),
        ("null", "expected an integer, got null"),
    ],
)
def test_amount_must_be_a_non_negative_integer(check: Check, amount: str, message: str) -> None:
    assert check(a_yaml=price(amount)) == [f"a.yaml:7:18: price 'gold-usd' unit_amount: {message}"]


def test_string_field_rejects_numbers(check: Check) -> None:
    assert check(a_yaml="products:\n  gold:\n    name: 42\n") == [
        "a.yaml:3:11: product 'gold' name: expected a string, got an integer (42); quote it to make it a string"
    ]


def test_bool_field_rejects_strings(check: Check) -> None:
    assert check(a_yaml=PRODUCT + '    active: "yes"\n') == [
        "a.yaml:4:13: product 'gold' active: expected true or false, got a string ('yes')"
    ]


def test_empty_name(check: Check) -> None:
    assert check(a_yaml='products:\n  gold:\n    name: ""\n') == ["a.yaml:3:11: product 'gold' name: must not be empty"]


@pytest.mark.parametrize("key", ["Gold", "-gold", "gold special", "g" * 65, "gold/special"])
def test_spec_key_pattern(check: Check, key: str) -> None:
    assert check(a_yaml=f"products:\n  {key!r}:\n    name: Gold\n".replace("'", '"')) == [
        f"a.yaml:2:3: product key {key!r} is not a valid key (lowercase letters, digits, '.', '_' and '-', "
        "starting with a letter or digit, at most 64 characters)"
    ]


@pytest.mark.parametrize("key", ["gold", "0", "gold.special_2026-11", "g" * 64])
def test_valid_spec_keys(check: Check, key: str) -> None:
    assert check(a_yaml=f"products:\n  {key}:\n    name: Gold\n") == []


def test_currency_any_case_is_normalised(check: Check) -> None:
    assert check(a_yaml=price("10", "EuR")) == []
    assert load_specs(["a.yaml"]).prices["gold-usd"].currency == "eur"


def test_currency_not_iso_4217_with_near_miss(check: Check) -> None:
    assert check(a_yaml=price("10", "usdd")) == [
        "a.yaml:8:15: price 'gold-usd' currency: 'usdd' is not an ISO 4217 currency code (did you mean 'usd'?)"
    ]


def test_currency_made_up_three_letters(check: Check) -> None:
    assert check(a_yaml=price("10", "QQQ")) == [
        "a.yaml:8:15: price 'gold-usd' currency: 'qqq' is not an ISO 4217 currency code"
    ]


def test_currency_must_be_a_string(check: Check) -> None:
    assert check(a_yaml=price("10", "840")) == [
        "a.yaml:8:15: price 'gold-usd' currency: expected a string, got an integer (840); quote it to make it a string"
    ]


@pytest.mark.parametrize("email", ["jenny", "jenny@", "@example.com", "jenny@example", "jenny rosen@example.com", "a..b@example.com"])
def test_invalid_email(check: Check, email: str) -> None:
    assert check(a_yaml=f'customers:\n  jenny:\n    email: "{email}"\n') == [
        f"a.yaml:3:12: customer 'jenny' email: {email!r} is not a valid email address"
    ]


@pytest.mark.parametrize("email", ["jenny.rosen@example.com", "j+tag@mail.example.co.uk", "O'Brien@example.ie"])
def test_valid_email(check: Check, email: str) -> None:
    assert check(a_yaml=f'customers:\n  jenny:\n    email: "{email}"\n') == []


def metadata(lines: list[str]) -> str:
    return PRODUCT + "    metadata:\n" + "".join(f"      {line}\n" for line in lines)


def test_metadata_too_many_keys(check: Check) -> None:
    assert check(a_yaml=metadata([f'k{i}: "v"' for i in range(47)])) == [
        "a.yaml:5:7: product 'gold' metadata: at most 46 keys, got 47 (Stripe allows 50; reconciler keeps 4 for its own)"
    ]


def test_metadata_forty_six_keys_is_fine(check: Check) -> None:
    assert check(a_yaml=metadata([f'k{i}: "v"' for i in range(46)])) == []


def test_metadata_key_names_must_fit_the_ownership_record(check: Check) -> None:
    keys = [f"{'k' * 38}{i:02d}" for i in range(13)]  # 13 × 40 + 12 commas = 532
    assert check(a_yaml=metadata([f"{k}: v" for k in keys])) == [
        "a.yaml:5:7: product 'gold' metadata: the key names joined by commas are 532 characters; at most 500 "
        "(reconciler records them in one metadata value)"
    ]


def test_metadata_key_with_a_comma_is_refused(check: Check) -> None:
    assert check(a_yaml=metadata(['"a,b": v'])) == [
        "a.yaml:5:7: product 'gold' metadata: key 'a,b' must not contain ',' (reconciler records its keys comma-separated)"
    ]


def test_metadata_key_too_long(check: Check) -> None:
    key = "k" * 41
    assert check(a_yaml=metadata([f"{key}: v", "k" * 40 + ": v"])) == [
        f"a.yaml:5:7: product 'gold' metadata: key '{key}' is 41 characters; at most 40"
    ]


def test_metadata_key_with_brackets(check: Check) -> None:
    assert check(a_yaml=metadata(['"a[0]": v'])) == [
        "a.yaml:5:7: product 'gold' metadata: key 'a[0]' must not contain '[' or ']'"
    ]


def test_metadata_value_too_long(check: Check) -> None:
    assert check(a_yaml=metadata(["note: " + "x" * 501, "ok: " + "x" * 500])) == [
        "a.yaml:5:13: product 'gold' metadata: value of 'note' is 501 characters; at most 500"
    ]


def test_metadata_reserved_prefix(check: Check) -> None:
    assert check(a_yaml=metadata(["reconciler_id: other"])) == [
        "a.yaml:5:7: product 'gold' metadata: key 'reconciler_id' is reserved "
        "(keys starting with 'reconciler_' belong to reconciler)"
    ]


def test_metadata_values_are_strings(check: Check) -> None:
    assert check(a_yaml=metadata(["tier: 1"])) == [
        "a.yaml:5:13: product 'gold' metadata.tier: expected a string, got an integer (1); quote it to make it a string"
    ]


def test_errors_of_all_files_are_reported_together(check: Check) -> None:
    assert check(a_yaml="products:\n  gold:\n    name: 1\n", b_yaml="customers:\n  c:\n    emial: x\n") == [
        "a.yaml:3:11: product 'gold' name: expected a string, got an integer (1); quote it to make it a string",
        "b.yaml:3:5: customer 'c': unknown field 'emial' (did you mean 'email'?)",
    ]
