"""Every place that lists object kinds derives them from reconciler.kinds, or is
checked against it here: a kind registered and forgotten somewhere fails a test."""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path
from typing import Any, get_args

import pytest
from click import Choice

from reconciler import kinds
from reconciler.apply.resolve import Resolver
from reconciler.cli import main
from reconciler.gateway.read import read_live
from reconciler.importer import _LIST_ENDPOINTS
from reconciler.importer import KINDS as IMPORT_KINDS
from reconciler.kinds import KINDS, SIMPLE_KINDS, SUB_KINDS, KindInfo
from reconciler.live import records
from reconciler.live.inventory import Found, Inventory
from reconciler.live.records import RECORDS, Live, LiveObject, TableRecord
from reconciler.plan.actions import ALL_ACTIONS, Ref
from reconciler.plan.codec import decode_value
from reconciler.plan.planner.adopt import ADOPT_ACTIONS
from reconciler.plan.target import TARGET_KINDS, Target, narrow
from reconciler.plan.watch import PERSONAL_FIELDS, LiveIndex
from reconciler.sandbox.expand import _KIND_BY_PREFIX
from reconciler.spec.entries import KINDS as SPEC_SECTIONS
from reconciler.spec.errors import SpecErrors
from reconciler.spec.loader import load_specs
from reconciler.spec.models import SPEC_MODELS, Desired
from reconciler.spec.schema import SpecFile, spec_json_schema
from tests.apply.helpers import gateway_for, plan_and_apply, write_specs

INFOS = list(KINDS.values())
ids = [info.name for info in INFOS]

# One spec entry of every kind, each referring to the ones before it.
ONE_OF_EACH = """
products:
  gold:
    name: Gold
prices:
  gold-usd:
    product: gold
    unit_amount: 1000
    currency: usd
customers:
  acme:
    name: Acme
tax_rates:
  de-vat-19:
    display_name: MwSt.
    percentage: 19
    inclusive: false
coupons:
  partner-10:
    name: Partner 10%
    percent_off: 10
invoices:
  acme-1:
    customer: acme
    days_until_due: 30
    items:
      - price: gold-usd
"""


def _record(info: KindInfo, key: str = "k") -> Any:
    """A minimal live record of the kind: required fields get plain values."""
    record = RECORDS[info.name]
    stripe_id = f"{info.id_prefix or ''}1"
    if issubclass(record, TableRecord):
        return record(stripe_id, key)  # every table field has a default
    hints = typing.get_type_hints(record, vars(records))
    values: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        tp = hints[f.name]
        values[f.name] = 0 if tp is int else stripe_id if f.name == "id" else key if f.name == "key" else "x"
    return record(**values)


def _live_of_each() -> Live:
    return Live(**{info.section: {"k": _record(info)} for info in INFOS})


def test_names_and_sections_are_unique_and_lowercase() -> None:
    prefixes = [i.id_prefix for i in INFOS if i.id_prefix is not None]
    assert len({i.name for i in INFOS}) == len({i.section for i in INFOS}) == len(INFOS)
    assert len(set(prefixes)) == len(prefixes) and all(prefix.endswith("_") for prefix in prefixes)
    assert all(i.name.isidentifier() and i.name.islower() for i in INFOS)
    assert all(i.list_path == f"/v1/{i.section}" for i in INFOS)


def test_registration_order_is_dependency_order(tmp_path: Path) -> None:
    # --target's closure walks the kinds backwards on this promise.
    order = list(KINDS)
    desired = load_specs([write_specs(tmp_path, ONE_OF_EACH)])
    for info in INFOS:
        for spec in getattr(desired, info.section).values():
            for ref_kind, _ in spec.references():
                assert order.index(ref_kind) < order.index(info.name)


def test_the_kind_literal_is_the_registry_and_its_sub_kinds() -> None:
    assert get_args(kinds.Kind) == (*KINDS, *SUB_KINDS)
    assert all(owner in KINDS for owner in SUB_KINDS.values())


@pytest.mark.parametrize("info", INFOS, ids=ids)
def test_desired_has_a_section_of_the_spec_model(info: KindInfo) -> None:
    field = Desired.model_fields[info.section]
    assert field.annotation == dict[str, SPEC_MODELS[info.name]]  # type: ignore[misc]
    assert SPEC_SECTIONS[info.section] == (info.name, SPEC_MODELS[info.name])


def test_desired_and_spec_file_hold_exactly_the_registered_sections() -> None:
    sections = [name for name, f in Desired.model_fields.items() if name not in ("locations", "files")]
    assert sections == [info.section for info in INFOS]
    assert list(SpecFile.model_fields) == sections
    assert list(spec_json_schema()["properties"]) == sections


@pytest.mark.parametrize("info", INFOS, ids=ids)
def test_live_has_a_table_of_the_live_record(info: KindInfo) -> None:
    hints = typing.get_type_hints(Live, vars(records))
    assert hints[info.section] == dict[str, RECORDS[info.name]]  # type: ignore[misc]
    for history in info.history:
        assert hints[history] == dict[str, tuple[RECORDS[info.name], ...]]  # type: ignore[misc]


