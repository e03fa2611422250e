"""What a saved plan watches: the live objects its actions act on and depend on.

For each such object the plan records its fields, flattened (`metadata.plan`,
`items.fee.amount`), and a fingerprint over them. Personal fields (a
customer's name, email, phone, description) are recorded as digests, so a
plan file shared as a CI artifact does not copy them. `apply --plan` reads
these objects again: a changed field refuses the plan naming the object and
the field; changes to any other object in the account do not matter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any

from reconciler.kinds import KINDS, owner_kind
from reconciler.live.records import LATER_FIELDS, Live, TableRecord
from reconciler.plan.actions import Action

# Fields whose values a plan file keeps only as a digest (see the module doc).
PERSONAL_FIELDS: dict[str, frozenset[str]] = {info.name: info.personal_fields for info in KINDS.values()}
_DIGEST_PREFIX = "sha256:"
_MISSING = object()
_FIRST = frozenset({"status", "id", "send_marker"})
# Later fields (records.LATER_FIELDS) that change what the customer is asked to pay: watched once
# set, so a balance or a draft's tax rate changed between plan and apply refuses a plan whose
# amounts were reviewed (left out at their defaults: the plan files of a state without them stay).
# An invoice's credited amounts too: a credit note someone else issues changes what the customer owes or
# gets back, and the split the plan's own credit notes were reviewed with (review R6).
MONEY_FIELDS = frozenset({
    "balance", "default_tax_rates", "discounts", "tax_rates", "discount_coupon",
    "pre_payment_credit_notes_amount", "post_payment_credit_notes_amount",
})  # fmt: skip
# Facts read beside an object, said in words: (became true, became false).
_FACTS = {
    "sent_event": ("emailed outside the plan (Stripe holds an invoice.sent event)",
                   "its invoice.sent event is no longer read"),
    "payment_processing": ("a payment of it is processing", "its processing payment ended"),
}


@dataclass(frozen=True)
class Watched:
    """One live object as the plan saw it; `stripe_id` None: it did not exist."""

    ref: str  # "invoice:globex-2026-11", or "price:gold-usd@price_1" for a price that is not the key's current one
    stripe_id: str | None
    fields: dict[str, Any]
    actions: tuple[str, ...]  # ids of the actions that act on it or depend on it

    @property
    def fingerprint(self) -> str | None:
        return fingerprint_of(self.fields) if self.stripe_id is not None else None

    @property
    def label(self) -> str:
        kind, _, rest = self.ref.partition(":")
        return f"{kind} {rest}"


def fingerprint_of(flat: dict[str, Any]) -> str:
    text = json.dumps(flat, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(stripe_id: str, value: Any) -> str:
    # Salted with the object's id: equal emails of two customers give unrelated digests.
    text = json.dumps([stripe_id, value], ensure_ascii=False)
    return _DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def is_digest(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_DIGEST_PREFIX)


def _fields(record: Any) -> Iterator[tuple[str, Any]]:
    """A record's fields by name; a simple kind's table fields in place of `values` (a later one only once set)."""
    for f in fields(record):
        if isinstance(record, TableRecord) and f.name == "values":
            yield from ((t.name, record.values[t.name]) for t in KINDS[record.kind].fields
                        if not t.later or record.values[t.name] != t.default)
        else:
            yield f.name, getattr(record, f.name)


def _flatten(record: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in _fields(record):
        # The payment facts (the card on file, attempts) are not watched: a change to them changes the
        # fresh plan's ChargeInvoice itself (its card, the charge it follows), which is compared whole.
        if name == "key" or (name in LATER_FIELDS and (name not in MONEY_FIELDS or value in (0, (), None))):
            continue
        if isinstance(value, dict) and name != "metadata":
            # A nested value (a customer's address): one field, so a personal one is digested whole.
            yield prefix + name, value
        elif isinstance(value, dict):
            # Only the metadata keys the tool owns: keys others set are never
            # the plan's business (a CRM sync writing its own key is no reason
            # to refuse a reviewed plan). A key the spec takes over is in the
            # action's own old → new, which the fresh plan is compared on.
            owned = getattr(record, "owned_keys", None) or frozenset() if name == "metadata" else None
            for k in sorted(value):
                if owned is None or k in owned:
                    yield f"{prefix}{name}.{k}", value[k]
        elif isinstance(value, (set, frozenset)):
            yield prefix + name, sorted(value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):  # ids: a draft's tax rates
            yield prefix + name, list(value)
        elif isinstance(value, tuple) and value and not hasattr(value[0], "key"):  # a credit note's lines, in order
            for n, part in enumerate(value):
                yield from _flatten(part, f"{prefix}{name}.{n}.")
        elif isinstance(value, tuple):  # an invoice's items, each under its item key
            keys = [item.key for item in value]
            for item in value:
                ident = item.key if item.key and keys.count(item.key) == 1 else f"{item.key}@{item.id}"
                yield from _flatten(item, f"{prefix}{name}.{ident}.")
        else:
            yield prefix + name, value


def snapshot(kind: str, record: Any) -> dict[str, Any]:
    """A live record as flat fields, personal ones as digests."""
    personal = PERSONAL_FIELDS.get(kind, frozenset())
    return {
        name: _digest(record.id, value) if name in personal and value is not None else value
        for name, value in _flatten(record)
    }


class LiveIndex:
    """Live records by watch ref, and customers by Stripe id."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.customer_keys = {c.id: c.key for c in live.customers.values()}
        self.invoice_keys = {i.id: i.key for i in live.invoices.values()}

    def find(self, ref: str) -> Any:
        kind, _, rest = ref.partition(":")
        key, _, stripe_id = rest.partition("@")
        info = KINDS[kind]
        current = getattr(self.live, info.section).get(key)
        if not stripe_id:
            return current
        # "price:gold-usd@price_1": a record of the key other than its current one.
        candidates = [current, *(r for history in info.history for r in getattr(self.live, history).get(key, ()))]
        return next((r for r in candidates if r is not None and r.id == stripe_id), None)

    def own_ref(self, action: Action) -> str:
        info = KINDS[owner_kind(action.kind)]
        stripe_id = action.existing_id
        current = getattr(self.live, info.section).get(action.key)
        if info.history and stripe_id and (current is None or current.id != stripe_id):
            return f"{info.name}:{action.key}@{stripe_id}"
        return f"{info.name}:{action.key}"


