"""--target KIND/KEY: plan only some objects and what they depend on.

A filter on the inputs, so the planner itself knows nothing of targets: the
specs and the live state are narrowed to the targets and their dependency
closure (an invoice needs its customer and its items' prices, a price its
product), then planned as usual. Live objects are narrowed to the same keys,
so `--prune` can only remove a targeted object.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, TypeVar

from reconciler.errors import ReconcilerError
from reconciler.kinds import KINDS
from reconciler.live.records import Live
from reconciler.spec.models import Desired

T = TypeVar("T")

TargetKind = str  # a registered kind's name (reconciler.kinds)
TARGET_KINDS = tuple(KINDS)


class BadTarget(ReconcilerError):
    kind = "usage"

    def __init__(self, text: str, why: str) -> None:
        super().__init__(f"--target {text!r}: {why}")


@dataclass(frozen=True, order=True)
class Target:
    kind: TargetKind
    key: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.key}"

    @classmethod
    def parse(cls, text: str) -> Target:
        kind, sep, key = text.partition("/")
        if not sep or not key:
            raise BadTarget(text, "expected KIND/KEY, e.g. invoice/acme-2026-11")
        if kind not in TARGET_KINDS:
            raise BadTarget(text, f"unknown kind {kind!r} (one of {', '.join(TARGET_KINDS)})")
        return cls(kind, key)


def _table(data: Desired | Live, kind: str) -> dict[str, object]:
    table: dict[str, object] = getattr(data, KINDS[kind].section)
    return table


def closure(desired: Desired, targets: tuple[Target, ...]) -> dict[str, set[str]]:
    """Keys per kind: the targets and everything they depend on in the specs."""
    keys: dict[str, set[str]] = {kind: set() for kind in TARGET_KINDS}
    for target in targets:
        keys[target.kind].add(target.key)
    # Registration order is dependency order: walking it backwards, each kind
    # adds what it refers to before that kind is walked (invoice -> price -> product).
    for kind in reversed(TARGET_KINDS):
        specs = getattr(desired, KINDS[kind].section)
        for key in sorted(keys[kind]):
            spec = specs.get(key)
            for ref_kind, ref_key in spec.references() if spec is not None else ():
                keys[ref_kind].add(ref_key)
    return keys


# kind -> (the kind of the managed objects that belong to one, the field naming their owner's id)
_OWNED = {"customer": ("invoice", "customer_id"), "product": ("price", "product_id")}


def owned_by_pruned(desired: Desired, live: Live, targets: tuple[Target, ...]) -> dict[str, set[str]]:
    """Keys per kind of the managed objects that belong to a target --prune removes (in Stripe, not
    in the specs): a customer's invoices, a product's prices. A full prune plans them too (their
    specs are gone with their owner's, or the specs would not validate); a targeted one must
    not delete a customer and leave its open invoice open, unmentioned."""
    keys: dict[str, set[str]] = {kind: set() for kind in TARGET_KINDS}
    for target in targets:
        owner = _table(live, target.kind).get(target.key)
        if target.kind not in _OWNED or owner is None or target.key in _table(desired, target.kind):
            continue
        kind, field = _OWNED[target.kind]
        owner_id = getattr(owner, "id", None)
        keys[kind] |= {key for key, obj in _table(live, kind).items() if getattr(obj, field, None) == owner_id}
    return keys


def narrow(
    desired: Desired, live: Live, targets: tuple[Target, ...], *, prune: bool = False
) -> tuple[Desired, Live]:
    """`desired` and `live` reduced to the targets' closure (with --prune, and what the targets
    it removes own); BadTarget for a key found in neither."""
    if not targets:
        return desired, live
    for target in targets:
        if target.key not in _table(desired, target.kind) and target.key not in _table(live, target.kind):
            raise BadTarget(str(target), f"no {target.kind} {target.key!r} in the specs or in Stripe")
    keys = closure(desired, targets)
    if prune:
        for kind, owned in owned_by_pruned(desired, live, targets).items():
            keys[kind] |= owned

    def only(table: dict[str, T], kind: str) -> dict[str, T]:
        return {k: v for k, v in table.items() if k in keys[kind]}

    kept_desired = desired.model_copy(update={KINDS[kind].section: only(_table(desired, kind), kind) for kind in TARGET_KINDS})
    # The tables' names come from the registry, so their types are the records' own.
    tables: dict[str, Any] = {KINDS[kind].section: only(_table(live, kind), kind) for kind in TARGET_KINDS}
    tables |= {history: only(getattr(live, history), kind) for kind in TARGET_KINDS for history in KINDS[kind].history}
    kept_live = replace(
        live,
        **tables,
        duplicates={k: v for k, v in live.duplicates.items() if k.partition("/")[2] in keys.get(k.partition("/")[0], set())},
    )
    return kept_desired, kept_live
