"""Stripe JSON (API 2026-10-28.endive) → live records, on plain data."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.gateway import mapping
from reconciler.gateway.errors import MalformedObject
from reconciler.live.records import LiveItem

DAY = 86_400


def _line(**overrides: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "id": "il_1",
        "object": "line_item",
        "amount": 2000,
        "currency": "USD",
        "description": "Gold Special",
        "metadata": {"reconciler_item": "gold-usd", "po": "7"},
        "parent": {
            "type": "invoice_item_details",
            "invoice_item_details": {"invoice_item": "ii_1", "proration": False},
        },
        "pricing": {"type": "price_details", "price_details": {"price": "price_1", "product": "prod_1"}},
        "quantity": 2,
    }
    line.update(overrides)
    return line


def test_a_line_maps_to_its_invoice_item_id_price_and_key() -> None:
    assert mapping.item(_line()) == LiveItem(
        id="ii_1",
        key="gold-usd",
        price_id="price_1",
        quantity=2,
        amount=2000,
        currency="usd",
        description="Gold Special",
        metadata={"po": "7"},
        line_id="il_1",  # what a credit note names
    )


def test_an_expanded_price_and_an_amount_line() -> None:
    expanded = _line(pricing={"type": "price_details", "price_details": {"price": {"id": "price_9"}, "product": "p"}})
    assert mapping.item(expanded).price_id == "price_9"
    amount_only = mapping.item(_line(pricing=None, quantity=None, metadata={}))
    assert (amount_only.price_id, amount_only.quantity, amount_only.key) == (None, 1, "")


def test_a_line_without_an_invoice_item_parent_keeps_the_line_id() -> None:
    assert mapping.item(_line(parent=None)).id == "il_1"


def test_days_until_due_from_due_date_or_the_explicit_field() -> None:
    base = {"collection_method": "send_invoice", "created": 1_000_000}
    assert mapping.days_until_due({**base, "due_date": 1_000_000 + 30 * DAY}) == 30
    assert mapping.days_until_due({**base, "due_date": 1_000_000 + 30 * DAY + 5}) == 30
    assert mapping.days_until_due({**base, "due_date": None}) is None
    assert mapping.days_until_due({**base, "days_until_due": 14, "due_date": 1}) == 14
    assert mapping.days_until_due({"collection_method": "charge_automatically", "due_date": 5, "created": 1}) is None


def test_days_until_due_counted_from_finalization_when_that_is_where_the_due_date_came_from() -> None:
    created, finalized = 1_000_000, 1_000_000 + 2 * DAY + 3_600 * 15
    finalized_obj = {"collection_method": "send_invoice", "created": created, "status_transitions": {"finalized_at": finalized}}
    assert mapping.days_until_due({**finalized_obj, "due_date": finalized + 30 * DAY}) == 30
    assert mapping.days_until_due({**finalized_obj, "due_date": created + 30 * DAY}) == 30


def test_owner_key_is_the_ownership_tag_only() -> None:
    assert mapping.owner_key({"metadata": {"reconciler_id": "gold"}}) == "gold"
    assert mapping.owner_key({"metadata": {"reconciler_id": ""}}) is None
    assert mapping.owner_key({"metadata": {"id": "gold"}}) is None
    assert mapping.owner_key({"metadata": None}) is None


def test_an_invoice_keeps_user_metadata_and_the_send_marker() -> None:
    obj = {
        "id": "in_1",
        "customer": {"id": "cus_1"},
        "status": "open",
        "collection_method": "send_invoice",
        "currency": "usd",
        "created": 0,
        "due_date": 7 * DAY,
        "metadata": {"reconciler_id": "nov", "reconciler_send": "done", "po": "42"},
        "number": "ABC-0001",
        "total": 2000,
        "amount_paid": 0,
        "amount_remaining": 2000,
    }
    live = mapping.invoice(obj, "nov", [_line()])
    assert (live.customer_id, live.days_until_due, live.send_marker, live.metadata) == ("cus_1", 7, "done", {"po": "42"})
    assert (live.number, live.total, live.amount_remaining, len(live.items)) == ("ABC-0001", 2000, 2000, 1)


def test_an_object_with_fields_stripe_never_sends_is_a_clear_error() -> None:
    with pytest.raises(MalformedObject) as caught:
        mapping.price({"id": "price_1", "unit_amount": "lots", "metadata": {}}, "gold-usd")
    assert str(caught.value) == (
        "unexpected price price_1 in the API's answer (ValueError: invalid literal for int() with base 10: 'lots'); "
        "is the API base a Stripe API?"
    )
