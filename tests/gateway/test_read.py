"""read_live against the sandbox: what it keeps, what it ignores, what it costs."""

from __future__ import annotations

import pytest
import stripe

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.kinds import KINDS
from reconciler.live.records import Live, LiveCustomer, LiveProduct
from reconciler.ownership import SEND_KEY, SEND_REQUESTED

from .seeding import Seed

# One list call per registered kind (products, prices, customers, tax rates, coupons, invoices).
LISTS = {f"GET {info.list_path}": 1 for info in KINDS.values()}


def test_empty_account_reads_empty_live_state_with_one_list_call_per_kind(gateway: StripeGateway) -> None:
    # read_at is Stripe's clock at the read (its answers' Date).
    assert read_live(gateway) == Live(read_at=gateway.server_time)
    assert dict(gateway.request_counts) == LISTS
    assert gateway.total_requests == len(KINDS)


def test_unmanaged_look_alikes_are_ignored(gateway: StripeGateway, seed: Seed) -> None:
    managed = seed.product("gold", metadata={"team": "billing", "reconciler_other": "x"})
    unmanaged = seed.product(None, metadata={"team": "billing"})
    seed.price(None, unmanaged.id)
    seed.price("gold-usd", managed.id)
    jenny = seed.customer("jenny", email="jenny.rosen@example.com")
    other = seed.customer(None, email="jenny.rosen@example.com")
    seed.customer("", name="empty tag is not a tag")
    seed.invoice(None, other.id)
    seed.invoice(None, jenny.id)

    live = read_live(gateway)

    assert live.products == {
        "gold": LiveProduct(id=managed.id, key="gold", name="Gold Special", metadata={"team": "billing"})
    }
    assert list(live.prices) == ["gold-usd"]
    assert live.prices["gold-usd"].product_id == managed.id
    assert live.customers == {
        # Stripe gives every customer an invoice prefix of its own.
        "jenny": LiveCustomer(id=jenny.id, key="jenny", name="Jenny Rosen", email="jenny.rosen@example.com",
                              invoice_prefix=jenny.invoice_prefix)
    }
    assert live.invoices == {}
    assert live.duplicates == {}


def test_invoice_fields_and_items_are_mapped(gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient) -> None:
    product = seed.product("gold")
    price = seed.price("gold-usd", product.id, unit_amount=1000)
    jenny = seed.customer("jenny")
    invoice = seed.invoice(
        "jenny-2026-11", jenny.id, description="November", footer="Thanks", metadata={SEND_KEY: SEND_REQUESTED, "po": "42"}
    )
    priced = seed.item(invoice, "gold-usd", price=price.id, quantity=2, customer=jenny.id)
    seed.item(invoice, "setup-fee", amount=5000, currency="usd", description="Setup fee", customer=jenny.id)

    live = read_live(gateway).invoices["jenny-2026-11"]

    assert (live.id, live.key, live.customer_id, live.status) == (invoice.id, "jenny-2026-11", jenny.id, "draft")
    assert (live.collection_method, live.currency) == ("send_invoice", "usd")
    assert (live.description, live.footer, live.metadata) == ("November", "Thanks", {"po": "42"})
    assert live.send_marker == SEND_REQUESTED
    assert live.total == 7000
    items = {item.key: item for item in live.items}
    assert set(items) == {"gold-usd", "setup-fee"}
    assert items["gold-usd"].id == priced.id
    assert items["gold-usd"].id.startswith("ii_")
    assert (items["gold-usd"].price_id, items["gold-usd"].quantity, items["gold-usd"].amount) == (price.id, 2, 2000)
    assert (items["setup-fee"].price_id, items["setup-fee"].amount, items["setup-fee"].description) == (
        None,
        5000,
        "Setup fee",
    )
    assert items["setup-fee"].metadata == {}

    stripe_client.v1.invoices.finalize_invoice(invoice.id, params={"auto_advance": False})
    finalized = read_live(gateway).invoices["jenny-2026-11"]
    assert (finalized.status, finalized.days_until_due, finalized.total) == ("open", 30, 7000)
    assert finalized.number


