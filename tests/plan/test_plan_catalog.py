"""Planner: products, prices, customers — create, update, replace, convergence, drift."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import converged, customer, desired, ids, price, product

from reconciler.live.records import Live, LivePrice
from reconciler.ownership import OWNER_KEY
from reconciler.plan.actions import (
    ArchivePrice,
    CreateCustomer,
    CreatePrice,
    CreateProduct,
    FieldChange,
    Ref,
    UpdateCustomer,
    UpdatePrice,
    UpdateProduct,
)
from reconciler.plan.planner import make_plan


def test_empty_account_creates_everything_in_dependency_order() -> None:
    plan = make_plan(desired(), Live())
    assert ids(plan) == [
        "CreateProduct:gold-special",
        "CreatePrice:gold-special-usd",
        "CreateCustomer:jenny-rosen",
        "CreateInvoice:jenny-rosen-2026-11",
        "AddInvoiceItem:jenny-rosen-2026-11:gold-special-usd",
    ]
    product_action, price_action, customer_action = plan.actions[:3]
    assert product_action == CreateProduct(
        key="gold-special",
        reason="not in Stripe",
        params={"name": "Gold Special", "metadata": {OWNER_KEY: "gold-special"}},
    )
    assert price_action == CreatePrice(
        key="gold-special-usd",
        reason="not in Stripe",
        depends_on=("CreateProduct:gold-special",),
        params={
            "product": Ref("product", "gold-special"),
            "unit_amount": 1000,
            "currency": "usd",
            "metadata": {OWNER_KEY: "gold-special-usd"},
        },
    )
    assert customer_action.params == {
        "name": "Jenny Rosen",
        "email": "jenny.rosen@example.com",
        "metadata": {OWNER_KEY: "jenny-rosen"},
    }
    assert plan.summary == {"create": 5, "update": 0, "lifecycle": 0, "destroy": 0}


def test_create_params_carry_spec_metadata_and_optional_fields() -> None:
    d = desired(
        products={"gold-special": product(description="Shiny", unit_label="seat", active=False, metadata={"tier": "1"})},
        prices={"gold-special-usd": price(currency="USD", nickname="Gold", lookup_key="gold", metadata={"a": "b"})},
        invoices={},
    )
    plan = make_plan(d, Live())
    assert plan.actions[0].params == {
        "name": "Gold Special",
        "description": "Shiny",
        "unit_label": "seat",
        "active": False,
        "metadata": {OWNER_KEY: "gold-special", "tier": "1", "reconciler_keys": "tier"},
    }
    assert plan.actions[1].params == {
        "product": Ref("product", "gold-special"),
        "unit_amount": 1000,
        "currency": "usd",
        "nickname": "Gold",
        "lookup_key": "gold",  # held by no price: nothing to transfer
        "metadata": {OWNER_KEY: "gold-special-usd", "a": "b", "reconciler_keys": "a"},
    }


def test_converged_state_plans_nothing() -> None:
    d = desired()
    assert make_plan(d, converged(d)).is_empty


def test_stripe_normalisations_are_not_changes() -> None:
    d = desired(customers={"jenny-rosen": customer(description=None, phone=None)})
    live = converged(d)
    live = replace(
        live,
        customers={"jenny-rosen": replace(live.customers["jenny-rosen"], description="", phone="")},
        prices={"gold-special-usd": replace(live.prices["gold-special-usd"], currency="USD")},
    )
    assert make_plan(d, live).is_empty


def test_customer_email_drift_is_updated_back_to_the_spec() -> None:
    d = desired()
    live = converged(d)
    drifted = replace(live.customers["jenny-rosen"], email="jenny@elsewhere.example")
    plan = make_plan(d, replace(live, customers={"jenny-rosen": drifted}))
    assert plan.actions == (
        UpdateCustomer(
            key="jenny-rosen",
            reason="Stripe differs from the spec: email",
            stripe_id="cus_jenny-rosen",
            changes=(FieldChange("email", "jenny@elsewhere.example", "jenny.rosen@example.com"),),
        ),
    )
    assert plan.actions[0].stripe_params() == {"email": "jenny.rosen@example.com"}


def test_removed_field_and_owned_metadata_key_are_unset() -> None:
    d = desired(customers={"jenny-rosen": customer(metadata={"keep": "1"})})
    live = converged(d)
    drifted = replace(
        live.customers["jenny-rosen"], phone="+1 555", metadata={"keep": "1", "gone": "x", "crm": "7"},
        owned_keys=frozenset({"keep", "gone"}),
    )
    plan = make_plan(d, replace(live, customers={"jenny-rosen": drifted}))
    (action,) = plan.actions
    assert action.changes == (
        FieldChange("phone", "+1 555", None),
        FieldChange("metadata.gone", "x", None),
        FieldChange("metadata.reconciler_keys", "gone,keep", "keep"),
    )
    # "crm" was set by someone else: never diffed, never sent
    assert action.stripe_params() == {"phone": "", "metadata": {"gone": "", "reconciler_keys": "keep"}}


def test_product_drift_is_an_update() -> None:
    d = desired()
    live = converged(d)
    drifted = replace(live.products["gold-special"], name="Gold", active=False, metadata={"x": "1"})
    plan = make_plan(d, replace(live, products={"gold-special": drifted}))
    (action,) = plan.actions
    assert isinstance(action, UpdateProduct)
    # metadata.x was set by someone else (not in the tool's record): not a change
    assert action.changes == (FieldChange("name", "Gold", "Gold Special"), FieldChange("active", False, True))


def test_price_mutable_fields_are_updated_and_lookup_key_moves() -> None:
    d = desired(prices={"gold-special-usd": price(nickname="Gold", lookup_key="gold")})
    live = converged(desired())
    plan = make_plan(d, live)
    (action,) = plan.actions
    assert isinstance(action, UpdatePrice)
    assert action.changes == (FieldChange("nickname", None, "Gold"), FieldChange("lookup_key", None, "gold"))
    # nobody holds "gold": nothing to transfer
    assert action.stripe_params() == {"nickname": "Gold", "lookup_key": "gold"}


def test_price_amount_change_creates_a_new_price_and_archives_the_old_one() -> None:
    d = desired(prices={"gold-special-usd": price(unit_amount=1200, lookup_key="gold")}, invoices={})
    live = converged(desired(prices={"gold-special-usd": price(lookup_key="gold")}, invoices={}))
    plan = make_plan(d, live)
    assert ids(plan) == ["CreatePrice:gold-special-usd", "ArchivePrice:gold-special-usd:price_gold-special-usd"]
    create, archive = plan.actions
    assert create.reason == (
        "a Stripe price cannot change unit_amount: replaces price_gold-special-usd (unit_amount 1000 → 1200)"
    )
    assert create.params["transfer_lookup_key"] is True and create.params["unit_amount"] == 1200
    assert archive == ArchivePrice(
        key="gold-special-usd",
        reason="replaced by the new price of gold-special-usd",
        depends_on=("CreatePrice:gold-special-usd",),
        stripe_id="price_gold-special-usd",
    )
    assert plan.summary == {"create": 1, "update": 0, "lifecycle": 0, "destroy": 1}


def test_price_currency_and_product_changes_are_replacements() -> None:
    d = desired(
        products={"gold-special": product(), "silver": product(name="Silver")},
        prices={"gold-special-usd": price(currency="eur", product="silver")},
        invoices={},
    )
    live = converged(desired(products={"gold-special": product(), "silver": product(name="Silver")}, invoices={}))
    plan = make_plan(d, live)
    assert ids(plan) == ["CreatePrice:gold-special-usd", "ArchivePrice:gold-special-usd:price_gold-special-usd"]
    assert plan.actions[0].reason.startswith("a Stripe price cannot change currency, product:")


def test_price_archive_waits_until_after_invoices() -> None:
    d = desired(prices={"gold-special-usd": price(unit_amount=1200)})
    live = converged(desired())
    plan = make_plan(d, live)
    assert ids(plan)[-1] == "ArchivePrice:gold-special-usd:price_gold-special-usd"


def test_an_inactive_price_is_not_archived_again() -> None:
    d = desired(prices={"gold-special-usd": price(unit_amount=1200)}, invoices={})
    live = converged(desired(invoices={}))
    live = replace(live, prices={"gold-special-usd": replace(live.prices["gold-special-usd"], active=False)})
    assert ids(make_plan(d, live)) == ["CreatePrice:gold-special-usd"]


def test_inactive_spec_price_matches_its_archived_price() -> None:
    d = desired(prices={"gold-special-usd": price(active=False)}, invoices={})
    live = converged(d)
    assert live.prices == {} and "gold-special-usd" in live.archived_prices
    assert make_plan(d, live).is_empty


def test_archived_price_of_same_amount_is_reactivated_not_recreated() -> None:
    d = desired(invoices={})
    old = LivePrice("price_old", "gold-special-usd", "prod_gold-special", 1000, "usd", active=False, created=5)
    older = replace(old, id="price_older", created=1)
    live = replace(converged(d), prices={}, archived_prices={"gold-special-usd": (older, old)})
    (action,) = make_plan(d, live).actions
    assert action == UpdatePrice(
        key="gold-special-usd",
        reason="Stripe differs from the spec: active",
        stripe_id="price_old",
        changes=(FieldChange("active", False, True),),
    )


def test_new_customer_create_params() -> None:
    d = desired(customers={"jenny-rosen": customer(description="My first customer", phone="+1")}, invoices={})
    plan = make_plan(d, replace(converged(d), customers={}))
    assert plan.actions == (
        CreateCustomer(
            key="jenny-rosen",
            reason="not in Stripe",
            params={
                "name": "Jenny Rosen",
                "email": "jenny.rosen@example.com",
                "description": "My first customer",
                "phone": "+1",
                "metadata": {OWNER_KEY: "jenny-rosen"},
            },
        ),
    )
