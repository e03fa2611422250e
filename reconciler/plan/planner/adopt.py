"""Adoption: existing objects the specs adopt (`adopt: <id>`), planned first.

An adoptable object (Live.adoptable) becomes, for every phase after this one,
the live object of its spec key as it will be once adopted: tagged with the
key, the spec's metadata keys recorded as the tool's. An Adopt action writes
exactly that. So the usual diff then plans only what really differs from the
spec, and after `reconciler import` nothing does. Every other action on an
adopted object waits for its adoption.

Item identity. The tool tags every item it adds (ownership.ITEM_KEY). Items of
an adopted invoice carry no tag; they get the identity a spec item without
`key` has, derived from their content by the same rule (spec.models
item_base_key: the price's spec key, else a slug of the description, `#2`…
for repeats in Stripe's line order). A draft's items are then tagged with it
by the adoption. A finalized invoice's items cannot be written (Stripe freezes
them), so on every plan a finalized managed invoice none of whose items
carries a tag is read the same way: by content.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.kinds import KINDS, owner_kind
from reconciler.live.records import RECORDS, Live, LiveInvoice, LiveItem, LiveObject
from reconciler.ownership import ITEM_KEY, KEYS_KEY, OWNER_KEY, keys_record
from reconciler.plan.actions import ALL_ACTIONS, Action, AdoptInvoice, _Adopt
from reconciler.plan.planner.context import Context
from reconciler.spec.models import (
    CreditNoteSpec,
    CustomerSpec,
    Desired,
    InvoiceSpec,
    PriceSpec,
    ProductSpec,
    item_base_key,
    numbered,
)

Spec = ProductSpec | PriceSpec | CustomerSpec | InvoiceSpec | CreditNoteSpec
_REASON = "not managed yet: the spec adopts it; only its ownership tag is written"
# kind -> the action adopting an object of that kind
ADOPT_ACTIONS: dict[str, type[_Adopt]] = {
    cls.kind: cls for cls in ALL_ACTIONS if issubclass(cls, _Adopt)
}


def plan_adoptions(ctx: Context) -> dict[tuple[str, str], str]:
    """Add the Adopt actions and put the adopted objects into `ctx.live`;
    (kind, key) -> the id of the action adopting it."""
    owners = _managed_owners(ctx.live)
    planned: dict[tuple[str, str], str] = {}
    for kind, info in KINDS.items():
        plural = info.section
        specs: Mapping[str, Spec] = getattr(ctx.desired, plural)
        adopted: dict[str, LiveObject] = {}
        for key in sorted(specs):
            target = specs[key].adopt
            found = _adoptable(ctx, kind, key, target, owners) if target else None
            if found is None:
                continue
            record, action = _adopt(ctx, kind, key, specs[key], found)
            adopted[key] = record
            planned[(kind, key)] = ctx.add(action)
        if adopted:
            ctx.live = _with_adopted(ctx.live, plural, adopted)
    _adopt_revisions(ctx, planned)
    ctx.live = _content_keyed(ctx.live)
    return planned


def _adopt_revisions(ctx: Context, planned: dict[tuple[str, str], str]) -> None:
    """A managed invoice revised outside the tool by a revision without its tag (metadata wiped
    or not copied): the revision is the key's invoice now, adopted in a reviewed step
    (reconciler.live.revisions)."""
    for key, found in ctx.live.untagged_revisions.items():
        spec = ctx.desired.invoices.get(key)
        if spec is None or key in ctx.live.invoices or ("invoice", key) in planned:
            continue
        record, action = _adopt(ctx, "invoice", key, spec, found)
        reason = (f"a revision of invoice {key}'s {found.from_invoice} made outside reconciler, without its tag: "
                  "it is the key's invoice now (Stripe voided the original); only its ownership tag is written")
        planned[("invoice", key)] = ctx.add(dataclasses.replace(action, reason=reason))
        ctx.live = _with_adopted(ctx.live, "invoices", {key: record})
        untagged = {i: inv for i, inv in ctx.live.untagged_invoices.items() if i != found.id}
        ctx.live = dataclasses.replace(ctx.live, untagged_invoices=untagged)


def adopted_view(desired: Desired, live: Live) -> Live:
    """`live` as the planner sees it once the adoption phase ran: the objects the
    specs adopt under their keys (what a saved plan watches, whom notices name)."""
    if not live.adoptable:
        return live
    ctx = Context(desired=desired, live=live, prune=False)
    plan_adoptions(ctx)
    return ctx.live


def _managed_owners(live: Live) -> dict[str, str]:
    """Stripe id -> "customer fox-mulder" for every managed object."""
    owners: dict[str, str] = {}
    for kind, info in KINDS.items():
        for key, record in getattr(live, info.section).items():
            owners[record.id] = f"{kind} {key}"
        for history in info.history:
            for key, older in getattr(live, history).items():
                owners.update((record.id, f"{kind} {key}") for record in older)
    return owners


def _adoptable(ctx: Context, kind: str, key: str, target: str, owners: dict[str, str]) -> LiveObject | None:
    """The object `target` if it can be adopted under `key`; None (with a problem
    unless it is already adopted under that very key) otherwise."""
    label = f"{kind} {key}"
    if owners.get(target) == label:
        return None  # adopted by an earlier apply: nothing left to do
    if target in owners:
        ctx.problem(
            "adopt",
            f"{label}: cannot adopt {target}: it is already managed as {owners[target]} "
            f"(its metadata.reconciler_id); remove `adopt: {target}` from one of the two",
        )
        return None
    held = ", ".join(sorted(object_id for object_id, owner in owners.items() if owner == label))
    if kind == "invoice" and any(revised.id == target for revised in ctx.live.revised.get(key, ())):
        # Adopted (or imported) before Stripe revised it: the key follows the revision now.
        ctx.note(f"{label}: `adopt: {target}` names an invoice its revision replaced; the key manages {held}: "
                 f"remove it, or write `adopt: {held}`")
        return None
    found = ctx.live.adoptable.get(target)
    if held and found is None:
        # Adopted earlier, then replaced (a draft re-created, say): `adopt:` is only history now.
        ctx.note(f"{label}: `adopt: {target}` names an object no longer in Stripe; the key manages {held}: remove it")
        return None
    if held:
        ctx.problem(
            "adopt",
            f"{label}: cannot adopt {target}: the key {key} already manages {held}; "
            f"remove `adopt: {target}`, or give the spec of {target} another key",
        )
        return None
    if not isinstance(found, RECORDS[kind]):
        ctx.problem(
            "adopt",
            f"{label}: cannot adopt {target}: no such {kind} in Stripe (deleted, or in another account); "
            f"remove `adopt: {target}` to create it anew",
        )
        return None
    return found


def _owned(metadata: Mapping[str, str]) -> frozenset[str] | None:
    return frozenset(metadata) if metadata else None


def tag_params(owner: dict[str, str], record: LiveObject | LiveItem, metadata: Mapping[str, str]) -> dict[str, Any]:
    """The metadata update that tags an object: its ownership tag, and the record
    of the spec's metadata keys (unset when the spec has none and one is there)."""
    tags = dict(owner)
    if metadata or record.owned_keys is not None:
        tags[KEYS_KEY] = keys_record(frozenset(metadata))
    return {"metadata": tags}


