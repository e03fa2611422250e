"""Applying a saved plan again: what its own actions did is no staleness.

A CI job re-run (GitHub's "Re-run jobs"), or an apply that stopped part-way,
applies the same plan file once more. The objects it watches then differ
from the file exactly where its own actions wrote; that is no reason to
refuse it. A watched field is *explained* when one of the plan's actions on
that object sets it to the value found now (an update's new value; a
lifecycle step's status and what Stripe fills in with it; the items an item
action touches; a create's new object, a delete's absence). Any other
change, someone else's, still makes the plan stale.

Then the fresh plan must be the reviewed plan less what is done: every fresh
action is a reviewed one (the same, once the ids of objects this plan created
are known and dependencies on done actions are gone), and every reviewed
action no longer planned acted on an object that changed as it would have.
An empty rest means the plan was already applied: nothing is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds import owner_kind
from reconciler.live.records import Live
from reconciler.ownership import KEYS_KEY, SEND_DONE, SEND_REQUESTED, owned_keys
from reconciler.plan.actions import (
    METADATA_PREFIX,
    Action,
    CreateCreditNote,
    CreateRevision,
    FinalizeInvoice,
    MarkUncollectible,
    PayInvoice,
    RecordSend,
    SendInvoice,
    VoidCreditNote,
    VoidInvoice,
    _Adopt,
    _Archive,
    _Create,
    _Delete,
    _ItemAction,
    _Update,
)
from reconciler.plan.plan import Plan
from reconciler.plan.watch import (
    PERSONAL_FIELDS,
    LiveIndex,
    Watched,
    credited_invoice,
    field_phrases,
    snapshot,
    watched_digest,
)

_AMOUNTS = frozenset({"total", "amount_paid", "amount_remaining"})
# What Stripe fills in when an invoice moves, beside its status.
_MOVES: dict[type[Action], tuple[frozenset[str], frozenset[str]]] = {
    # step: (statuses it reaches, fields that change with it)
    FinalizeInvoice: (frozenset({"open", "paid"}), _AMOUNTS | {"number", "finalized_at", "due_date", "days_until_due"}),
    PayInvoice: (frozenset({"paid"}), _AMOUNTS),
    VoidInvoice: (frozenset({"void"}), _AMOUNTS),
    MarkUncollectible: (frozenset({"uncollectible"}), _AMOUNTS),
    VoidCreditNote: (frozenset({"void"}), frozenset()),
}
# What a credit note of the plan moves on its invoice when it is issued or voided.
_CREDITED = _AMOUNTS | {"pre_payment_credit_notes_amount", "post_payment_credit_notes_amount"}
# Every kind's delete and archive (a kind added later included): the object is gone, or inactive.
_GONE = (_Delete,)
_ARCHIVE = (_Archive,)


@dataclass
class _Expected:
    """What the plan's actions may have done to one object."""

    values: dict[str, list[Any]] = field(default_factory=dict)  # field -> the values its actions set
    free: set[str] = field(default_factory=set)  # fields Stripe fills in along with them
    prefixes: set[str] = field(default_factory=set)  # "items.fee." and the like
    created: bool = False
    deleted: bool = False

    def allows(self, name: str, value: Any) -> bool:
        if name in self.free or any(name.startswith(p) for p in self.prefixes):
            return True
        return value in self.values.get(name, [])


def _object(ref: str) -> str:
    """A watch ref without the '@id' of a price's other versions."""
    return ref.partition("@")[0]


def _own(action: Action) -> str:
    return f"{owner_kind(action.kind)}:{action.key}"


def _expectations(actions: Iterable[Action]) -> dict[str, _Expected]:
    out: dict[str, _Expected] = {}
    for action in actions:
        exp = out.setdefault(_own(action), _Expected())
        if isinstance(action, _Create):
            exp.created = True
        elif isinstance(action, _GONE):
            exp.deleted = True
        elif isinstance(action, _ARCHIVE):
            exp.values.setdefault("active", []).append(False)
        elif isinstance(action, _ItemAction):
            exp.prefixes.add(f"items.{action.item_key}")  # the item, and its "key@id" twins
            exp.free |= _AMOUNTS
        elif isinstance(action, _Adopt):
            exp.free.add("owned_keys")
            exp.prefixes.add(METADATA_PREFIX)
        elif isinstance(action, _Update):
            _updated(exp, action)
        elif isinstance(action, (SendInvoice, RecordSend)):
            exp.values.setdefault("send_marker", []).extend([SEND_REQUESTED, SEND_DONE])
            exp.values.setdefault("sent_event", []).append(True)
        elif type(action) in _MOVES:
            statuses, fills = _MOVES[type(action)]
            exp.values.setdefault("status", []).extend(sorted(statuses))
            exp.free |= fills
    return out


def _updated(exp: _Expected, action: _Update) -> None:
    for change in action.changes:
        if change.field == METADATA_PREFIX + KEYS_KEY:
            record = owned_keys({KEYS_KEY: change.new or ""})
            exp.values.setdefault("owned_keys", []).append(sorted(record) if record is not None else None)
            continue
        exp.values.setdefault(change.field, []).append(change.new)
        if change.field == "days_until_due":
            exp.free.add("due_date")


def _unexplained(watched: Watched, now: dict[str, Any], exp: _Expected, kind: str) -> dict[str, Any]:
    """The fields of `now` that changed and no action of the plan explains."""
    personal = PERSONAL_FIELDS.get(kind, frozenset())
    out: dict[str, Any] = {}
    for name in set(watched.fields) | set(now):
        was, value = watched.fields.get(name), now.get(name)
        if was == value:
            continue
        allowed = exp.allows(name, value)
        if not allowed and name in personal and watched.stripe_id is not None:
            allowed = any(watched_digest(watched.stripe_id, v) == value for v in exp.values.get(name, []))
        if not allowed:
            out[name] = value
    return out


