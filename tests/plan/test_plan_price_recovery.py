"""Planner: several active prices of one key (an interrupted replacement), and lookup keys."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import converged, desired, ids, invoice, item, price

from reconciler.live.records import Live, LivePrice
from reconciler.plan.actions import ArchivePrice, CreatePrice, FieldChange, UpdatePrice
from reconciler.plan.errors import UnmanagedObjectsInTheWay
from reconciler.plan.fingerprint import live_fingerprint
from reconciler.plan.planner import make_plan

KEY = "gold-special-usd"
INV = "jenny-rosen-2026-11"


def _interrupted(old_amount: int = 1000, new_amount: int = 1200, **spec: object) -> tuple[Live, LivePrice, LivePrice]:
    """Live state after "create the new price" succeeded and "archive the old one" did not."""
    live = converged(desired(prices={KEY: price(unit_amount=old_amount, lookup_key="gold")}, invoices={}))
    old = replace(live.prices[KEY], lookup_key=None)  # the create transferred the key
    new = LivePrice("price_new", KEY, old.product_id, new_amount, "usd", lookup_key="gold", created=2)
    return replace(live, prices={KEY: new}, extra_active_prices={KEY: (old,)}), old, new


def test_the_price_matching_the_spec_stays_and_the_other_is_archived() -> None:
    live, old, new = _interrupted()
    d = desired(prices={KEY: price(unit_amount=1200, lookup_key="gold")}, invoices={})
    plan = make_plan(d, live)
    assert plan.actions == (
        ArchivePrice(
            key=KEY,
            reason=f"another active price of {KEY} (a replacement was interrupted): price_new matches the spec and stays",
            stripe_id=old.id,
        ),
    )
    # once archived, nothing is left to do
    converged_live = replace(live, extra_active_prices={}, archived_prices={KEY: (replace(old, active=False),)})
    assert make_plan(d, converged_live).actions == ()


def test_an_older_matching_price_stays_and_items_name_it_by_id() -> None:
    """The spec went back to the old amount: the old price stays, and since the
    applier resolves a price Ref to the newest active price, items name it by id."""
    live, old, new = _interrupted()
    d = desired(prices={KEY: price(unit_amount=1000, lookup_key="gold")}, invoices={INV: invoice(items=[item(quantity=2)])})
    base = converged(d)
    stale_item = replace(base.invoices[INV].items[0], price_id=new.id)
    live = replace(
        live,
        products=base.products,
        customers=base.customers,
        invoices={INV: replace(base.invoices[INV], items=(stale_item,))},
    )
    plan = make_plan(d, live)
    assert ids(plan) == [f"UpdatePrice:{KEY}", f"UpdateInvoiceItem:{INV}:{KEY}", f"ArchivePrice:{KEY}:price_new"]
    update_price, update_item, _ = plan.actions
    assert isinstance(update_price, UpdatePrice)
    assert update_price.changes == (FieldChange("lookup_key", None, "gold"),)
    # "gold" sits on price_new, a managed price: it moves
    assert update_price.stripe_params() == {"lookup_key": "gold", "transfer_lookup_key": True}
    assert update_item.changes == (FieldChange("price", new.id, old.id),)


def test_no_active_price_matches_replaces_them_all() -> None:
    live, old, new = _interrupted()
    d = desired(prices={KEY: price(unit_amount=1500, lookup_key="gold")}, invoices={})
    plan = make_plan(d, live)
    assert ids(plan) == [f"CreatePrice:{KEY}", f"ArchivePrice:{KEY}:price_new", f"ArchivePrice:{KEY}:{old.id}"]
    create = plan.actions[0]
    assert isinstance(create, CreatePrice) and create.params["transfer_lookup_key"] is True
    assert all(a.depends_on == (create.id,) for a in plan.actions[1:])


def test_of_two_identical_prices_the_lookup_key_holder_stays() -> None:
    live, old, new = _interrupted(old_amount=1200)
    d = desired(prices={KEY: price(unit_amount=1200, lookup_key="gold")}, invoices={})
    assert ids(make_plan(d, live)) == [f"ArchivePrice:{KEY}:{old.id}"]
    without = desired(prices={KEY: price(unit_amount=1200)}, invoices={})
    # no lookup key wanted: the newest stays (and loses the key)
    assert ids(make_plan(without, live)) == [f"UpdatePrice:{KEY}", f"ArchivePrice:{KEY}:{old.id}"]


def test_prune_archives_every_active_price_of_a_removed_key() -> None:
    live, old, new = _interrupted()
    d = desired(prices={}, invoices={})
    assert make_plan(d, live).actions == ()
    assert ids(make_plan(d, live, prune=True)) == [f"ArchivePrice:{KEY}:price_new", f"ArchivePrice:{KEY}:{old.id}"]


def test_lookup_key_of_an_unmanaged_price_is_an_error() -> None:
    d = desired(prices={KEY: price(lookup_key="pro-monthly")}, invoices={})
    for live in (Live(), converged(desired(invoices={}))):
        with pytest.raises(UnmanagedObjectsInTheWay) as err:
            make_plan(d, replace(live, foreign_lookup_keys={"pro-monthly": "price_theirs"}))
        assert err.value.lines() == [
            f"price {KEY}: lookup_key 'pro-monthly' belongs to price price_theirs, which reconciler does not manage: "
            "remove it there or choose another lookup_key"
        ]


def test_lookup_key_moves_from_another_managed_price() -> None:
    other = LivePrice("price_other", "other-key", "prod_gold-special", 500, "usd", lookup_key="pro", created=1)
    d = desired(prices={KEY: price(lookup_key="pro")}, invoices={})
    live = converged(desired(invoices={}))
    (update,) = make_plan(d, replace(live, prices={**live.prices, "other-key": other})).actions
    assert isinstance(update, UpdatePrice) and update.transfer_lookup_key is True
    assert update.stripe_params() == {"lookup_key": "pro", "transfer_lookup_key": True}
    # an unchanged lookup key is not sent, and a key nobody holds is not transferred
    assert make_plan(desired(prices={KEY: price(lookup_key="pro")}, invoices={}), converged(d)).actions == ()
    (fresh,) = make_plan(d, live).actions
    assert isinstance(fresh, UpdatePrice) and fresh.stripe_params() == {"lookup_key": "pro"}


def test_fingerprint_covers_extra_active_prices_and_foreign_lookup_keys() -> None:
    live, old, new = _interrupted()
    fp = live_fingerprint(live)
    assert live_fingerprint(replace(live, extra_active_prices={})) != fp
    assert live_fingerprint(replace(live, foreign_lookup_keys={"pro": "price_x"})) != fp
