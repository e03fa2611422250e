"""Every write the applier sends, through the gateway against the sandbox."""

from __future__ import annotations

import typing
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe

from reconciler.gateway import write
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import IdempotencyConflict, InvalidRequest
from reconciler.gateway.read import read_live
from reconciler.kinds import SIMPLE_KINDS
from reconciler.ownership import ITEM_KEY, OWNER_KEY

from .seeding import Seed


def test_request_for_covers_every_write() -> None:
    # The simple kinds' writes come from the registry; a kind added later need not be in the literal.
    simple = {f"{verb}_{info.name}" for info in SIMPLE_KINDS for verb in ("create", "update", "delete")}
    assert set(typing.get_args(write.Write)) <= set(write.ROUTES)
    assert set(write.ROUTES) - set(typing.get_args(write.Write)) <= simple


def test_request_for_is_the_request_that_is_sent() -> None:
    assert write.request_for("create_invoice", None, {"customer": "cus_1"}) == (
        "POST",
        "/v1/invoices",
        {"customer": "cus_1", "auto_advance": False},
    )
    assert write.request_for("finalize_invoice", "in_1", {"auto_advance": True}) == (
        "POST",
        "/v1/invoices/in_1/finalize",
        {"auto_advance": False},
    )
    assert write.request_for("pay_invoice", "in_1") == ("POST", "/v1/invoices/in_1/pay", {"paid_out_of_band": True})
    assert write.request_for("delete_item", "ii_1") == ("DELETE", "/v1/invoiceitems/ii_1", {})


def test_request_for_refuses_unknown_writes_and_missing_targets() -> None:
    with pytest.raises(InvalidRequest, match="no such write: 'refund'"):
        write.request_for("refund", "in_1")
    with pytest.raises(InvalidRequest, match="send_invoice needs the id of the object it acts on"):
        write.request_for("send_invoice", "")


def test_catalog_and_customer_writes(gateway: StripeGateway, stripe_client: stripe.StripeClient) -> None:
    product = write.send(
        gateway, "create_product", None, {"name": "Gold", "metadata": {OWNER_KEY: "gold"}}, idempotency_key="t-product-create"
    )
    write.send(gateway, "update_product", product.id, {"name": "Gold Special"}, idempotency_key="t-product-update")
    price = write.send(
        gateway,
        "create_price",
        None,
        {"product": product.id, "unit_amount": 1000, "currency": "usd", "metadata": {OWNER_KEY: "gold-usd"}},
        idempotency_key="t-price-create",
    )
    write.send(gateway, "update_price", price.id, {"nickname": "standard"}, idempotency_key="t-price-update")
    customer = write.send(
        gateway, "create_customer", None, {"name": "Jenny", "metadata": {OWNER_KEY: "jenny"}}, idempotency_key="t-customer-create"
    )
    write.send(gateway, "update_customer", customer.id, {"email": "jenny@example.com"}, idempotency_key="t-customer-update")

    live = read_live(gateway)
    assert live.products["gold"].name == "Gold Special"
    assert (live.prices["gold-usd"].id, live.prices["gold-usd"].nickname) == (price.id, "standard")
    assert (live.customers["jenny"].id, live.customers["jenny"].email) == (customer.id, "jenny@example.com")

    deleted = write.send(gateway, "delete_customer", customer.id, None, idempotency_key="t-customer-delete")
    assert (deleted.id, deleted.deleted) == (customer.id, True)
    assert read_live(gateway).customers == {}


def test_invoice_writes_through_the_lifecycle(gateway: StripeGateway, seed: Seed) -> None:
    jenny = seed.customer("jenny")
    created = write.send(
        gateway,
        "create_invoice",
        None,
        {"customer": jenny.id, "collection_method": "send_invoice", "days_until_due": 30, "metadata": {OWNER_KEY: "nov"}},
        idempotency_key="t-invoice-create",
    )
    assert created.status == "draft"
    write.send(gateway, "update_invoice", created.id, {"description": "November"}, idempotency_key="t-invoice-update")
    item = write.send(
        gateway,
        "create_item",
        None,
        {"customer": jenny.id, "invoice": created.id, "amount": 5000, "currency": "usd", "metadata": {ITEM_KEY: "fee"}},
        idempotency_key="t-item-create",
    )
    assert item.id.startswith("ii_")
    extra = write.send(
        gateway,
        "create_item",
        None,
        {"customer": jenny.id, "invoice": created.id, "amount": 100, "currency": "usd", "metadata": {ITEM_KEY: "x"}},
        idempotency_key="t-item-create-2",
    )
    write.send(gateway, "update_item", item.id, {"amount": 6000}, idempotency_key="t-item-update")
    assert write.send(gateway, "delete_item", extra.id, None, idempotency_key="t-item-delete").deleted is True

    live = read_live(gateway).invoices["nov"]
    assert (live.description, live.total, [i.key for i in live.items]) == ("November", 6000, ["fee"])

    assert write.send(gateway, "finalize_invoice", created.id, None, idempotency_key="t-finalize").status == "open"
    assert write.send(gateway, "send_invoice", created.id, None, idempotency_key="t-send").status == "open"
    assert write.list_events(gateway, type="invoice.sent") == (created.id,)
    assert write.send(gateway, "pay_invoice", created.id, None, idempotency_key="t-pay").status == "paid"
    assert write.get_invoice(gateway, created.id).status == "paid"
    assert write.get_invoice(gateway, created.id).key == "nov"


