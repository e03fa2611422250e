"""Planner: adoption of existing objects (`adopt: <id>`), on plain data."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from plan_builders import amount_item, converged, customer, desired, ids, invoice, item, price, product

from reconciler.live.records import Live, LiveInvoice
from reconciler.ownership import ITEM_KEY, KEYS_KEY, OWNER_KEY
from reconciler.plan.actions import (
    AdoptCustomer,
    AdoptInvoice,
    AdoptPrice,
    AdoptProduct,
    CreateInvoice,
    FieldChange,
    UpdateCustomer,
)
from reconciler.plan.errors import AdoptionRefused, FrozenInvoiceChanges
from reconciler.plan.planner import make_plan
from reconciler.plan.render import render
from reconciler.spec.models import Desired

INV = "jenny-rosen-2026-11"
REASON = "not managed yet: the spec adopts it; only its ownership tag is written"


def adopting(d: Desired) -> Desired:
    """`d` with every object adopting the id `converged` gives it."""
    prefixes = {"products": "prod", "prices": "price", "customers": "cus", "invoices": "in"}
    return d.model_copy(
        update={
            kind: {k: spec.model_copy(update={"adopt": f"{prefixes[kind]}_{k}"}) for k, spec in getattr(d, kind).items()}
            for kind in prefixes
        }
    )


def unmanaged(live: Live) -> Live:
    """The same objects as `live`, none of them tagged: all adoptable, none managed."""
    records: list[Any] = [*live.products.values(), *live.prices.values(), *live.customers.values()]
    for archived in live.archived_prices.values():
        records += archived
    adoptable = {r.id: replace(r, key="", owned_keys=None) for r in records}
    for inv in live.invoices.values():
        items = tuple(replace(i, key="", owned_keys=None) for i in inv.items)
        adoptable[inv.id] = replace(inv, key="", owned_keys=None, send_marker=None, items=items)
    return Live(adoptable=adoptable, events_complete_since=live.events_complete_since)


def test_an_unmanaged_account_plans_only_adoptions() -> None:
    d = adopting(desired(customers={"jenny-rosen": customer(metadata={"crm": "7"})}))
    plan = make_plan(d, unmanaged(converged(d)))
    assert plan.actions == (
        AdoptProduct(
            key="gold-special", reason=REASON, stripe_id="prod_gold-special",
            params={"metadata": {OWNER_KEY: "gold-special"}},
        ),
        AdoptPrice(
            key="gold-special-usd", reason=REASON, stripe_id="price_gold-special-usd",
            params={"metadata": {OWNER_KEY: "gold-special-usd"}},
        ),
        AdoptCustomer(
            key="jenny-rosen", reason=REASON, stripe_id="cus_jenny-rosen",
            params={"metadata": {OWNER_KEY: "jenny-rosen", KEYS_KEY: "crm"}},
        ),
        AdoptInvoice(
            key=INV, reason=REASON, stripe_id=f"in_{INV}",
            params={"metadata": {OWNER_KEY: INV}, "auto_advance": False},
            item_params={f"ii_{INV}_gold-special-usd": {"metadata": {ITEM_KEY: "gold-special-usd"}}},
        ),
    )  # fmt: skip
    assert plan.summary == {"adopt": 4, "create": 0, "update": 0, "lifecycle": 0, "destroy": 0}
    text = render(plan, "text")
    assert "~ adopt customer jenny-rosen (cus_jenny-rosen)  # " + REASON in text
    claims = "claims metadata crm (the tool's from now on: removed from the spec, deleted in Stripe)"
    assert f"~     {claims}" in text
    assert text.count("claims metadata") == 1  # only the customer's adoption claims a key
    assert f"~     {claims}" in render(plan, "markdown")
    assert render(plan, "json").count('"reconciler_keys": "crm"') == 1
    assert f"~     tag item \"gold-special-usd\" ii_{INV}_gold-special-usd" in text
    assert "Plan: 4 to adopt, 0 to create, 0 to update, 0 lifecycle steps, 0 to destroy." in text


def test_once_adopted_the_plan_is_empty_with_adopt_still_in_the_specs() -> None:
    d = adopting(desired(invoices={INV: invoice(status="sent")}))
    assert make_plan(d, converged(d)).actions == ()


@pytest.mark.parametrize("status", ["open", "sent", "paid", "void", "uncollectible"])
def test_a_finalized_invoice_is_adopted_without_touching_its_items_or_state(status: str) -> None:
    d = adopting(desired(invoices={INV: invoice(status=status, items=[item(quantity=2), amount_item()])}))
    live = unmanaged(converged(d))
    if status == "sent":  # sent by a colleague: Stripe's event says so, no marker of the tool's
        inv = live.adoptable[f"in_{INV}"]
        live = replace(live, adoptable={**live.adoptable, inv.id: replace(inv, sent_event=True)})
    plan = make_plan(d, live)
    adopt = [a for a in plan.actions if isinstance(a, AdoptInvoice)]
    assert [a.id for a in plan.actions if a.section != "adopt"] == []
    assert adopt[0].params == {"metadata": {OWNER_KEY: INV}} and adopt[0].item_params == {}


def adopted_finalized(d: Desired, status: str = "open") -> Live:
    """Managed after adoption: the invoice is tagged, its finalized items never were."""
    live = converged(d)
    inv = live.invoices[INV]
    untagged = tuple(replace(i, key="", owned_keys=None) for i in inv.items)
    return replace(live, invoices={INV: replace(inv, status=status, items=untagged)})


def test_a_finalized_invoice_adopted_earlier_is_matched_by_content_on_every_plan() -> None:
    d = adopting(desired(invoices={INV: invoice(status="open", items=[item(quantity=2), item(), amount_item()])}))
    assert make_plan(d, adopted_finalized(d)).actions == ()


def test_a_content_change_to_an_adopted_finalized_invoice_is_a_frozen_change() -> None:
    d = adopting(desired(invoices={INV: invoice(status="open", items=[item(quantity=2), amount_item()])}))
    live = adopted_finalized(d)
    edited = adopting(desired(invoices={INV: invoice(status="open", items=[item(quantity=3), amount_item()])}))
    with pytest.raises(FrozenInvoiceChanges) as err:
        make_plan(edited, live)
    assert "cannot change item gold-special-usd quantity 2 → 3" in str(err.value)


def test_other_differences_are_planned_after_the_adoption() -> None:
    d = adopting(desired(customers={"jenny-rosen": customer(name="Jenny R.")}))
    live = unmanaged(converged(desired()))  # Stripe has the old name
    plan = make_plan(d, live)
    update = next(a for a in plan.actions if isinstance(a, UpdateCustomer))
    assert update.changes == (FieldChange("name", "Jenny Rosen", "Jenny R."),)
    assert update.depends_on == ("AdoptCustomer:jenny-rosen",)


def test_a_new_invoice_for_an_adopted_customer_waits_for_the_adoption() -> None:
    d = adopting(desired())
    new = d.model_copy(update={"invoices": {**d.invoices, "jenny-extra": invoice()}})
    live = unmanaged(converged(d))
    plan = make_plan(new, live)
    create = next(a for a in plan.actions if isinstance(a, CreateInvoice))
    assert set(create.depends_on) == {"AdoptCustomer:jenny-rosen"}
    add = [a for a in plan.actions if a.id.startswith("AddInvoiceItem:jenny-extra")]
    assert "AdoptPrice:gold-special-usd" in add[0].depends_on


def test_an_adopted_price_keeps_its_lookup_key() -> None:
    d = adopting(desired(prices={"gold-special-usd": price(lookup_key="gold")}))
    live = unmanaged(converged(d))
    live = replace(live, foreign_lookup_keys={"gold": "price_gold-special-usd"})
    plan = make_plan(d, live)
    assert [a.section for a in plan.actions] == ["adopt"] * 4


def test_adopting_what_another_key_manages_names_both() -> None:
    d = desired()
    live = converged(d)
    twice = d.model_copy(update={"customers": {**d.customers, "jenny-2": customer(adopt="cus_jenny-rosen")}})
    with pytest.raises(AdoptionRefused) as err:
        make_plan(twice, live)
    assert str(err.value) == (
        "customer jenny-2: cannot adopt cus_jenny-rosen: it is already managed as customer jenny-rosen "
        "(its metadata.reconciler_id); remove `adopt: cus_jenny-rosen` from one of the two"
    )


def test_adopting_under_a_key_that_manages_another_object_names_both() -> None:
    d = desired()
    live = converged(d)
    live = replace(live, adoptable={"cus_other": replace(live.customers["jenny-rosen"], id="cus_other", key="")})
    d2 = d.model_copy(update={"customers": {"jenny-rosen": customer(adopt="cus_other")}})
    with pytest.raises(AdoptionRefused) as err:
        make_plan(d2, live)
    assert str(err.value) == (
        "customer jenny-rosen: cannot adopt cus_other: the key jenny-rosen already manages cus_jenny-rosen; "
        "remove `adopt: cus_other`, or give the spec of cus_other another key"
    )


def test_adopting_an_id_that_does_not_exist_is_an_error() -> None:
    d = desired(products={"gold-special": product(adopt="prod_gone")})
    live = replace(converged(d), products={})
    with pytest.raises(AdoptionRefused) as err:
        make_plan(d, live)
    assert str(err.value) == (
        "product gold-special: cannot adopt prod_gone: no such product in Stripe (deleted, or in another account); "
        "remove `adopt: prod_gone` to create it anew"
    )


def test_an_interrupted_draft_adoption_keeps_the_item_tags_already_written() -> None:
    d = adopting(desired(invoices={INV: invoice(items=[item(), item(), amount_item()])}))
    live = unmanaged(converged(d))
    inv = live.adoptable[f"in_{INV}"]
    assert isinstance(inv, LiveInvoice)
    first = replace(inv.items[0], key="gold-special-usd")  # tagged before the crash
    live = replace(live, adoptable={**live.adoptable, inv.id: replace(inv, items=(first, *inv.items[1:]))})
    plan = make_plan(d, live)
    adopt = next(a for a in plan.actions if isinstance(a, AdoptInvoice))
    tags = {item_id: p["metadata"][ITEM_KEY] for item_id, p in adopt.item_params.items()}
    assert sorted(tags.values()) == ["gold-special-usd", "gold-special-usd#2", "setup-fee"]
    assert [a.section for a in plan.actions] == ["adopt"] * 4


def test_metadata_keys_others_set_stay_theirs_after_adoption() -> None:
    d = adopting(desired())
    live = unmanaged(converged(d))
    cus = live.adoptable["cus_jenny-rosen"]
    live = replace(live, adoptable={**live.adoptable, cus.id: replace(cus, metadata={"hubspot": "1"})})
    plan = make_plan(d, live)
    assert ids(plan) == [
        "AdoptProduct:gold-special", "AdoptPrice:gold-special-usd", "AdoptCustomer:jenny-rosen", f"AdoptInvoice:{INV}",
    ]  # fmt: skip


def test_an_adopted_object_replaced_since_leaves_a_note_not_an_error() -> None:
    """A draft adopted, then re-created by a plan (its customer changed): `adopt:` is history."""
    d = desired(invoices={INV: invoice(adopt="in_the-original-draft")})
    plan = make_plan(d, converged(d))
    assert plan.actions == ()
    assert plan.notes == (
        f"invoice {INV}: `adopt: in_the-original-draft` names an object no longer in Stripe; "
        f"the key manages in_{INV}: remove it",
    )
