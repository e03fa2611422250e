"""Actions <-> JSON-ready data, strict on the way in (a plan file is untrusted input)."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any, get_args

from reconciler.kinds import Kind
from reconciler.plan.actions import ALL_ACTIONS, Action, FieldChange, Ref
from reconciler.plan.errors import PlanFileError

ACTION_TYPES: dict[str, type[Action]] = {cls.name: cls for cls in ALL_ACTIONS}
_KINDS: frozenset[str] = frozenset(get_args(Kind))

# The JSON shape of every action field; a test checks each dataclass field is listed.
FIELD_SHAPES: dict[str, str] = {
    "key": "str",
    "reason": "str",
    "depends_on": "ids",
    "params": "params",
    "stripe_id": "str",
    "changes": "changes",
    "item_key": "str",
    "prune": "bool",
    "transfer_lookup_key": "bool",
    "assume_unsent": "bool",
    "item_params": "params",
    "payment_method": "str",
    "card": "str",
    "after_charge": "str",
    "revises": "str",
    "number": "str",
    "tax_id": "str",
}


# Values: None, bool, int, str, Ref, lists and str-keyed dicts of those; a finite float only as
# the value of a field Stripe takes with a fraction (a tax rate's percentage, a coupon's percent_off).
FRACTIONAL = frozenset({"percentage", "percent_off"})

# A Ref becomes {"$ref": "kind:key"}; a real dict that happens to have a "$ref"
# or "$map" key is wrapped as {"$map": {...}} so decoding stays exact.
def encode_value(value: Any) -> Any:
    if isinstance(value, Ref):
        return {"$ref": str(value)}
    if isinstance(value, dict):
        encoded = {str(k): encode_value(v) for k, v in value.items()}
        return {"$map": encoded} if ("$ref" in value or "$map" in value) else encoded
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    return value


def _fraction(key: object, value: object) -> bool:
    return key in FRACTIONAL and isinstance(value, float) and math.isfinite(value)


def decode_value(data: Any, where: str) -> Any:
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return [decode_value(v, where) for v in data]
    if isinstance(data, dict):
        if set(data) == {"$ref"}:
            return _decode_ref(data["$ref"], where)
        if set(data) == {"$map"}:
            if not isinstance(data["$map"], dict):
                raise PlanFileError(f"{where}: $map must be an object")
            data = data["$map"]
        return {str(k): v if _fraction(k, v) else decode_value(v, where) for k, v in data.items()}
    raise PlanFileError(f"{where}: unsupported value {data!r}")


def _decode_ref(text: Any, where: str) -> Ref:
    kind, sep, key = text.partition(":") if isinstance(text, str) else ("", "", "")
    if not sep or kind not in _KINDS or not key:
        raise PlanFileError(f"{where}: bad reference {text!r} (expected 'kind:key')")
    return Ref(kind, key)  # type: ignore[arg-type]  # kind checked against Kind above


def action_to_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"type": action.name, "id": action.id}
    for f in fields(action):
        value = getattr(action, f.name)
        if f.name == "changes":
            out[f.name] = [
                {"field": c.field, "old": encode_value(c.old), "new": encode_value(c.new)} for c in value
            ]
        else:
            out[f.name] = encode_value(value)
    return out


def action_from_json(data: Any, index: int) -> Action:
    where = f"actions[{index}]"
    if not isinstance(data, dict):
        raise PlanFileError(f"{where}: expected an object")
    type_name = data.get("type")
    cls = ACTION_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise PlanFileError(f"{where}: unknown action type {type_name!r}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names - {"type", "id"})
    if unknown:
        raise PlanFileError(f"{where} ({type_name}): unknown field {unknown[0]!r}")
    missing = sorted(n for n in ("key", "reason") if n not in data)
    if missing:
        raise PlanFileError(f"{where} ({type_name}): missing field {missing[0]!r}")
    kwargs = {name: _field(name, data[name], f"{where}.{name}") for name in names if name in data}
    action = cls(**kwargs)
    if "id" in data and data["id"] != action.id:
        raise PlanFileError(f"{where}: id {data['id']!r} does not match its content ({action.id!r})")
    return action


def _field(name: str, value: Any, where: str) -> Any:
    shape = FIELD_SHAPES[name]
    if shape == "str":
        if not isinstance(value, str):
            raise PlanFileError(f"{where}: expected a string")
        return value
    if shape == "bool":
        if not isinstance(value, bool):
            raise PlanFileError(f"{where}: expected true or false")
        return value
    if shape == "ids":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PlanFileError(f"{where}: expected a list of action ids")
        return tuple(value)
    if shape == "params":
        if not isinstance(value, dict) or "$ref" in value or "$map" in value:
            raise PlanFileError(f"{where}: expected an object of parameters")
        return decode_value(value, where)
    # changes
    if not isinstance(value, list):
        raise PlanFileError(f"{where}: expected a list of changes")
    changes = []
    for i, change in enumerate(value):
        if not isinstance(change, dict) or set(change) != {"field", "old", "new"}:
            raise PlanFileError(f"{where}[{i}]: expected {{field, old, new}}")
        if not isinstance(change["field"], str):
            raise PlanFileError(f"{where}[{i}].field: expected a string")
        changes.append(
            FieldChange(change["field"], decode_value(change["old"], where), decode_value(change["new"], where))
        )
    return tuple(changes)