@dataclass(frozen=True)
class Progress:
    """What of a saved plan is done: refs its actions changed, and the stale lines of the rest."""

    changed: frozenset[str]
    stale: tuple[str, ...]


# Steps that move their customer's balance (Stripe applies it at finalization, gives it back on a
# void, a credit note may credit it): a balance change is theirs once one of them is done.
_MOVES_BALANCE = (FinalizeInvoice, VoidInvoice, CreateRevision, CreateCreditNote, VoidCreditNote)


def progress(saved: Plan, live: Live) -> Progress:
    """Each watched object compared with the file: changes the plan's own actions explain
    mark it done; any other change is a stale line ('customer acme: phone … since the plan was made')."""
    index = LiveIndex(live)
    expected = _expectations(saved.actions)
    changed: set[str] = set()
    stale: dict[str, str] = {}
    actions = {a.id: a for a in saved.actions}  # once: customers look up only the actions watching them
    # Credit notes before their invoices, customers last: whether an invoice's credited amounts or a
    # customer's balance moved by this plan depends on the progress of the steps that move them.
    for watched in sorted(saved.watched, key=lambda w: (w.ref.startswith("customer:"), w.ref.startswith("invoice:"))):
        if watched.ref.startswith("customer:") and _moved_balance(actions, watched, changed):
            expected.setdefault(_object(watched.ref), _Expected()).free.add("balance")
        if watched.ref.startswith("invoice:") and _credited(saved, watched, changed, index):
            credited = expected.setdefault(_object(watched.ref), _Expected())
            credited.free |= _CREDITED
            credited.values.setdefault("status", []).append("paid")  # an open invoice credited to zero
        record = index.find(watched.ref)
        kind = watched.ref.partition(":")[0]
        exp = expected.get(_object(watched.ref), _Expected())
        if watched.stripe_id is None or record is None:
            if (record is not None and exp.created) or (record is None and exp.deleted):
                changed.add(watched.ref)
            elif record is not None:
                stale[watched.ref] = f"{watched.label}: created since the plan was made ({record.id})"
            elif watched.stripe_id is not None:
                stale[watched.ref] = f"{watched.label}: deleted or no longer managed since the plan was made"
            continue
        now = snapshot(kind, record)
        if now == watched.fields:
            continue
        changed.add(watched.ref)
        others = _unexplained(watched, now, exp, kind)
        if others:
            if now.get("status") != watched.fields.get("status"):
                # Named even where a step of the plan could explain it: what moved the object (review R7).
                others = {"status": now.get("status"), **others}
            phrases = field_phrases({k: watched.fields.get(k) for k in others}, others)
            stale[watched.ref] = f"{watched.label}: {', '.join(phrases[:3])} since the plan was made"
    return Progress(frozenset(changed), tuple(stale[w.ref] for w in saved.watched if w.ref in stale))


def _moved_balance(actions: dict[str, Action], watched: Watched, changed: set[str]) -> bool:
    """Whether a step of the plan that moves this customer's balance is done (its object changed)."""
    movers = [a for a in (actions.get(i) for i in watched.actions) if isinstance(a, _MOVES_BALANCE)]
    return bool(movers) and bool({_own(a) for a in movers} & {_object(ref) for ref in changed})


def _credited(saved: Plan, watched: Watched, changed: set[str], index: LiveIndex) -> bool:
    """Whether a credit note of the plan on this invoice was issued or voided (its credit note changed)."""
    invoice_key = _object(watched.ref).partition(":")[2]
    return any(
        isinstance(action, (CreateCreditNote, VoidCreditNote)) and _own(action) in changed
        and credited_invoice(action, index) == invoice_key
        for action in saved.actions
    )


def rest_of(saved: Plan, fresh: Plan, done_refs: frozenset[str]) -> tuple[list[str], int]:
    """(what keeps the fresh plan from being the reviewed one less what is done, how many reviewed actions are done)."""
    old = {a.id: a for a in saved.actions}
    fresh_ids = {a.id for a in fresh.actions}
    lines: list[str] = []
    for action in fresh.actions:
        reviewed = old.get(action.id)
        if reviewed is None:
            # The completion of a reviewed send a stopped run made (its marker left at requested).
            if not (isinstance(action, RecordSend) and SendInvoice.id_for(action.key) in old):
                lines.append(f"not in the reviewed plan: {describe_action(action)}")
        elif not _same(reviewed, action, fresh_ids):
            lines.append(f"differs from the reviewed plan: {describe_action(action)}")
    done = [a for a in saved.actions if a.id not in fresh_ids]
    done_objects = {_object(ref) for ref in done_refs}
    lines += [
        f"reviewed but no longer planned: {describe_action(a)}" for a in done if _own(a) not in done_objects
    ]
    return lines, len(done)


def _same(reviewed: Action, fresh: Action, fresh_ids: set[str]) -> bool:
    """The fresh action is the reviewed one, once this plan's creates have ids and its done actions are gone."""
    if reviewed == fresh:
        return True
    kept = tuple(d for d in reviewed.depends_on if d in fresh_ids)
    changes: dict[str, Any] = {"reason": fresh.reason, "depends_on": kept}
    created_id = getattr(fresh, "stripe_id", "")
    if getattr(reviewed, "stripe_id", None) == "" and created_id:
        changes["stripe_id"] = created_id
    return dataclasses.replace(reviewed, **changes) == fresh


def describe_action(action: Action) -> str:
    item = action.item
    what = f"{action.verb} {action.key}/{item}" if item else f"{action.verb} {action.kind} {action.key}"
    return f"{what} ({action.reason})"
