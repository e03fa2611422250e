"""Integers follow YAML 1.2: what YAML 1.1 (PyYAML's default) reads as octal,
hex, binary, sexagesimal or underscored numbers is an error with its position,
never a silently different amount."""

from __future__ import annotations

from collections.abc import Callable

import pytest

Check = Callable[..., list[str]]

PRICE = "products:\n  x:\n    name: X\nprices:\n  p:\n    product: x\n    unit_amount: {amount}\n    currency: usd\n"


@pytest.mark.parametrize(
    ("written", "yaml11"),
    [("0100", "64"), ("1:30", "90"), ("0x1F", "31"), ("0b11", "3"), ("1_000", "1000")],
)
def test_yaml_1_1_integers_are_errors_naming_the_value(check: Check, written: str, yaml11: str) -> None:
    assert check(a_yaml=PRICE.format(amount=written)) == [
        f"a.yaml:7:18: '{written}' is not a decimal integer: integers here follow YAML 1.2 (YAML 1.1 would read it "
        f"as {yaml11}); write plain decimal digits without leading zeros, or quote it for a string"
    ]


def test_yaml_1_2_octal_is_no_integer_either(check: Check) -> None:
    """PyYAML reads 0o17 as a string; it is refused as one, with its position."""
    assert check(a_yaml=PRICE.format(amount="0o17")) == [
        "a.yaml:7:18: price 'p' unit_amount: expected an integer, got a string ('0o17')"
    ]


@pytest.mark.parametrize("written", ["100", "0", "+100"])
def test_decimal_integers_are_read_as_written(check: Check, written: str) -> None:
    assert check(a_yaml=PRICE.format(amount=written)) == []


def test_quoted_they_are_strings(check: Check) -> None:
    text = PRICE.format(amount="1000") + "    metadata:\n      code: '0100'\n"
    assert check(a_yaml=text) == []