@pytest.mark.parametrize("info", INFOS, ids=ids)
def test_the_import_inventory_has_a_table_of_the_live_record(info: KindInfo) -> None:
    found = Found(_record(info), created=1)
    assert Inventory().sections[info.section] == ()
    assert getattr(Inventory(**{info.section: (found,)}), info.section) == (found,)


def test_live_object_is_the_union_of_the_registered_records() -> None:
    assert set(get_args(LiveObject)) == set(RECORDS.values())
    assert list(RECORDS) == list(SPEC_MODELS) == list(KINDS)


@pytest.mark.parametrize("info", INFOS, ids=ids)
def test_adopt_ids_carry_the_kinds_prefix(info: KindInfo) -> None:
    pattern = SPEC_MODELS[info.name].model_json_schema()["properties"]["adopt"]["anyOf"][0]["pattern"]
    assert pattern == f"^{info.id_prefix or ''}[A-Za-z0-9_-]+$"
    assert ADOPT_ACTIONS[info.name].kind == info.name


def test_adopt_actions_are_one_per_kind() -> None:
    assert set(ADOPT_ACTIONS) == set(KINDS)
    assert {cls.kind for cls in ALL_ACTIONS} == set(get_args(kinds.Kind))


@pytest.mark.parametrize("info", INFOS, ids=ids)
def test_every_kind_is_resolved_watched_targeted_and_decoded(info: KindInfo) -> None:
    live = _live_of_each()
    record = getattr(live, info.section)["k"]
    assert Resolver(live).lookup(Ref(info.name, "k")) == record.id  # type: ignore[arg-type]
    assert LiveIndex(live).find(f"{info.name}:k") is record
    assert PERSONAL_FIELDS[info.name] == info.personal_fields
    assert decode_value({"$ref": f"{info.name}:k"}, "here") == Ref(info.name, "k")  # type: ignore[arg-type]
    target = Target.parse(f"{info.name}/k")
    _, kept = narrow(Desired(), live, (target,))
    assert {s.section: list(getattr(kept, s.section)) for s in INFOS} == {
        s.section: (["k"] if s is info else []) for s in INFOS
    }
    assert info.name in TARGET_KINDS


def test_the_sandbox_looks_up_every_kind_by_its_prefix() -> None:
    for info in INFOS:
        if info.id_prefix is not None:  # a kind whose ids the user chooses has none
            assert _KIND_BY_PREFIX[info.id_prefix.rstrip("_")] == info.name


def test_the_importer_and_its_cli_option_know_every_kind() -> None:
    assert IMPORT_KINDS == tuple(KINDS)
    assert _LIST_ENDPOINTS == tuple(info.list_path for info in INFOS)
    option = next(p for p in main.commands["import"].params if p.name == "kinds")
    assert isinstance(option.type, Choice) and list(option.type.choices) == list(KINDS)


def test_a_spec_naming_an_unknown_section_lists_every_kind(tmp_path: Path) -> None:
    with pytest.raises(SpecErrors) as caught:
        load_specs([write_specs(tmp_path, "subscriptions:\n  x: {}\n")])
    assert f"expected {kinds.names_list([i.section for i in INFOS])}" in str(caught.value)


def test_one_of_each_kind_goes_to_stripe_and_is_read_back(sandbox: Any, tmp_path: Path) -> None:
    """Through the real SDK: the planner creates every kind, the sandbox gives
    each its Stripe id prefix, and the reader brings each back under its key."""
    gateway = gateway_for(sandbox)
    specs = write_specs(tmp_path, ONE_OF_EACH)
    plan_and_apply(gateway, specs)
    live = read_live(gateway)
    desired = load_specs([specs])
    for info in INFOS:
        keys = list(getattr(desired, info.section))
        read = getattr(live, info.section)
        assert list(read) == keys
        assert all(record.id.startswith(info.id_prefix or "") for record in read.values())


def test_the_registry_is_data_at_the_bottom_layer() -> None:
    """kinds.py imports nothing of the tool: everything else may read it (the CLI's --help too)."""
    tree = ast.parse(Path(kinds.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [name for name in imported if name.startswith("reconciler")]


@pytest.mark.parametrize("info", SIMPLE_KINDS, ids=[i.name for i in SIMPLE_KINDS])
def test_a_simple_kinds_spec_model_holds_its_table_and_nothing_else(info: KindInfo) -> None:
    """Its spec model, live record and field table name the same fields: one cannot forget one."""
    table = [f.name for f in info.fields]
    assert [name for name in SPEC_MODELS[info.name].model_fields if name not in ("metadata", "adopt")] == table
    assert list(RECORDS[info.name]("x", "k").values) == table
    assert len(set(table)) == len(table) and all(not (f.personal and f.immutable) or f.compared for f in info.fields)
    assert info.destroy in ("archive", "delete", "")
    assert all(field in table for field in info.key_from) and info.key_from


@pytest.mark.parametrize("info", SIMPLE_KINDS, ids=[i.name for i in SIMPLE_KINDS])
def test_a_simple_kind_has_its_generic_actions(info: KindInfo) -> None:
    verbs = {cls.verb for cls in ALL_ACTIONS if cls.kind == info.name}
    assert {"create", "update", "adopt"} <= verbs
    assert (info.destroy in verbs) if info.destroy else not verbs & {"archive", "delete"}
