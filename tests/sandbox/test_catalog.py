"""Products and prices through the real SDK."""

from __future__ import annotations

from decimal import Decimal

import pytest
import stripe

from .helpers import error_of, make_price


def test_product_create_retrieve_update_list(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create(
        {"name": "Gold Special", "metadata": {"reconciler_id": "gold", "empty": ""}}
    )
    assert product.id.startswith("prod_")
    assert product.active is True and product.metadata.to_dict() == {"reconciler_id": "gold"}
    updated = stripe_client.v1.products.update(
        product.id, {"description": "Shiny", "metadata": {"reconciler_id": "", "tier": "1"}}
    )
    assert updated.description == "Shiny"
    assert updated.metadata.to_dict() == {"tier": "1"}
    assert stripe_client.v1.products.retrieve(product.id).description == "Shiny"
    stripe_client.v1.products.update(product.id, {"active": False})
    assert [p.id for p in stripe_client.v1.products.list({"active": False}).data] == [product.id]
    assert stripe_client.v1.products.list({"active": True}).data == []


def test_product_custom_id_and_duplicate(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create({"id": "gold-special", "name": "Gold"})
    assert product.id == "gold-special"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.products.create({"id": "gold-special", "name": "Gold"})
    assert error_of(caught.value)["code"] == "resource_already_exists"
    assert caught.value.http_status == 400


def test_product_delete_refused_while_it_has_prices(stripe_client: stripe.StripeClient) -> None:
    price = make_price(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.products.delete(price.product)
    assert "has one or more user-created prices" in error_of(caught.value)["message"]
    lonely = stripe_client.v1.products.create({"name": "Lonely"})
    deleted = stripe_client.v1.products.delete(lonely.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.products.retrieve(lonely.id)
    assert missing.value.http_status == 404
    assert error_of(missing.value)["code"] == "resource_missing"


def test_price_fields_and_immutable_amount(stripe_client: stripe.StripeClient) -> None:
    price = make_price(stripe_client, 1000, "USD")
    assert (price.unit_amount, price.currency, price.type, price.unit_amount_decimal) == (
        1000, "usd", "one_time", Decimal("1000")
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.prices.update(price.id, {"unit_amount": 2000})  # type: ignore[typeddict-unknown-key]
    assert error_of(caught.value)["code"] == "parameter_unknown"
    assert error_of(caught.value)["param"] == "unit_amount"
    updated = stripe_client.v1.prices.update(price.id, {"nickname": "std", "active": False})
    assert (updated.nickname, updated.active, updated.unit_amount) == ("std", False, 1000)


def test_a_recurring_price_exists_and_invoice_items_refuse_it(stripe_client: stripe.StripeClient) -> None:
    product = stripe_client.v1.products.create({"name": "Gold monthly"})
    monthly = stripe_client.v1.prices.create(
        {"product": product.id, "unit_amount": 900, "currency": "usd", "recurring": {"interval": "month"}}
    )
    assert (monthly.type, monthly.recurring and monthly.recurring.interval) == ("recurring", "month")
    customer = stripe_client.v1.customers.create({"name": "Jenny"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create({"customer": customer.id, "pricing": {"price": monthly.id}})
    assert error_of(caught.value)["message"] == (
        "The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`."
    )
    assert error_of(caught.value)["param"] == "pricing[price]"


def test_price_lookup_keys_unique_and_transferable(stripe_client: stripe.StripeClient) -> None:
    old = make_price(stripe_client)
    old = stripe_client.v1.prices.update(old.id, {"lookup_key": "gold-usd"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.prices.create(
            {"product": old.product, "unit_amount": 1200, "currency": "usd", "lookup_key": "gold-usd"}
        )
    assert "already uses that lookup key" in error_of(caught.value)["message"]
    new = stripe_client.v1.prices.create(
        {"product": old.product, "unit_amount": 1200, "currency": "usd", "lookup_key": "gold-usd",
         "transfer_lookup_key": True}
    )
    assert stripe_client.v1.prices.retrieve(old.id).lookup_key is None
    listed = stripe_client.v1.prices.list({"lookup_keys": ["gold-usd"]})
    assert [p.id for p in listed.data] == [new.id]


def test_price_list_filters_by_product(stripe_client: stripe.StripeClient) -> None:
    first = make_price(stripe_client)
    make_price(stripe_client)
    listed = stripe_client.v1.prices.list({"product": str(first.product)})
    assert [p.id for p in listed.data] == [first.id]


def test_price_expand_product(stripe_client: stripe.StripeClient) -> None:
    price = make_price(stripe_client)
    expanded = stripe_client.v1.prices.retrieve(price.id, {"expand": ["product"]})
    assert isinstance(expanded.product, stripe.Product)
    assert expanded.product.name == "Gold Special"
