"""The simple kinds' phase: create, update or replace each object from its kind's field table.

One phase serves every kind with a field table (reconciler.kinds): a spec key
not in Stripe is created with the fields that differ from Stripe's defaults;
one in Stripe gets an update of the compared, updatable fields (and the
metadata the tool owns) that differ. A difference in an immutable field
cannot be updated: the object is replaced, as a price is. A new object is
created and the old one archived after it (the archive fails rather than
leaving nothing); a kind Stripe only deletes has the old one deleted first,
so two objects never claim one key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from reconciler.kinds import KindInfo
from reconciler.live.records import TableRecord
from reconciler.ownership import OWNER_KEY
from reconciler.plan.actions import CREATE_OF, DESTROY_OF, UPDATE_OF, FieldChange
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.diff import create_metadata, drift_reason, field_changes, show_change


def plan_simple(ctx: Context, info: KindInfo) -> None:
    """The actions of one simple kind, in spec-key order."""
    specs: Mapping[str, Any] = getattr(ctx.desired, info.section)
    records: Mapping[str, TableRecord] = getattr(ctx.live, info.section)
    for key in sorted(specs):
        spec, cur = specs[key], records.get(key)
        if cur is None:
            ctx.add(CREATE_OF[info.name](key=key, reason="not in Stripe", params=create_params(info, key, spec)))
            continue
        immutable = _changes(info, cur, spec, immutable=True)
        if immutable:
            _replace(ctx, info, key, spec, cur, immutable)
            continue
        changes = _changes(info, cur, spec, immutable=False) + ctx.metadata_changes(
            f"{info.name} {key}", cur.metadata, cur.owned_keys, spec.metadata
        )
        if changes:
            ctx.add(UPDATE_OF[info.name](key=key, reason=drift_reason(changes), stripe_id=cur.id, changes=tuple(changes)))


def create_params(info: KindInfo, key: str, spec: Any) -> dict[str, Any]:
    """Stripe's create parameters: the fields set to other than Stripe's default, and the metadata."""
    params: dict[str, Any] = {}
    for f in info.fields:
        value = plain(getattr(spec, f.name))
        if f.named_only:
            value = _without_blanks(value)
        if value is not None and value != f.default:
            params[f.param] = value
    params["metadata"] = create_metadata({OWNER_KEY: key}, spec.metadata)
    if info.chosen_id:
        params["id"] = chosen_id(info, key, spec)
    return params


def chosen_id(info: KindInfo, key: str, spec: Any) -> str:
    """The id the tool gives an object whose id Stripe lets the caller choose (a coupon):
    the spec key and 8 hex digits of its immutable fields. The same spec always names the
    same id, so a retried create finds its own coupon instead of making a second; changed
    terms name another, so a replacement never reuses the id discounts already point at."""
    terms = {f.param: getattr(spec, f.name) for f in info.fields if f.immutable}
    digest = hashlib.sha256(json.dumps(terms, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return f"{key}-{digest}"


def _changes(info: KindInfo, cur: TableRecord, spec: Any, *, immutable: bool) -> list[FieldChange]:
    """The compared fields where Stripe differs: the updatable ones, or the immutable ones."""
    fields = [f for f in info.fields if f.compared and f.immutable == immutable]
    triples = [(f.param, cur.values[f.name], getattr(spec, f.name)) for f in fields if not f.named_only]
    return field_changes(triples) + [
        change for f in fields if f.named_only for change in _named_change(f.param, cur.values[f.name], spec, f.name)
    ]


def plain(value: Any) -> Any:
    """A spec value as Stripe's JSON: a nested spec model as a mapping of the keys it sets."""
    if isinstance(value, BaseModel):
        return {k: plain(v) for k, v in value.model_dump(exclude_none=True).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _named_change(param: str, live: Any, spec: Any, name: str) -> list[FieldChange]:
    """A named-only field's change: compared where the spec names it, a mapping on the keys it names.

    An empty string or list in the spec clears the value (Stripe's own way to unset), so it is sent as "".
    """
    wanted = plain(getattr(spec, name))
    if wanted is None:
        return []
    seen = _projected(live, wanted)
    if _normalised(seen) == _normalised(wanted):
        return []
    return [FieldChange(param, seen, _blanks_as_unset(wanted))]


def _projected(live: Any, wanted: Any) -> Any:
    """The live value cut to the keys `wanted` names, at every depth."""
    if isinstance(wanted, dict):
        found = live if isinstance(live, dict) else {}
        return {k: _projected(found.get(k), v) for k, v in wanted.items()}
    return live


def _normalised(value: Any) -> Any:
    """Stripe answers "", [] and null alike for what is unset; a mapping with nothing set is unset too
    (a spec's `address: ""` against an address whose every line is null)."""
    if isinstance(value, dict):
        found = {k: _normalised(v) for k, v in value.items()}
        return None if all(v is None for v in found.values()) else found
    return None if value in ("", []) else value


def _blanks_as_unset(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _blanks_as_unset(v) for k, v in value.items()}
    return "" if value == [] else value


def _without_blanks(value: Any) -> Any:
    """A create's value without the keys that would only unset (nothing is set yet)."""
    if isinstance(value, dict):
        kept = {k: _without_blanks(v) for k, v in value.items() if _normalised(v) is not None}
        return kept or None
    return None if _normalised(value) is None else value


def _replace(
    ctx: Context, info: KindInfo, key: str, spec: Any, cur: TableRecord, immutable: list[FieldChange]
) -> None:
    what = ", ".join(show_change(c) for c in immutable)
    reason = (
        f"a Stripe {info.name.replace('_', ' ')} cannot change {', '.join(c.field for c in immutable)}: "
        f"replaces {cur.id} ({what})"
    )
    create, destroy = CREATE_OF[info.name], DESTROY_OF[info.name, info.destroy or "delete"]
    params = create_params(info, key, spec)
    if info.destroy == "archive":
        created = ctx.add(create(key=key, reason=reason, params=params))
        ctx.add(destroy(key=key, reason=f"replaced by the new {info.name} of {key}", depends_on=(created,),
                        stripe_id=cur.id))
        return
    removed = ctx.add(destroy(key=key, reason=f"to be replaced: {what}", stripe_id=cur.id))
    ctx.add(create(key=key, reason=reason, depends_on=(removed,), params=params))
