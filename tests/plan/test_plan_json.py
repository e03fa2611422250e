"""Plan object: order check, summary, fingerprint, JSON round trip, malformed files."""

from __future__ import annotations

import copy
import json
from dataclasses import fields, replace
from typing import Any

import pytest
from plan_builders import converged, desired, invoice

from reconciler.live.account import Account
from reconciler.live.records import Live, LiveItem
from reconciler.plan.actions import ALL_ACTIONS, Action, FieldChange, Ref
from reconciler.plan.codec import FIELD_SHAPES
from reconciler.plan.errors import PlanFileError
from reconciler.plan.fingerprint import live_fingerprint
from reconciler.plan.plan import InvoiceTotal, Plan
from reconciler.plan.planner import make_plan


def every_action_plan() -> Plan:
    """One action of every class, with Refs, changes and a tricky metadata key."""
    actions: list[Action] = []
    for cls in ALL_ACTIONS:
        kwargs: dict[str, Any] = {"key": f"k-{cls.__name__.lower()}", "reason": f"because {cls.__name__}"}
        names = {f.name for f in fields(cls)}
        if "params" in names:
            kwargs["params"] = {
                "customer": Ref("customer", "jenny-rosen"),
                "pricing": {"price": Ref("price", "gold-special-usd")},
                "metadata": {"$ref": "not a ref", "reconciler_id": "x"},
                "quantity": 2,
                "active": False,
                "description": None,
            }
        if "changes" in names:
            kwargs["changes"] = (
                FieldChange("email", "a@example.com", "b@example.com"),
                FieldChange("metadata.gone", "x", None),
                FieldChange("price", "price_1", Ref("price", "gold-special-usd")),
            )
        if "stripe_id" in names:
            kwargs["stripe_id"] = "obj_1"
        if "item_key" in names:
            kwargs["item_key"] = "item-1"
        if "prune" in names:
            kwargs["prune"] = True
        if "transfer_lookup_key" in names:
            kwargs["transfer_lookup_key"] = True
        if "item_params" in names:
            kwargs["item_params"] = {"ii_1": {"metadata": {"reconciler_item": "gold-special-usd"}}}
        if actions:
            kwargs["depends_on"] = (actions[-1].id,)
        actions.append(cls(**kwargs))
    return Plan(
        tuple(actions), "f" * 64, (InvoiceTotal("k", 1000, "usd"),), account=Account("acct_1", False),
        targets=("invoice/k",), managed={"invoice": 3},
    )


def test_round_trip_is_exact_for_every_action_type() -> None:
    plan = every_action_plan()
    data = json.loads(json.dumps(plan.to_json()))
    assert Plan.from_json(data) == plan
    assert data["format_version"] == 2 and data["api_version"] == "2026-10-28.endive"
    assert data["actions"][0]["params"]["customer"] == {"$ref": "customer:jenny-rosen"}
    assert data["actions"][0]["params"]["metadata"] == {"$map": {"$ref": "not a ref", "reconciler_id": "x"}}
    assert data["actions"][1]["changes"][2] == {"field": "price", "old": "price_1", "new": {"$ref": "price:gold-special-usd"}}


def test_round_trip_of_a_planned_plan() -> None:
    d = desired(invoices={"a": invoice(status="sent")})
    plan = make_plan(d, Live())
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


@pytest.mark.parametrize("prune", [False, True])
def test_plan_records_prune_and_round_trips_it(prune: bool) -> None:
    d = desired()
    plan = make_plan(d, Live(), prune=prune)
    data = json.loads(json.dumps(plan.to_json()))
    assert plan.prune is prune and data["prune"] is prune
    assert Plan.from_json(data).prune is prune


def test_every_action_field_has_a_json_shape() -> None:
    for cls in ALL_ACTIONS:
        assert {f.name for f in fields(cls)} <= set(FIELD_SHAPES), cls.__name__