def _direct_refs(action: Action, index: LiveIndex) -> set[str]:
    own = index.own_ref(action)
    found = {own}
    found.update(f"{r.kind}:{r.key}" for r in action.named_refs())
    if own.startswith("invoice:"):
        # Who is billed and emailed: a Dashboard edit of the customer changes what was reviewed.
        invoice = index.live.invoices.get(action.key)
        customer_key = index.customer_keys.get(invoice.customer_id) if invoice is not None else None
        if customer_key is not None:
            found.add(f"customer:{customer_key}")
    invoice_key = credited_invoice(action, index)
    if invoice_key is not None:
        # What a credit note takes off and where the rest goes were reviewed against its invoice as it was.
        found.add(f"invoice:{invoice_key}")
    return found


def credited_invoice(action: Action, index: LiveIndex) -> str | None:
    """The key of the invoice a credit note action credits (or voids the credit of), if it is known."""
    if owner_kind(action.kind) != "credit_note":
        return None
    issued = index.live.credit_notes.get(action.key)
    stripe_id = issued.invoice_id if issued is not None else getattr(action, "params", {}).get("invoice")
    return index.invoice_keys.get(stripe_id) if isinstance(stripe_id, str) else None


def watched_objects(actions: Iterable[Action], live: Live) -> tuple[Watched, ...]:
    """Every object the actions act on or depend on (through depends_on, transitively), sorted."""
    index = LiveIndex(live)
    by_action: dict[str, set[str]] = {}
    users: dict[str, list[str]] = {}
    for action in actions:  # executable order: dependencies come first
        refs = _direct_refs(action, index)
        for dep in action.depends_on:
            refs |= by_action.get(dep, set())
        by_action[action.id] = refs
        for ref in refs:
            users.setdefault(ref, []).append(action.id)
    out = []
    for ref in sorted(users):
        record = index.find(ref)
        kind = ref.partition(":")[0]
        flat = snapshot(kind, record) if record is not None else {}
        out.append(Watched(ref, record.id if record is not None else None, flat, tuple(users[ref])))
    return tuple(out)


def _show(value: Any) -> str:
    if value is _MISSING or value is None:
        return "(unset)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One phrase per changed field; an item added or removed is one phrase."""
    phrases: list[str] = []
    done_items: set[str] = set()
    # What moved an object (its status, its id) before the amounts that followed.
    for name in sorted(set(old) | set(new), key=lambda n: (n not in _FIRST, n)):
        was, now = old.get(name, _MISSING), new.get(name, _MISSING)
        if was == now:
            continue
        if name.startswith("items."):
            item = name.split(".")[1]
            prefix = f"items.{item}."
            in_old = any(n.startswith(prefix) for n in old)
            in_new = any(n.startswith(prefix) for n in new)
            if in_old != in_new:
                if item not in done_items:
                    done_items.add(item)
                    phrases.append(f"item {item} {'removed' if in_old else 'added'}")
                continue
        if name == "sent_event" and now is False and old.get("status", _MISSING) != new.get("status", _MISSING):
            # The events are read for open invoices only: one paid or voided meanwhile is not
            # looked for any more, its event still in Stripe; its status change says what happened.
            continue
        if name in _FACTS and isinstance(now, bool):
            phrases.append(_FACTS[name][0] if now else _FACTS[name][1])
        elif is_digest(was) or is_digest(now):
            phrases.append(f"{name} changed")
        else:
            phrases.append(f"{name} {_show(was)} → {_show(now)}")
    return phrases


def changes_since(saved: Iterable[Watched], live: Live, *, most: int = 3) -> list[str]:
    """'invoice globex-2026-11: status open → paid since the plan was made', one line per changed object."""
    index = LiveIndex(live)
    lines = []
    for watched in saved:
        record = index.find(watched.ref)
        kind = watched.ref.partition(":")[0]
        if watched.stripe_id is None:
            if record is not None:
                lines.append(f"{watched.label}: created since the plan was made ({record.id})")
            continue
        if record is None:
            lines.append(f"{watched.label}: deleted or no longer managed since the plan was made")
            continue
        phrases = _field_changes(watched.fields, snapshot(kind, record))
        if phrases:
            shown = ", ".join(phrases[:most]) + (f" and {len(phrases) - most} more" if len(phrases) > most else "")
            lines.append(f"{watched.label}: {shown} since the plan was made")
    return lines


def field_phrases(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One phrase per changed field (as a stale plan names them)."""
    return _field_changes(old, new)


def watched_digest(stripe_id: str, value: Any) -> str:
    """The digest a plan file keeps of a personal field's value."""
    return _digest(stripe_id, value)
