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

from collections.abc import Mapping
from typing import Any

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
        value = getattr(spec, f.name)
        if value is not None and value != f.default:
            params[f.param] = value
    params["metadata"] = create_metadata({OWNER_KEY: key}, spec.metadata)
    return params


def _changes(info: KindInfo, cur: TableRecord, spec: Any, *, immutable: bool) -> list[FieldChange]:
    """The compared fields where Stripe differs: the updatable ones, or the immutable ones."""
    triples = [
        (f.param, cur.values[f.name], getattr(spec, f.name))
        for f in info.fields
        if f.compared and f.immutable == immutable
    ]
    return field_changes(triples)


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