def _adopt(ctx: Context, kind: str, key: str, spec: Spec, found: LiveObject) -> tuple[LiveObject, Action]:
    """The live record as it will be once adopted, and the action adopting it."""
    params = tag_params({OWNER_KEY: key}, found, spec.metadata)
    reason = _REASON
    if isinstance(found, LiveInvoice) and isinstance(spec, InvoiceSpec):
        invoice = with_content_keys(found, price_keys(ctx.live))
        item_params: dict[str, Any] = {}
        if invoice.status == "draft":
            invoice, item_params = _tag_draft_items(invoice, spec)
            # Stripe's timer must not finalize (and email) it behind the review: like every managed draft.
            params["auto_advance"] = False
        adopted = dataclasses.replace(invoice, key=key, owned_keys=_owned(spec.metadata))
        return adopted, AdoptInvoice(key=key, reason=reason, stripe_id=found.id, params=params, item_params=item_params)
    action_type = ADOPT_ACTIONS[kind]
    record = dataclasses.replace(found, key=key, owned_keys=_owned(spec.metadata))
    return record, action_type(key=key, reason=reason, stripe_id=found.id, params=params)


def _tag_draft_items(invoice: LiveInvoice, spec: InvoiceSpec) -> tuple[LiveInvoice, dict[str, Any]]:
    """A draft's items as they will be once tagged, and each item's tagging update."""
    by_key = dict(spec.keyed_items())
    items: list[LiveItem] = []
    params: dict[str, Any] = {}
    for item in invoice.items:
        wanted = by_key[item.key].metadata if item.key in by_key else {}
        params[item.id] = tag_params({ITEM_KEY: item.key}, item, wanted)
        items.append(dataclasses.replace(item, owned_keys=_owned(wanted)))
    return dataclasses.replace(invoice, items=tuple(items)), dict(sorted(params.items()))


