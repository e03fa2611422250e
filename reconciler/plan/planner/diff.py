"""Comparison helpers: normalise what Stripe normalises, diff fields and metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.plan.actions import METADATA_PREFIX, FieldChange


def norm(value: Any) -> Any:
    """Stripe answers "" and null interchangeably for unset strings."""
    return None if value == "" else value


def field_changes(triples: Iterable[tuple[str, Any, Any]]) -> list[FieldChange]:
    """(field, live, desired) triples -> changes where they differ once normalised."""
    return [FieldChange(name, norm(old), norm(new)) for name, old, new in triples if norm(old) != norm(new)]


def metadata_changes(live: Mapping[str, str], desired: Mapping[str, str]) -> list[FieldChange]:
    """Per-key changes of the user metadata; a key gone from the spec is unset (new=None)."""
    if live == desired:
        return []
    return [
        FieldChange(METADATA_PREFIX + k, live.get(k), desired.get(k))
        for k in sorted(set(live) | set(desired))
        if live.get(k) != desired.get(k)
    ]


def drop_none(params: dict[str, Any]) -> dict[str, Any]:
    """Create parameters without the unset optional fields."""
    return {k: v for k, v in params.items() if v is not None}


def show(value: Any) -> str:
    """A value inside a reason string."""
    return "(unset)" if value is None else repr(value)


def drift_reason(changes: list[FieldChange]) -> str:
    """The reason of an update: the fields where Stripe differs."""
    return "Stripe differs from the spec: " + ", ".join(c.field for c in changes)


def show_change(change: FieldChange) -> str:
    """'field old → new', inside a reason or a refusal."""
    return f"{change.field} {show(change.old)} → {show(change.new)}"
