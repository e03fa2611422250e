"""Spec keys of imported objects: readable, valid, de-duplicated the same way every run."""

from __future__ import annotations

from dataclasses import replace

from reconciler.importer.keys import derive_keys, is_valid_key, slug
from reconciler.live.inventory import Found, Inventory
from reconciler.live.records import LiveCustomer, LiveInvoice, LivePrice, LiveProduct


def customer(stripe_id: str, name: str | None = None, email: str | None = None, created: int = 1, key: str = "") -> Found[LiveCustomer]:
    return Found(LiveCustomer(stripe_id, key, name, email), created)


def test_slugs_are_in_the_key_alphabet() -> None:
    assert slug("Zoë Ängström") == "zoe-angstrom"
    assert slug("  Acme Corp. (EU)  ") == "acme-corp.-eu"
    assert slug("jenny.rosen@example.com") == "jenny.rosen-example.com"
    assert slug("A461B904-0001") == "a461b904-0001"
    assert slug("株式会社") == ""
    assert len(slug("x" * 200)) == 64 and is_valid_key(slug("x" * 200))


def test_same_name_customers_get_distinct_keys_the_oldest_keeps_the_plain_one() -> None:
    found = (customer("cus_newerAbCdEf", "Dana Scully", created=20), customer("cus_olderXyZ123", "Dana Scully", created=10))
    keys = derive_keys(Inventory(customers=found)).customers
    assert keys == {"cus_olderXyZ123": "dana-scully", "cus_newerAbCdEf": "dana-scully-abcdef"}
    # The same account in another list order: the same keys.
    assert derive_keys(Inventory(customers=found[::-1])).customers == keys


def test_a_managed_object_keeps_its_key_and_others_step_aside() -> None:
    found = (customer("cus_aaaaaa111111", "Jenny Rosen", created=1), customer("cus_bbbbbb222222", "Someone", key="jenny-rosen"))
    assert derive_keys(Inventory(customers=found)).customers == {
        "cus_bbbbbb222222": "jenny-rosen", "cus_aaaaaa111111": "jenny-rosen-111111",
    }  # fmt: skip


def test_customers_without_a_name_use_the_email_then_the_id() -> None:
    found = (customer("cus_1", email="billing@acme.example"), customer("cus_QwErTy987654"))
    assert derive_keys(Inventory(customers=found)).customers == {
        "cus_1": "billing-acme.example", "cus_QwErTy987654": "customer-987654",
    }  # fmt: skip


def test_prices_use_the_lookup_key_else_product_and_currency_then_the_amount() -> None:
    product = Found(LiveProduct("prod_1", "", "Gold Special"), 1)
    prices = (
        Found(LivePrice("price_a", "", "prod_1", 1000, "usd", active=False), 1),
        Found(LivePrice("price_b", "", "prod_1", 1200, "usd"), 2),
        Found(LivePrice("price_c", "", "prod_1", 900, "usd", lookup_key="Gold Monthly"), 3),
        Found(LivePrice("price_d", "", "prod_1", 1000, "eur"), 4),
    )
    keys = derive_keys(Inventory(products=(product,), prices=prices)).prices
    # The active price keeps the plain key; the archived one is told apart by its amount.
    assert keys == {
        "price_b": "gold-special-usd", "price_a": "gold-special-usd-1000", "price_c": "gold-monthly",
        "price_d": "gold-special-eur",
    }  # fmt: skip


def test_an_object_that_cannot_be_imported_takes_no_key() -> None:
    product = Found(LiveProduct("prod_1", "", "Gold"), 1)
    monthly = Found(LivePrice("price_m", "", "prod_1", 900, "usd"), 1, unsupported="a recurring price")
    one_off = Found(LivePrice("price_o", "", "prod_1", 1000, "usd"), 2)
    keys = derive_keys(Inventory(products=(product,), prices=(monthly, one_off))).prices
    assert keys == {"price_o": "gold-usd"}


def test_invoices_by_customer_and_month_then_day_never_by_stripe_number() -> None:
    jenny = customer("cus_1", "Jenny Rosen")
    day = 1_795_000_000  # 2026-11-18 UTC
    draft = LiveInvoice("in_d", "", "cus_1", "draft", "send_invoice", 30, "usd")
    invoices = (
        Found(replace(draft, id="in_open", status="open", number="A461B904-0001"), day - 40 * 86_400),
        Found(draft, day),
        Found(replace(draft, id="in_d2", status="paid", number="A461B904-0002"), day + 7 * 86_400),
        Found(replace(draft, id="in_d3ABCDEF"), day + 60),
    )
    keys = derive_keys(Inventory(customers=(jenny,), invoices=invoices)).invoices
    assert keys == {
        "in_open": "jenny-rosen-2026-10", "in_d": "jenny-rosen-2026-11", "in_d2": "jenny-rosen-2026-11-25",
        "in_d3ABCDEF": "jenny-rosen-2026-11-abcdef",
    }  # fmt: skip
    assert all(is_valid_key(k) for k in keys.values())