def price_keys(live: Live) -> dict[str, str]:
    """Stripe price id -> spec key, for every managed price (archived ones too)."""
    out = {price.id: key for key, price in live.prices.items()}
    for group in (live.archived_prices, live.extra_active_prices):
        for key, prices in group.items():
            out.update((price.id, key) for price in prices)
    return out


def with_content_keys(invoice: LiveInvoice, prices: Mapping[str, str]) -> LiveInvoice:
    """The invoice with every untagged item given its content identity (see the module doc)."""
    if all(item.key for item in invoice.items):
        return invoice
    by_content = numbered([item_base_key(prices.get(item.price_id or ""), item.description) for item in invoice.items])
    taken = {item.key for item in invoice.items if item.key}
    items = []
    for item, key in zip(invoice.items, by_content, strict=False):
        if not item.key:
            # Only an adoption interrupted after tagging some items leaves tags
            # beside untagged items; a clash then is moved aside, never shared.
            key = _free(key, taken)
            taken.add(key)
            item = dataclasses.replace(item, key=key)
        items.append(item)
    return dataclasses.replace(invoice, items=tuple(items))


def _free(key: str, taken: set[str]) -> str:
    candidate, n = key, 1
    while candidate in taken:
        n += 1
        candidate = f"{key}@{n}"
    return candidate


def _content_keyed(live: Live) -> Live:
    """Finalized managed invoices without any tagged item (adopted after finalizing), read by content."""
    prices = price_keys(live)
    changed = {
        key: with_content_keys(invoice, prices)
        for key, invoice in live.invoices.items()
        if invoice.status != "draft" and invoice.items and not any(item.key for item in invoice.items)
    }
    return dataclasses.replace(live, invoices={**live.invoices, **changed}) if changed else live


def _with_adopted(live: Live, plural: str, adopted: dict[str, LiveObject]) -> Live:
    """`live` with the adopted objects managed under their keys, and no longer
    counted among what others hold (their lookup keys, prices, invoices)."""
    ids = {record.id for record in adopted.values()}
    changes: dict[str, Any] = {plural: {**getattr(live, plural), **adopted}}
    if plural == "prices":
        changes["foreign_lookup_keys"] = {k: v for k, v in live.foreign_lookup_keys.items() if v not in ids}
        changes["unmanaged_active_prices"] = _without(live.unmanaged_active_prices, ids, lambda entry: entry)
    if plural == "invoices":
        changes["unmanaged_invoices"] = _without(live.unmanaged_invoices, ids, lambda entry: entry[0])
    return dataclasses.replace(live, **changes)


def _without(table: Mapping[str, tuple[Any, ...]], ids: set[str], id_of: Any) -> dict[str, tuple[Any, ...]]:
    kept = {owner: tuple(e for e in entries if id_of(e) not in ids) for owner, entries in table.items()}
    return {owner: entries for owner, entries in kept.items() if entries}


def wait_for_adoptions(actions: Iterable[Action], adoptions: Mapping[tuple[str, str], str]) -> list[Action]:
    """Every action that acts on, or names, an adopted object, made to depend on its adoption."""
    if not adoptions:
        return list(actions)
    out: list[Action] = []
    for action in actions:
        if action.id in adoptions.values():
            out.append(action)
            continue
        named: list[tuple[str, str]] = [(owner_kind(action.kind), action.key)]
        named += [(r.kind, r.key) for r in action.named_refs()]
        waits = [adoptions[n] for n in dict.fromkeys(named) if n in adoptions]
        missing = tuple(w for w in waits if w not in action.depends_on)
        out.append(dataclasses.replace(action, depends_on=missing + action.depends_on) if missing else action)
    return out