def _broken(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(every_action_plan().to_json())
    mutate(data)
    return data


MALFORMED = [
    (lambda d: d.update(format_version=1), "invalid plan file: format_version 1 is not supported (this tool reads 2)"),
    (lambda d: d.update(api_version="2020-01-01"), "invalid plan file: api_version '2020-01-01' differs from this tool's '2026-10-28.endive'"),
    (lambda d: d.pop("objects"), "invalid plan file: missing top-level field 'objects'"),
    (lambda d: d.update(account={"id": "acct_1"}), "invalid plan file: account: expected {id, livemode}"),
    (lambda d: d.update(targets="invoice/k"), "invalid plan file: targets: expected a list of strings"),
    (lambda d: d.update(warnings=["edited"]), "invalid plan file: warnings ['edited'] does not match the actions ([])"),
    (lambda d: d.update(extra=1), "invalid plan file: unknown top-level field 'extra'"),
    (lambda d: d.pop("prune"), "invalid plan file: missing top-level field 'prune'"),
    (lambda d: d.update(prune="yes"), "invalid plan file: prune: expected true or false"),
    (lambda d: d.update(actions={}), "invalid plan file: actions: expected a list"),
    (lambda d: d["actions"][0].update(type="DropTable"), "invalid plan file: actions[0]: unknown action type 'DropTable'"),
    (lambda d: d["actions"][0].update(color="red"), "invalid plan file: actions[0] (CreateProduct): unknown field 'color'"),
    (lambda d: d["actions"][0].update(key=7), "invalid plan file: actions[0].key: expected a string"),
    (lambda d: d["actions"][0].pop("reason"), "invalid plan file: actions[0] (CreateProduct): missing field 'reason'"),
    (lambda d: d["actions"][1].update(depends_on=["CreateThing:x"]), "invalid plan file: action 'UpdateProduct:k-updateproduct' depends on unknown or later action 'CreateThing:x'"),
    (lambda d: d["actions"][1].update(changes=[{"field": "a"}]), "invalid plan file: actions[1].changes[0]: expected {field, old, new}"),
    (lambda d: d["actions"][0]["params"].update(customer={"$ref": "planet:mars"}), "invalid plan file: actions[0].params: bad reference 'planet:mars' (expected 'kind:key')"),
    (lambda d: d["actions"][0]["params"].update(quantity=1.5), "invalid plan file: actions[0].params: unsupported value 1.5"),
    (lambda d: d["actions"][0].update(id="CreateProduct:other"), "invalid plan file: actions[0]: id 'CreateProduct:other' does not match its content ('CreateProduct:k-createproduct')"),
    (lambda d: d["summary"].update(create=99), "invalid plan file: summary {'adopt': 7, 'create': 99, 'update': 9, 'lifecycle': 7, 'destroy': 8} does not match the actions ({'adopt': 7, 'create': 10, 'update': 9, 'lifecycle': 7, 'destroy': 8})"),
    (lambda d: d.update(invoice_totals=[{"invoice": "a"}]), "invalid plan file: invoice_totals[0]: expected {invoice, amount, currency}"),
    (lambda d: d["actions"].append(d["actions"][0]), "invalid plan file: action 'CreateProduct:k-createproduct' appears twice"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "message"), MALFORMED)
def test_malformed_plan_files_are_one_clear_error(mutate: Any, message: str) -> None:
    with pytest.raises(PlanFileError) as err:
        Plan.from_json(_broken(mutate))
    assert str(err.value) == message


@pytest.mark.parametrize("data", [None, [], "plan", 3])
def test_non_object_plan_file(data: object) -> None:
    with pytest.raises(PlanFileError, match="^invalid plan file: expected a JSON object at the top level$"):
        Plan.from_json(data)


def test_plan_refuses_actions_out_of_dependency_order() -> None:
    plan = every_action_plan()
    with pytest.raises(ValueError, match="depends on unknown or later action"):
        Plan(tuple(reversed(plan.actions)), "f")


def test_summary_counts_sections() -> None:
    # One action of each class: the tax rate's and coupon's (issue 19) and the credit note's (issue 20), AddTaxId and RemoveTaxId (issue 18) count too.
    assert every_action_plan().summary == {"adopt": 7, "create": 10, "update": 9, "lifecycle": 7, "destroy": 8}
    assert Plan((), "f").is_empty


def test_fingerprint_is_deterministic_and_order_independent() -> None:
    d = desired(invoices={"a": invoice(), "b": invoice()})
    live = converged(d)
    reordered = replace(
        live,
        invoices=dict(reversed(list(live.invoices.items()))),
        customers=dict(reversed(list(live.customers.items()))),
    )
    extra = LiveItem("ii_0", "x", None, 1, 1, "usd")
    with_item = replace(live, invoices={**live.invoices, "a": replace(live.invoices["a"], items=(*live.invoices["a"].items, extra))})
    with_item_first = replace(live, invoices={**live.invoices, "a": replace(live.invoices["a"], items=(extra, *live.invoices["a"].items))})
    fp = live_fingerprint(live)
    assert len(fp) == 64 and fp == live_fingerprint(reordered) == live_fingerprint(converged(d))
    assert live_fingerprint(with_item) == live_fingerprint(with_item_first) != fp
    paid = replace(live, invoices={**live.invoices, "a": replace(live.invoices["a"], amount_paid=1)})
    assert live_fingerprint(paid) != fp
    assert make_plan(d, live).fingerprint == fp

