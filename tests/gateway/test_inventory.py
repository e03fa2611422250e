"""What the spec format cannot express, decided from Stripe's JSON (plain data),
and the inventory read through the real SDK."""

from __future__ import annotations

import math

import pytest
import stripe

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.inventory import customer_notes, invoice_notes, price_notes, product_notes, read_inventory
from reconciler.sandbox import RunningSandbox

ONE_OFF = {"id": "price_1", "type": "one_time", "billing_scheme": "per_unit", "unit_amount": 1000, "tax_behavior": "unspecified"}


def test_prices_the_spec_format_cannot_hold_are_unsupported() -> None:
    assert price_notes(ONE_OFF) == ((), "")
    assert price_notes({**ONE_OFF, "type": "recurring", "recurring": {"interval": "month"}})[1].startswith("a recurring price")
    assert price_notes({**ONE_OFF, "billing_scheme": "tiered", "unit_amount": None})[1].startswith("a tiered price")
    assert price_notes({**ONE_OFF, "custom_unit_amount": {"preset": 500}})[1].startswith("a price the customer chooses")
    assert price_notes({**ONE_OFF, "transform_quantity": {"divide_by": 10}})[1].startswith("a price that transforms")
    assert price_notes({**ONE_OFF, "unit_amount": None, "unit_amount_decimal": "10.5"})[1].startswith("a price without")
    assert price_notes({**ONE_OFF, "tax_behavior": "exclusive"}) == (("tax_behavior",), "")


def test_fields_left_in_stripe_are_named() -> None:
    assert product_notes({"images": [], "url": None, "default_price": "price_1", "tax_code": "txcd_1"}) == (
        ("tax_code", "default_price"), "",
    )  # fmt: skip
    settings = {"custom_fields": None, "footer": "Thanks", "default_payment_method": None}
    assert customer_notes(
        {"address": {"city": "Paris"}, "tax_exempt": "exempt", "balance": -500, "invoice_settings": settings}
    ) == (("balance",), "")  # address, tax_exempt and invoice_settings are spec fields (issue 18)
    assert customer_notes({"tax_exempt": "none", "balance": 0, "preferred_locales": []}) == ((), "")


def test_invoices_with_discounts_taxes_or_a_subscription() -> None:
    plain = {"billing_reason": "manual", "parent": None, "lines": {"data": []}, "automatic_tax": {"enabled": False}}
    assert invoice_notes(plain) == ((), "")
    taxed = {**plain, "discounts": ["di_1"], "total_taxes": [{"amount": 200}], "automatic_tax": {"enabled": True}}
    assert invoice_notes(taxed) == (("discounts", "taxes", "automatic_tax"), "")
    by_subscription = {**plain, "billing_reason": "subscription_cycle"}
    assert invoice_notes(by_subscription)[1].startswith("an invoice of a subscription")
    with_parent = {**plain, "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1"}}}
    assert invoice_notes(with_parent)[1].startswith("an invoice of a subscription")
    line = {"parent": {"type": "subscription_item_details", "subscription_item_details": {"subscription": "sub_1"}}}
    assert invoice_notes({**plain, "lines": {"data": [line]}})[1].startswith("an invoice of a subscription")
    assert invoice_notes({**plain, "parent": {"quote_details": {"quote": "qt_1"}}})[1].startswith("an invoice made from a quote")


@pytest.mark.slow
def test_the_inventory_reads_every_object_in_list_pages_and_writes_nothing(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    product = stripe_client.v1.products.create(params={"name": "Gold", "metadata": {"reconciler_id": "gold"}})
    stripe_client.v1.prices.create(params={"product": product.id, "unit_amount": 100, "currency": "usd", "recurring": {"interval": "year"}})
    for n in range(150):
        stripe_client.v1.customers.create(params={"name": f"Customer {n}"})
    before = sandbox.stats()
    inventory = read_inventory(gateway)
    after = sandbox.stats()
    assert after["writes"] == before["writes"]
    assert [f.record.key for f in inventory.products] == ["gold"] and inventory.products[0].managed
    assert inventory.prices[0].unsupported.startswith("a recurring price")
    assert len(inventory.customers) == 150 and not any(f.managed for f in inventory.customers)
    lists = {route: n - before["by_route"].get(route, 0) for route, n in after["by_route"].items() if route.startswith("GET ")}
    assert lists == {"GET /v1/products": 1, "GET /v1/prices": 1, "GET /v1/customers": math.ceil(150 / 100),
                     "GET /v1/tax_rates": 1, "GET /v1/coupons": 1, "GET /v1/invoices": 1,
                     "GET /v1/credit_notes": 1}  # import reads credit notes too (issue 20)