def test_invoice_with_12_items_costs_exactly_one_lines_call(gateway: StripeGateway, seed: Seed) -> None:
    jenny = seed.customer("jenny")
    long_invoice = seed.invoice("long", jenny.id)
    short_invoice = seed.invoice("short", jenny.id)
    for n in range(12):
        seed.item(long_invoice, f"fee-{n}", amount=100 + n, currency="usd", customer=jenny.id)
    for n in range(10):
        seed.item(short_invoice, f"fee-{n}", amount=100 + n, currency="usd", customer=jenny.id)

    live = read_live(gateway)

    assert sorted(i.key for i in live.invoices["long"].items) == sorted(f"fee-{n}" for n in range(12))
    assert len({i.id for i in live.invoices["long"].items}) == 12
    assert len(live.invoices["short"].items) == 10
    assert gateway.request_counts["GET /v1/invoices/{id}/lines"] == 1
    assert gateway.total_requests == len(KINDS) + 1


@pytest.mark.slow
def test_250_customers_cost_three_list_requests(gateway: StripeGateway, seed: Seed) -> None:
    for n in range(250):
        seed.customer(f"customer-{n:03d}")

    live = read_live(gateway)

    assert len(live.customers) == 250
    assert gateway.request_counts["GET /v1/customers"] == 3
    assert gateway.total_requests == len(KINDS) + 2


def test_deleted_customers_are_skipped(gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient) -> None:
    gone = seed.customer("gone")
    stripe_client.v1.customers.delete(gone.id)
    kept = seed.customer("kept")

    assert list(read_live(gateway).customers) == ["kept"]
    assert read_live(gateway).customers["kept"].id == kept.id


def test_two_objects_claiming_one_key_are_duplicates_except_prices(
    gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient
) -> None:
    first = seed.product("gold")
    second = seed.product("gold")
    price_a = seed.price("gold-usd", first.id)
    price_b = seed.price("gold-usd", first.id)
    jenny_a = seed.customer("jenny")
    jenny_b = seed.customer("jenny")
    invoice_a = seed.invoice("nov", jenny_a.id)
    invoice_b = seed.invoice("nov", jenny_a.id)

    live = read_live(gateway)

    # Newest first, as Stripe lists them; the newest is the one kept.
    assert live.duplicates == {
        "customer/jenny": (jenny_b.id, jenny_a.id),
        "invoice/nov": (invoice_b.id, invoice_a.id),
        "product/gold": (second.id, first.id),
    }
    assert live.products["gold"].id == second.id
    # Two active prices of one key are what an interrupted replacement leaves:
    # the planner resolves them against the spec, so they are not duplicates.
    assert live.prices["gold-usd"].id == price_b.id
    assert [p.id for p in live.extra_active_prices["gold-usd"]] == [price_a.id]
    assert live.archived_prices == {}


def test_replaced_price_keeps_its_history_without_a_duplicate(
    gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient
) -> None:
    product = seed.product("gold")
    old = seed.price("gold-usd", product.id, unit_amount=1000)
    older = seed.price("gold-usd", product.id, unit_amount=900, active=False)
    stripe_client.v1.prices.update(old.id, params={"active": False})
    new = seed.price("gold-usd", product.id, unit_amount=1200)

    live = read_live(gateway)

    assert live.duplicates == {}
    assert (live.prices["gold-usd"].id, live.prices["gold-usd"].unit_amount) == (new.id, 1200)
    assert sorted(p.id for p in live.archived_prices["gold-usd"]) == sorted([old.id, older.id])
    assert all(not p.active for p in live.archived_prices["gold-usd"])


def test_only_archived_prices_leave_the_newest_as_current(
    gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient
) -> None:
    product = seed.product("gold")
    first = seed.price("gold-usd", product.id, unit_amount=1000, active=False)
    second = seed.price("gold-usd", product.id, unit_amount=1100, active=False)

    live = read_live(gateway)

    assert live.prices["gold-usd"].id == second.id
    assert live.prices["gold-usd"].active is False
    assert [p.id for p in live.archived_prices["gold-usd"]] == [first.id]
