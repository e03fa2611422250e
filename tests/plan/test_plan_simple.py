"""The simple kinds' phase (planner/simple.py) on plain data: fields from the registry's table.

Immutable fields are exercised on the registered kinds' tables with one field
made immutable (no registered simple kind has one yet): an archived kind is
replaced by create-then-archive, a deleted kind by delete-then-create.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.kinds import KINDS, Field, KindInfo
from reconciler.live.records import Live
from reconciler.ownership import OWNER_KEY
from reconciler.plan.actions import (
    ArchiveProduct,
    CreateCustomer,
    CreateProduct,
    DeleteCustomer,
    FieldChange,
    UpdateProduct,
)
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.simple import create_params, plan_simple
from tests.plan.plan_builders import converged, customer, desired, product


def _with_immutable(info: KindInfo, name: str) -> KindInfo:
    return replace(info, fields=tuple(replace(f, updatable=False) if f.name == name else f for f in info.fields))


def _plan(info: KindInfo, d: object, live: Live) -> Context:
    ctx = Context(desired=d, live=live, prune=False)  # type: ignore[arg-type]
    plan_simple(ctx, info)
    return ctx


def test_create_params_leave_out_stripes_defaults() -> None:
    info = KINDS["product"]
    assert create_params(info, "gold", product()) == {"name": "Gold Special", "metadata": {OWNER_KEY: "gold"}}
    assert create_params(info, "gold", product(active=False))["active"] is False


def test_an_updatable_field_is_updated_in_place() -> None:
    d = desired(products={"gold-special": product(unit_label="seat")})
    live = converged(desired(products={"gold-special": product(unit_label="user")}))
    ctx = _plan(KINDS["product"], d, live)
    assert ctx.actions == [
        UpdateProduct(key="gold-special", reason="Stripe differs from the spec: unit_label", stripe_id="prod_gold-special",
                      changes=(FieldChange("unit_label", "user", "seat"),)),
    ]


def test_an_immutable_field_of_an_archived_kind_replaces_it_new_one_first() -> None:
    info = _with_immutable(KINDS["product"], "unit_label")
    d = desired(products={"gold-special": product(unit_label="seat")})
    live = converged(desired(products={"gold-special": product(unit_label="user")}))
    create, archive = _plan(info, d, live).actions
    assert create == CreateProduct(
        key="gold-special",
        reason="a Stripe product cannot change unit_label: replaces prod_gold-special (unit_label 'user' → 'seat')",
        params={"name": "Gold Special", "unit_label": "seat", "metadata": {OWNER_KEY: "gold-special"}},
    )
    assert archive == ArchiveProduct(key="gold-special", reason="replaced by the new product of gold-special",
                                     depends_on=(create.id,), stripe_id="prod_gold-special")


def test_an_immutable_field_of_a_deleted_kind_deletes_the_old_one_first() -> None:
    info = _with_immutable(KINDS["customer"], "email")
    d = desired(customers={"jenny-rosen": customer(email="new@example.com")})
    live = converged(desired(customers={"jenny-rosen": customer()}))
    delete, create = _plan(info, d, live).actions
    assert delete == DeleteCustomer(key="jenny-rosen", reason="to be replaced: email 'jenny.rosen@example.com' → 'new@example.com'",
                                    stripe_id="cus_jenny-rosen")
    assert isinstance(create, CreateCustomer) and create.depends_on == (delete.id,)
    assert create.params["email"] == "new@example.com"


def test_a_field_not_compared_is_written_at_creation_only() -> None:
    table = tuple(replace(f, compared=False) if f.name == "unit_label" else f for f in KINDS["product"].fields)
    info = replace(KINDS["product"], fields=table)
    d = desired(products={"gold-special": product(unit_label="seat")})
    live = converged(desired(products={"gold-special": product(unit_label="user")}))
    assert _plan(info, d, live).actions == []
    assert create_params(info, "gold", product(unit_label="seat"))["unit_label"] == "seat"


def test_field_flags() -> None:
    assert Field("percent_off", updatable=False).immutable
    assert not Field("note", compared=False, updatable=False).immutable
    assert Field("x", stripe="y").param == "y" and Field("x").param == "x"
    assert KINDS["customer"].personal_fields == {"name", "email", "description", "phone"} | {
        f.name for f in KINDS["customer"].fields if f.personal
    }