def test_void_mark_uncollectible_and_delete_draft(gateway: StripeGateway, seed: Seed) -> None:
    jenny = seed.customer("jenny")
    to_void = seed.invoice("a", jenny.id)
    seed.item(to_void, "fee", amount=100, currency="usd", customer=jenny.id)
    to_mark = seed.invoice("b", jenny.id)
    seed.item(to_mark, "fee", amount=100, currency="usd", customer=jenny.id)
    draft = seed.invoice("c", jenny.id)

    write.send(gateway, "finalize_invoice", to_void.id, None, idempotency_key="t-f-a")
    write.send(gateway, "finalize_invoice", to_mark.id, None, idempotency_key="t-f-b")
    assert write.send(gateway, "void_invoice", to_void.id, None, idempotency_key="t-void").status == "void"
    assert write.send(gateway, "mark_uncollectible", to_mark.id, None, idempotency_key="t-unc").status == "uncollectible"
    assert write.send(gateway, "delete_invoice", draft.id, None, idempotency_key="t-del").deleted is True
    # A delete retried after its answer was lost finds the object gone: done, not failed.
    again = write.send(gateway, "delete_invoice", draft.id, None, idempotency_key="t-del-again")
    assert (again.id, again.deleted) == (draft.id, True)

    statuses = {key: inv.status for key, inv in read_live(gateway).invoices.items()}
    assert statuses == {"a": "void", "b": "uncollectible"}


def test_a_replayed_idempotency_key_returns_the_first_object(gateway: StripeGateway) -> None:
    params = {"name": "Jenny", "metadata": {OWNER_KEY: "jenny"}}
    first = write.send(gateway, "create_customer", None, params, idempotency_key="t-replay")
    second = write.send(gateway, "create_customer", None, params, idempotency_key="t-replay")
    assert first.id == second.id
    # Idempotent-Replayed: true, surfaced from the SDK's response headers.
    assert (first.replayed, second.replayed) == (False, True)
    assert len(read_live(gateway).customers) == 1

    with pytest.raises(IdempotencyConflict) as caught:
        write.send(gateway, "create_customer", None, {"name": "Other"}, idempotency_key="t-replay")
    assert caught.value.retryable is False
    assert caught.value.code == "idempotency_error"


def test_list_events_filters_by_creation_time(gateway: StripeGateway, seed: Seed) -> None:
    jenny = seed.customer("jenny")
    invoice = seed.invoice("nov", jenny.id)
    seed.item(invoice, "fee", amount=100, currency="usd", customer=jenny.id)
    write.send(gateway, "finalize_invoice", invoice.id, None, idempotency_key="t-f")
    sent = write.send(gateway, "send_invoice", invoice.id, None, idempotency_key="t-s")

    created = int(sent.data["created"])
    assert write.list_events(gateway, type="invoice.sent", created_gte=created) == (invoice.id,)
    assert write.list_events(gateway, type="invoice.sent", created_gte=created + 10 * 365 * 86400) == ()
    assert write.list_events(gateway, type="invoice.voided") == ()


def test_the_requests_sent_are_the_routes_of_the_table(gateway: StripeGateway, seed: Seed) -> None:
    jenny = seed.customer("jenny")
    invoice = write.send(
        gateway, "create_invoice", None, {"customer": jenny.id, "collection_method": "send_invoice", "days_until_due": 7}, idempotency_key="t-r1"
    )
    item = write.send(
        gateway, "create_item", None, {"customer": jenny.id, "invoice": invoice.id, "amount": 100, "currency": "usd"}, idempotency_key="t-r2"
    )
    write.send(gateway, "delete_item", item.id, None, idempotency_key="t-r3")
    write.send(gateway, "delete_invoice", invoice.id, None, idempotency_key="t-r4")

    used = ("create_invoice", "create_item", "delete_item", "delete_invoice")
    assert dict(gateway.request_counts) == {f"{write.ROUTES[w].method} {write.ROUTES[w].path}": 1 for w in used}


def test_request_counts_are_exact_under_concurrency(gateway: StripeGateway) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: list(gateway.paginate("/v1/customers")), range(40)))
    assert dict(gateway.request_counts) == {"GET /v1/customers": 40}
    assert gateway.total_requests == 40


def test_fetch_created_tells_a_standing_object_from_a_gone_one(gateway: StripeGateway, seed: Seed) -> None:
    customer = seed.customer("c")
    product = seed.product("gold")
    price = seed.price("gold-usd", product.id)
    invoice = seed.invoice("i1", customer.id)
    item = seed.item(invoice, "fee", amount=300, currency="usd")
    tagged = {"metadata": {OWNER_KEY: "c"}}
    assert write.gone_since_created(write.fetch_created(gateway, "create_customer", customer.id), tagged) == ""
    assert write.gone_since_created(write.fetch_created(gateway, "create_price", price.id), {}) == ""

    write.send(gateway, "delete_item", item.id, idempotency_key="t-del-item")
    write.send(gateway, "delete_invoice", invoice.id, idempotency_key="t-del-inv")
    write.send(gateway, "delete_customer", customer.id, idempotency_key="t-del-cus")
    write.send(gateway, "update_price", price.id, {"active": False}, idempotency_key="t-arch")
    assert write.fetch_created(gateway, "create_item", item.id) is None  # 404
    assert write.fetch_created(gateway, "create_invoice", invoice.id) is None  # 404
    assert write.fetch_created(gateway, "create_customer", customer.id) is None  # deleted: true
    archived = write.fetch_created(gateway, "create_price", price.id)
    assert write.gone_since_created(archived, {"unit_amount": 1000}) == "archived"
    # A price created inactive on purpose is not gone for being inactive.
    assert write.gone_since_created(archived, {"active": False}) == ""
    assert write.gone_since_created(archived, {"metadata": {OWNER_KEY: "other"}}) == "archived"
    product_now = write.fetch_created(gateway, "create_product", product.id)
    assert write.gone_since_created(product_now, {"metadata": {OWNER_KEY: "elsewhere"}}) == "no longer tagged"
