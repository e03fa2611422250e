"""Invoice items, customers, products and prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
import stripe

from tests.sandbox.conformance.rules import (
    CREATE_CUSTOMER,
    CREATE_ITEM,
    CREATE_PRICE,
    CURRENCIES,
    LIST_ITEMS,
    PRICE_OBJECT,
    stripe_rule,
)
from tests.sandbox.helpers import error_of, make_customer, make_draft, make_price


@stripe_rule(CREATE_ITEM, "Controls whether discounts apply to this invoice item. Defaults to false for "
             "prorations or negative invoice items, and true for all other invoice items.")
def test_discountable_defaults(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    items = stripe_client.v1.invoice_items
    negative = items.create({"customer": customer.id, "amount": -500, "currency": "usd"})
    positive = items.create({"customer": customer.id, "amount": 500, "currency": "usd"})
    chosen = items.create({"customer": customer.id, "amount": -500, "currency": "usd", "discountable": True})
    assert (negative.discountable, positive.discountable, chosen.discountable) == (False, True, True)


@stripe_rule(CREATE_ITEM, "The decimal unit amount in cents (or local equivalent) of the charge to be applied to "
             "the upcoming invoice. This `unit_amount_decimal` will be multiplied by the quantity to get the full "
             "amount.")
def test_unit_amount_decimal_times_quantity(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client, items=0)
    item = stripe_client.v1.invoice_items.create(
        {"invoice": draft.id, "unit_amount_decimal": Decimal("12.5"), "quantity": 3, "currency": "usd"}
    )
    assert (item.amount, str(item.pricing.unit_amount_decimal), item.quantity) == (38, "12.5", 3)
    assert stripe_client.v1.invoices.retrieve(draft.id).total == 38


@stripe_rule(CREATE_ITEM, "Non-negative decimal with at most 12 decimal places. The quantity of units for the "
             "invoice item.")
def test_quantity_decimal(stripe_client: stripe.StripeClient) -> None:
    price = make_price(stripe_client, amount=1000)
    draft = make_draft(stripe_client, items=0)
    item = stripe_client.v1.invoice_items.create(
        {"invoice": draft.id, "pricing": {"price": price.id}, "quantity_decimal": Decimal("1.25")}
    )
    assert (item.amount, str(item.quantity_decimal)) == (1250, "1.25")
    with pytest.raises(stripe.InvalidRequestError) as both:
        stripe_client.v1.invoice_items.create(
            {"invoice": draft.id, "pricing": {"price": price.id}, "quantity": 1, "quantity_decimal": Decimal("1")}
        )
    assert "quantity, quantity_decimal" in error_of(both.value)["message"]
    with pytest.raises(stripe.InvalidRequestError) as negative:
        stripe_client.v1.invoice_items.create(
            {"invoice": draft.id, "pricing": {"price": price.id}, "quantity_decimal": Decimal("-1")}
        )
    assert error_of(negative.value)["param"] == "quantity_decimal"


@stripe_rule(LIST_ITEMS, "Set to `true` to only show pending invoice items, which are not yet attached to any "
             "invoices. Set to `false` to only show invoice items already attached to invoices. If unspecified, "
             "no filter is applied.")
def test_pending_filter(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client, items=1)
    pending = stripe_client.v1.invoice_items.create({"customer": draft.customer, "amount": 1, "currency": "usd"})
    items = stripe_client.v1.invoice_items

    def ids(params: dict[str, object]) -> set[str]:
        return {i.id for i in items.list({"customer": draft.customer, **params}).data}

    attached = ids({}) - {pending.id}
    assert ids({"pending": True}) == {pending.id}
    assert ids({"pending": False}) == attached and len(attached) == 1
    assert ids({}) == attached | {pending.id}


@stripe_rule(CREATE_CUSTOMER, "Customer's email address. It's displayed alongside the customer in your dashboard "
             "and can be useful for searching and tracking. This may be up to *512 characters*.")
# Addresses Stripe refused in public error reports ("Invalid email address: otameshi@com",
# fjordllc/bootcamp#4134, #3927, #7638), and one past the 512 characters.
@pytest.mark.parametrize("email", ["not-an-email", "otameshi@com", " k.shimizu139@gmail.com",
                                   "paasonauyuya\uff20iCloud.com", "x" * 510 + "@example.com"])
def test_customer_email_must_be_an_address(stripe_client: stripe.StripeClient, email: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.create({"email": email})
    assert (error_of(caught.value)["param"], error_of(caught.value)["code"]) == ("email", "email_invalid")
    assert error_of(caught.value)["message"] == f"Invalid email address: {email}"
    customer = make_customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.update(customer.id, {"email": email})


@stripe_rule(CREATE_CUSTOMER, "The prefix for the customer used to generate unique invoice numbers. Must be 1–12 "
             "uppercase letters or numbers.")
def test_invoice_prefix_shape(stripe_client: stripe.StripeClient) -> None:
    for bad in ("abc", "ABC-1", "ABCDEFGHIJKLM"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.customers.create({"invoice_prefix": bad})
        assert error_of(caught.value)["param"] == "invoice_prefix"
    assert stripe_client.v1.customers.create({"invoice_prefix": "ACME2"}).invoice_prefix == "ACME2"


@stripe_rule(CREATE_PRICE, "A lookup key used to retrieve prices dynamically from a static string. This may be up "
             "to 200 characters.")
def test_lookup_key_length(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create({"name": "Gold"})
    params = {"product": product.id, "unit_amount": 100, "currency": "usd"}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.prices.create({**params, "lookup_key": "k" * 201})
    assert error_of(caught.value)["param"] == "lookup_key"
    assert stripe_client.v1.prices.create({**params, "lookup_key": "k" * 200}).lookup_key == "k" * 200


@stripe_rule(CURRENCIES, "Three-letter ISO currency code, in lowercase. Must be a supported currency.")
def test_price_currency_must_be_supported(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create({"name": "Gold"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.prices.create({"product": product.id, "unit_amount": 100, "currency": "zzz"})
    assert error_of(caught.value)["message"].startswith("Invalid currency: zzz. Stripe currently supports")
    customer = make_customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoice_items.create({"customer": customer.id, "amount": 1, "currency": "zzz"})


@stripe_rule(CREATE_PRICE, "Same as `unit_amount`, but accepts a decimal value in cents (or local equivalent) with "
             "at most 12 decimal places. Only one of `unit_amount` and `unit_amount_decimal` can be set.")
def test_unit_amount_and_its_decimal_are_exclusive(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create({"name": "Gold"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.prices.create(
            {"product": product.id, "currency": "usd", "unit_amount": 12, "unit_amount_decimal": Decimal("12")}
        )
    assert "unit_amount, unit_amount_decimal" in error_of(caught.value)["message"]


@stripe_rule(PRICE_OBJECT, "The unit amount in cents (or local equivalent) to be charged, represented as a whole "
             "integer if possible.")
def test_fractional_unit_amount_decimal_is_kept(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create({"name": "Gold"})
    price = stripe_client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount_decimal": Decimal("12.5")}
    )
    assert (price.unit_amount, str(price.unit_amount_decimal)) == (None, "12.5")
    draft = make_draft(stripe_client, items=0)
    item = stripe_client.v1.invoice_items.create({"invoice": draft.id, "pricing": {"price": price.id}, "quantity": 2})
    assert item.amount == 25
