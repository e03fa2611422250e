"""Holding objects a person must decide on, and only them.

A conflict (ctx.hold: the lifecycle table's error cells, evidence that an
untagged object already exists) holds its object: no action of the plan acts
on it. What needs it is held too, transitively: an action naming it (a Ref
in its parameters), an action waiting for one that is held, and then every
other action of that action's object. Everything else is planned as usual,
so one voided invoice does not stop next month's billing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.kinds import owner_kind
from reconciler.plan.actions import Action
from reconciler.plan.plan import Conflict

Obj = tuple[str, str]  # (kind, key)


def _owner(action: Action) -> Obj:
    return owner_kind(action.kind), action.key


def _named(action: Action) -> list[Obj]:
    return [(r.kind, r.key) for r in action.named_refs()]


def hold_back(actions: Sequence[Action], roots: Iterable[Conflict]) -> tuple[list[Action], tuple[Conflict, ...]]:
    """(the actions left, every conflict: the roots, then what they hold with them)."""
    held: dict[Obj, Conflict] = {}
    for conflict in roots:
        kind, _, key = conflict.object.partition(":")
        held.setdefault((kind, key), conflict)
    if not held:
        return list(actions), ()
    grew = True
    dropped: set[str] = set()
    while grew:  # an object held late holds its earlier actions too: once more
        grew, dropped = False, set()
        owners: dict[str, Obj] = {}
        for action in actions:
            owner = _owner(action)
            owners[action.id] = owner
            if owner in held:
                dropped.add(action.id)
                continue
            cause = next((n for n in _named(action) if n in held), None)
            cause = cause or next((owners[d] for d in action.depends_on if d in dropped), None)
            if cause is None:
                continue
            dropped.add(action.id)
            stripe_id = action.existing_id or None
            held[owner] = Conflict(
                f"{owner[0]}:{owner[1]}",
                stripe_id,
                f"{owner[0]} {owner[1]}: held with {cause[0]} {cause[1]} (nothing is done to it until that is resolved)",
            )
            grew = True
    return [a for a in actions if a.id not in dropped], tuple(held.values())
