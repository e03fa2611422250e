"""Ref resolution: spec references to Stripe ids, from live state or this run."""

from __future__ import annotations

import threading
from typing import Any

from reconciler.apply.errors import UnresolvedRef
from reconciler.kinds import KINDS
from reconciler.live.records import Live
from reconciler.plan.actions import Ref


def placeholder(ref: Ref) -> str:
    """How an id not known before apply is shown in a dry run."""
    return f"<id of {ref}>"


class Resolver:
    """Maps Refs to ids. Objects created in this run win over live state: a
    replaced price's key then points at the new price, not the archived one."""

    def __init__(self, live: Live) -> None:
        self._live = live
        self._created: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def record(self, ref: Ref, stripe_id: str) -> None:
        with self._lock:
            self._created[(ref.kind, ref.key)] = stripe_id

    def lookup(self, ref: Ref) -> str | None:
        with self._lock:
            created = self._created.get((ref.kind, ref.key))
        if created:
            return created
        info = KINDS.get(ref.kind)
        record = getattr(self._live, info.section).get(ref.key) if info is not None else None
        return record.id if record is not None else None

    def resolve(self, value: Any, *, dry_run: bool = False) -> Any:
        """`value` with every Ref replaced by its id (or, in a dry run, by a
        placeholder when the id only exists once the plan has run)."""
        if isinstance(value, Ref):
            found = self.lookup(value)
            if found is not None:
                return found
            if dry_run:
                return placeholder(value)
            raise UnresolvedRef(value)
        if isinstance(value, dict):
            return {k: self.resolve(v, dry_run=dry_run) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.resolve(v, dry_run=dry_run) for v in value]
        return value
