"""Planner: invoices — create, drafts and their items, frozen finalized invoices."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import amount_item, converged, customer, desired, ids, invoice, item, price, with_invoice

from reconciler.live.records import Live, LiveItem
from reconciler.ownership import ITEM_KEY, OWNER_KEY
from reconciler.plan.actions import (
    AddInvoiceItem,
    CreateInvoice,
    FieldChange,
    Ref,
    RemoveInvoiceItem,
    UpdateInvoice,
    section_of,
)
from reconciler.plan.errors import FrozenInvoiceChanges
from reconciler.plan.plan import InvoiceTotal
from reconciler.plan.planner import make_plan

FROZEN_WAY_OUT = (
    "add `revise: true` to its spec to replace it with a Stripe revision (Stripe voids this one), "
    "or void it (status: void) and issue a new invoice under a new key"
)
INV = "jenny-rosen-2026-11"


def test_create_invoice_params_and_items() -> None:
    d = desired(
        invoices={
            INV: invoice(
                description="November",
                footer="Thanks",
                metadata={"po": "42"},
                items=[item(quantity=2, description="Gold, two seats"), amount_item(metadata={"x": "y"})],
            )
        }
    )
    live = replace(converged(d), invoices={})
    plan = make_plan(d, live)
    create, add_price, add_amount = plan.actions
    assert create == CreateInvoice(
        key=INV,
        reason="not in Stripe",
        params={
            "customer": Ref("customer", "jenny-rosen"),
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "auto_advance": False,
            "currency": "usd",
            "description": "November",
            "footer": "Thanks",
            "discounts": "",  # always stated: the customer's own discount is never inherited (issue 19)
            "metadata": {OWNER_KEY: INV, "po": "42", "reconciler_keys": "po"},
            "pending_invoice_items_behavior": "exclude",
        },
    )
    assert add_price == AddInvoiceItem(
        key=INV,
        reason="not in Stripe",
        depends_on=(f"CreateInvoice:{INV}",),
        item_key="gold-special-usd",
        params={
            "invoice": Ref("invoice", INV),
            "customer": Ref("customer", "jenny-rosen"),
            "pricing": {"price": Ref("price", "gold-special-usd")},
            "quantity": 2,
            "description": "Gold, two seats",
            "metadata": {ITEM_KEY: "gold-special-usd"},
        },
    )
    assert add_amount.params == {
        "invoice": Ref("invoice", INV),
        "customer": Ref("customer", "jenny-rosen"),
        "amount": 5000,
        "currency": "usd",
        "description": "Setup fee",
        "metadata": {ITEM_KEY: "setup-fee", "x": "y", "reconciler_keys": "x"},
    }
    assert plan.invoice_totals == (InvoiceTotal(INV, 7000, "usd"),)


def test_charge_automatically_invoice_has_no_days_until_due() -> None:
    d = desired(invoices={INV: invoice(collection_method="charge_automatically", days_until_due=None)})
    plan = make_plan(d, replace(converged(d), invoices={}))
    assert "days_until_due" not in plan.actions[0].params
    assert plan.actions[0].params["collection_method"] == "charge_automatically"


def test_invoice_for_new_customer_depends_on_its_creation() -> None:
    plan = make_plan(desired(), Live())
    by_id = {a.id: a for a in plan.actions}
    assert by_id[f"CreateInvoice:{INV}"].depends_on == ("CreateCustomer:jenny-rosen",)
    assert by_id[f"AddInvoiceItem:{INV}:gold-special-usd"].depends_on == (
        f"CreateInvoice:{INV}",
        "CreatePrice:gold-special-usd",
    )


def test_draft_fields_are_updated() -> None:
    d = desired(invoices={INV: invoice(description="New", footer="Thanks", metadata={"po": "1"})})
    live = with_invoice(converged(d), INV, description="Old", footer="stale", metadata={"po": "0"})
    (action,) = make_plan(d, live).actions
    assert action == UpdateInvoice(
        key=INV,
        reason="Stripe differs from the spec: description, footer, metadata.po",
        stripe_id=f"in_{INV}",
        changes=(
            FieldChange("description", "Old", "New"),
            FieldChange("footer", "stale", "Thanks"),
            FieldChange("metadata.po", "0", "1"),
        ),
    )
    assert action.stripe_params() == {"description": "New", "footer": "Thanks", "metadata": {"po": "1"}}


@pytest.mark.parametrize("status", ["draft", "open", "paid"])
def test_description_and_footer_left_out_of_the_spec_are_stripes_to_fill(status: str) -> None:
    d = desired(invoices={INV: invoice(status="open" if status != "draft" else "draft")})
    live = with_invoice(converged(d), INV, status=status, description="Account memo", footer="Account footer")
    assert make_plan(d, live).is_empty


def test_draft_items_removed_updated_and_added() -> None:
    d = desired(invoices={INV: invoice(items=[item(quantity=3), amount_item(key="fee", amount=700)])})
    live = converged(d)
    base = live.invoices[INV].items
    price_item = replace(base[0], quantity=1)
    fee = replace(base[1], amount=500)
    strays = (
        LiveItem("ii_manual", "", None, 1, 100, "usd", "added in the Dashboard"),
        LiveItem("ii_old", "old-key", None, 1, 100, "usd"),
        replace(base[0], id="ii_zdup"),  # the lower id is kept
    )
    live = with_invoice(live, INV, items=(price_item, fee, *strays))
    plan = make_plan(d, live, prune=True)  # --prune: the item added in the Dashboard may go
    assert ids(plan) == [
        f"RemoveInvoiceItem:{INV}:@ii_manual",
        f"RemoveInvoiceItem:{INV}:gold-special-usd@ii_zdup",
        f"RemoveInvoiceItem:{INV}:old-key",
        f"UpdateInvoiceItem:{INV}:fee",
        f"UpdateInvoiceItem:{INV}:gold-special-usd",
    ]
    reasons = [a.reason for a in plan.actions[:3]]
    assert reasons == [
        "an item the specs do not manage (--prune)",
        "a duplicate of item gold-special-usd",
        "not in the spec",
    ]
    assert [section_of(a) for a in plan.actions[:3]] == ["destroy", "update", "update"]
    assert plan.actions[3].changes == (FieldChange("amount", 500, 700),)
    assert plan.actions[4].changes == (FieldChange("quantity", 1, 3),)
    assert plan.invoice_totals == (InvoiceTotal(INV, 3700, "usd"),)


def test_added_item_waits_for_removals() -> None:
    d = desired(invoices={INV: invoice(items=[item(), amount_item()])})
    live = converged(desired())
    live = with_invoice(live, INV, items=(*live.invoices[INV].items, LiveItem("ii_x", "gone", None, 1, 1, "usd")))
    plan = make_plan(d, live)
    add = plan.actions[-1]
    assert isinstance(add, AddInvoiceItem) and add.item_key == "setup-fee"
    assert add.depends_on == (f"RemoveInvoiceItem:{INV}:gone",)


def test_item_currency_or_kind_change_is_remove_then_add() -> None:
    d = desired(invoices={INV: invoice(items=[amount_item(key="fee", currency="eur")])})
    live = converged(desired(invoices={INV: invoice(items=[amount_item(key="fee")])}))
    plan = make_plan(d, live)
    # the invoice's currency changes too: Stripe cannot update it, so the draft is re-created
    assert ids(plan) == [f"DeleteInvoice:{INV}", f"CreateInvoice:{INV}", f"AddInvoiceItem:{INV}:fee"]

    d2 = desired(invoices={INV: invoice(items=[amount_item(key="gold-special-usd", amount=1000)])})
    plan2 = make_plan(d2, converged(desired()))
    remove, add = plan2.actions
    assert isinstance(remove, RemoveInvoiceItem) and remove.reason == (
        "an item cannot switch between a price and an amount: re-added"
    )
    assert add.reason == f"replaces ii_{INV}_gold-special-usd (an item cannot switch between a price and an amount)"
    assert add.depends_on == (remove.id,)


def test_draft_with_new_customer_is_replaced() -> None:
    d = desired(customers={"jenny-rosen": customer(), "bob": customer(name="Bob")}, invoices={INV: invoice(customer="bob")})
    live = converged(desired(customers={"jenny-rosen": customer(), "bob": customer(name="Bob")}))
    plan = make_plan(d, live)
    assert ids(plan) == [f"DeleteInvoice:{INV}", f"CreateInvoice:{INV}", f"AddInvoiceItem:{INV}:gold-special-usd"]
    assert plan.actions[0].reason == (
        "replaced: a Stripe invoice cannot change customer customer:jenny-rosen → customer:bob"
    )
    assert plan.actions[1].depends_on == (f"DeleteInvoice:{INV}",)
    assert plan.actions[1].reason == f"replaces draft in_{INV}"


def test_draft_item_moves_to_a_replaced_price() -> None:
    d = desired(prices={"gold-special-usd": price(unit_amount=1200)})
    plan = make_plan(d, converged(desired()))
    assert ids(plan) == [
        "CreatePrice:gold-special-usd",
        f"UpdateInvoiceItem:{INV}:gold-special-usd",
        "ArchivePrice:gold-special-usd:price_gold-special-usd",
    ]
    update = plan.actions[1]
    assert update.changes == (FieldChange("price", "price_gold-special-usd", Ref("price", "gold-special-usd")),)
    assert update.depends_on == ("CreatePrice:gold-special-usd",)
    assert update.stripe_params() == {"pricing": {"price": Ref("price", "gold-special-usd")}}


def test_item_description_left_to_stripe_when_unset() -> None:
    d = desired()
    live = converged(d)
    assert live.invoices[INV].items[0].description == "Gold Special"  # Stripe's default
    assert make_plan(d, live).is_empty
    d2 = desired(invoices={INV: invoice(items=[item(quantity=2, description="Two seats")])})
    (action,) = make_plan(d2, live).actions
    assert action.changes == (FieldChange("description", "Gold Special", "Two seats"),)


@pytest.mark.parametrize("status", ["open", "sent", "uncollectible"])
def test_finalized_invoice_item_change_is_refused(status: str) -> None:
    before = desired(invoices={INV: invoice(status=status)})
    d = desired(invoices={INV: invoice(status=status, items=[item(quantity=3), amount_item()])})
    with pytest.raises(FrozenInvoiceChanges) as err:
        make_plan(d, converged(before))
    assert err.value.lines() == [
        # The lifecycle's word for where the invoice is: an emailed open invoice is "sent".
        f"invoice {INV} (in_{INV}, number NUM-{INV}) is {status}: cannot change "
        "item gold-special-usd quantity 2 → 3; item setup-fee added; " + FROZEN_WAY_OUT
    ]


def test_every_frozen_invoice_is_listed() -> None:
    before = desired(invoices={"a": invoice(status="open"), "b": invoice(status="paid"), "c": invoice(status="open")})
    d = desired(
        invoices={
            "a": invoice(status="open", collection_method="charge_automatically", days_until_due=None),
            "b": invoice(status="paid", footer="changed"),
            "c": invoice(status="open", description="changed"),
        }
    )
    with pytest.raises(FrozenInvoiceChanges) as err:
        make_plan(d, converged(before))
    assert err.value.lines() == [
        "invoice a (in_a, number NUM-a) is open: cannot change collection_method 'send_invoice' → "
        "'charge_automatically'; " + FROZEN_WAY_OUT,
        "invoice b (in_b, number NUM-b) is paid: cannot change footer (unset) → 'changed'; "
        "a paid invoice is final and Stripe revises only open or uncollectible ones: put those fields back "
        "in its spec; correct what was billed with a credit note, or issue a new invoice under a new key",
        "invoice c (in_c, number NUM-c) is open: cannot change description (unset) → 'changed'; " + FROZEN_WAY_OUT,
    ]
    assert str(err.value).count("\n") == 2


def test_finalized_currency_and_item_changes_are_frozen() -> None:
    before = desired(invoices={INV: invoice(status="open")})
    live = converged(before)
    d = desired(invoices={INV: invoice(status="open", items=[amount_item(key="gold-special-usd", currency="eur")])})
    with pytest.raises(FrozenInvoiceChanges) as err:
        make_plan(d, live)
    assert err.value.lines() == [
        f"invoice {INV} (in_{INV}, number NUM-{INV}) is open: cannot change currency 'usd' → 'eur'; "
        "item gold-special-usd price price:gold-special-usd → (unset); item gold-special-usd amount $20.00 USD → €50.00 EUR; "
        "item gold-special-usd currency 'usd' → 'eur'; item gold-special-usd description 'Gold Special' → 'Setup fee'; "
        + FROZEN_WAY_OUT
    ]


def test_replaced_price_is_not_a_change_to_issued_invoices() -> None:
    before = desired(invoices={INV: invoice(status="paid")})
    live = converged(before)
    old = live.prices["gold-special-usd"]
    live = replace(
        live,
        prices={"gold-special-usd": replace(old, id="price_new", unit_amount=1200)},
        archived_prices={"gold-special-usd": (replace(old, active=False),)},
    )
    d = desired(prices={"gold-special-usd": price(unit_amount=1200)}, invoices={INV: invoice(status="paid")})
    assert make_plan(d, live).is_empty


def test_open_invoice_metadata_is_updated_before_its_lifecycle_step() -> None:
    before = desired(invoices={INV: invoice(status="open")})
    d = desired(invoices={INV: invoice(status="void", metadata={"reason": "duplicate"})})
    plan = make_plan(d, converged(before))
    assert ids(plan) == [f"UpdateInvoice:{INV}", f"VoidInvoice:{INV}"]
    assert plan.actions[1].depends_on == (f"UpdateInvoice:{INV}",)
    assert plan.actions[0].stripe_params() == {"metadata": {"reason": "duplicate", "reconciler_keys": "reason"}}
