"""Comparison helpers: normalise what Stripe normalises, diff fields and metadata."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.ownership import KEYS_KEY, MAX_RESERVED_KEYS, RESERVED_PREFIX, keys_record
from reconciler.plan.actions import METADATA_PREFIX, FieldChange, Ref
from reconciler.stripe_facts import MAX_METADATA_KEYS  # Stripe's limit per object


def norm(value: Any) -> Any:
    """Stripe answers "" and null interchangeably for unset strings."""
    return None if value == "" else value


def field_changes(triples: Iterable[tuple[str, Any, Any]]) -> list[FieldChange]:
    """(field, live, desired) triples -> changes where they differ once normalised."""
    return [FieldChange(name, norm(old), norm(new)) for name, old, new in triples if norm(old) != norm(new)]


def owned_metadata_changes(
    live: Mapping[str, str], owned: frozenset[str] | None, desired: Mapping[str, str]
) -> list[FieldChange]:
    """Per-key changes of the metadata the tool owns: the keys it recorded as set
    (`owned`, ownership.KEYS_KEY) and the keys the spec names now. A recorded key
    the spec no longer names is unset (new=None); any other key is someone
    else's and never compared. When the set of owned keys changes, the record
    changes with them, in the same request."""
    recorded = owned or frozenset()
    changes = [
        FieldChange(METADATA_PREFIX + k, live.get(k), desired.get(k))
        for k in sorted(set(desired) | recorded)
        if live.get(k) != desired.get(k)
    ]
    if frozenset(desired) != recorded:
        old, new = keys_record(recorded), keys_record(frozenset(desired))
        changes.append(FieldChange(METADATA_PREFIX + KEYS_KEY, old or None, new or None))
    return changes


def metadata_overflow(live: Mapping[str, str], owned: frozenset[str] | None, desired: Mapping[str, str]) -> str:
    """Why the object's metadata would pass Stripe's 50 keys once the spec's are set, or ""."""
    others = set(live) - (owned or frozenset()) - set(desired)
    total = len(others) + len(desired) + MAX_RESERVED_KEYS
    if total <= MAX_METADATA_KEYS or not set(desired) - set(live):
        return ""
    return (
        f"metadata would hold {total} keys and Stripe allows {MAX_METADATA_KEYS}: {len(others)} set by others, "
        f"{len(desired)} from the spec, up to {MAX_RESERVED_KEYS} reconciler's own; remove "
        f"{total - MAX_METADATA_KEYS} from the spec's metadata"
    )


def create_metadata(owner: dict[str, str], desired: Mapping[str, str]) -> dict[str, str]:
    """Metadata of a new object: its ownership tag, the spec's keys and their record."""
    record = {KEYS_KEY: keys_record(frozenset(desired))} if desired else {}
    return {**owner, **desired, **record}


def drop_none(params: dict[str, Any]) -> dict[str, Any]:
    """Create parameters without the unset optional fields."""
    return {k: v for k, v in params.items() if v is not None}


def show(value: Any) -> str:
    """A value inside a reason string; a reference as kind:key (customer:acme)."""
    if isinstance(value, Ref):
        return str(value)
    if isinstance(value, (list, dict)) and _holds_ref(value):
        # Discounts and tax rates: [{"coupon": coupon:partner-10}], as a reviewer reads them.
        return json.dumps(value, default=str, ensure_ascii=False).replace('"', "")
    return "(unset)" if value is None else repr(value)


def _holds_ref(value: Any) -> bool:
    if isinstance(value, Ref):
        return True
    if isinstance(value, dict):
        return any(_holds_ref(v) for v in value.values())
    return isinstance(value, list) and any(_holds_ref(v) for v in value)


def drift_reason(changes: list[FieldChange]) -> str:
    """The reason of an update: the fields where Stripe differs (the ownership record is bookkeeping)."""
    fields = [c.field for c in changes if not c.field.startswith(METADATA_PREFIX + RESERVED_PREFIX)]
    if not fields:
        return "record which metadata keys the spec owns (metadata.reconciler_keys)"
    return "Stripe differs from the spec: " + ", ".join(fields)


def show_change(change: FieldChange) -> str:
    """'field old → new', inside a reason or a refusal."""
    return f"{change.field} {show(change.old)} → {show(change.new)}"
