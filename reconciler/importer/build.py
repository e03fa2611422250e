"""Which objects become spec entries, and the entries themselves.

The selection (kinds, customers, creation date) picks the objects asked for;
every object they refer to comes along (an invoice brings its customer and
its items' prices, a price its product), so the tree always validates. An
object that cannot be represented is skipped with its reason, and so is
everything that refers to it: never half-imported.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Generic

from reconciler.importer.fields import (
    Entry,
    Unrepresentable,
    credit_note_entry,
    invoice_entry,
    invoice_status,
    item_entry,
    price_entry,
    simple_entry,
    spec_metadata,
)
from reconciler.importer.keys import Keys, is_valid_key
from reconciler.kinds import KINDS as KIND_INFOS
from reconciler.kinds import KindInfo
from reconciler.live.inventory import REVISED, Found, Inventory, R
from reconciler.live.records import LiveCreditNote, LiveInvoice, LivePrice
from reconciler.spec.models import item_base_key, numbered

KINDS = tuple(KIND_INFOS)


@dataclass(frozen=True)
class Note:
    """One line of the import report about one object."""

    kind: str
    label: str  # "customer dana-scully (cus_…)" or, for a skipped object, "price price_… (…)"
    text: str


@dataclass
class Entries:
    """What the import writes, by kind: spec key -> entry; and what it noticed."""

    by_kind: dict[str, dict[str, Entry]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    invoice_customer: dict[str, str] = field(default_factory=dict)  # invoice key -> customer key
    adopted: int = 0
    managed: int = 0
    # Metadata of objects to adopt: written into the specs (claimed, `import --metadata`; on
    # adoption the keys become the tool's) or left out (whose they are cannot be told).
    metadata_claimed: list[Note] = field(default_factory=list)
    metadata_left: list[Note] = field(default_factory=list)
    pulled: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # came along as references
    pulled_names: list[str] = field(default_factory=list)  # "customer fox-mulder", in the order built
    unexpressed: list[Note] = field(default_factory=list)
    skipped: list[Note] = field(default_factory=list)


@dataclass
class _Index(Generic[R]):
    by_id: dict[str, Found[R]]
    done: dict[str, str | None] = field(default_factory=dict)  # id -> key written, None: skipped


class Builder:
    """Builds entries on demand, each object once, references first."""

    def __init__(self, inventory: Inventory, keys: Keys, *, claim_metadata: bool = False) -> None:
        self.keys = keys
        self.claim_metadata = claim_metadata
        self.since = inventory.events_complete_since
        self.out = Entries()
        # Every kind's objects by Stripe id, and what became of each.
        self.index: dict[str, _Index[Any]] = {
            info.name: _Index({f.record.id: f for f in inventory.sections[info.section]}) for info in KIND_INFOS.values()
        }
        # invoice id -> its line ids (il_…) -> the item keys its spec gives them
        self.item_keys: dict[str, dict[str, str]] = {}
        # A managed price key stands for its newest active price (else newest),
        # as read_live decides; the key's other prices are its history.
        self.current_price: dict[str, str] = {}
        for f in sorted(inventory.prices, key=lambda f: (f.record.active, f.created)):
            if f.managed:
                self.current_price[f.record.key] = f.record.id
        # Several objects of another kind claiming one key: the newest is the key's (an invoice a
        # revision replaced, skipped as such, is history: it never stands for the key).
        self.current: dict[str, dict[str, str]] = {kind: {} for kind in KIND_INFOS if kind != "price"}
        for kind in self.current:
            for one in sorted(inventory.sections[KIND_INFOS[kind].section], key=lambda f: (f.created, f.record.id)):
                if one.managed and not one.unsupported.startswith(REVISED):
                    self.current[kind][one.record.key] = one.record.id

    def build(self, kind: str, object_id: str, *, root: bool = False) -> str | None:
        """The spec key of the object's entry, built with what it refers to; None: skipped."""
        if kind == "price":
            return self.price(object_id, root=root)
        if kind == "invoice":
            return self._build("invoice", object_id, root, self._invoice_entry)
        if kind == "credit_note":
            return self._build("credit_note", object_id, root, self._credit_note_entry)
        return self._build(kind, object_id, root, functools.partial(self._simple_entry, KIND_INFOS[kind]))

    def price(self, price_id: str, *, root: bool = False) -> str | None:
        found = self.index["price"].by_id.get(price_id)
        if found is not None and found.managed and self.current_price.get(found.record.key) != price_id:
            price_id = self.current_price[found.record.key]  # the key's history: its current price is written
        return self._build("price", price_id, root, self._price_entry)

    def _build(self, kind: str, object_id: str, root: bool, make: Any) -> str | None:
        index = self.index[kind]
        if object_id in index.done:
            return index.done[object_id]
        found = index.by_id.get(object_id)
        index.done[object_id] = None  # until built (a reference cycle, were there one, ends here)
        if found is None:
            return None
        key: str | None = self.keys[KIND_INFOS[kind].section].get(object_id)
        label = _label(kind, str(key), found)
        why = self._why_not(kind, found)
        try:
            if why or key is None:
                raise Unrepresentable(why or "it has no spec key")
            entry, notes = make(found, key)
        except Unrepresentable as exc:
            self.out.skipped.append(Note(kind, f"{kind} {object_id}{self._hint(found)}", str(exc)))
            return None
        index.done[object_id] = key
        self._record(kind, key, found, entry, notes, label, root)
        return key

    def _why_not(self, kind: str, found: Found[Any]) -> str:
        if found.unsupported:
            return found.unsupported
        if found.managed and not is_valid_key(found.record.key):
            return f"its reconciler_id {found.record.key!r} is not a valid spec key"
        if found.managed and kind != "price" and self.current[kind].get(found.record.key) != found.record.id:
            newest = self.current[kind][found.record.key]
            return f"{newest} claims the same key {found.record.key} (remove metadata.reconciler_id from one of them)"
        return ""

    def _record(
        self, kind: str, key: str, found: Found[Any], entry: Entry, notes: list[str], label: str, root: bool
    ) -> None:
        # Every entry names its object, managed or not: a managed one's `adopt` is
        # a record the plan checks (and so an import after adoption writes the same files).
        entry = {"adopt": found.record.id, **entry}
        if found.managed:
            self.out.managed += 1
        else:
            self.out.adopted += 1
        self.out.by_kind[kind][key] = entry
        if not root:
            self.out.pulled[kind] += 1
            self.out.pulled_names.append(f"{kind} {key}")
        unexpressed = [*found.unexpressed, *notes]
        if unexpressed:
            self.out.unexpressed.append(Note(kind, label, ", ".join(unexpressed)))

    def _metadata(self, found: Found[Any], notes: list[str], label: str) -> dict[str, str]:
        record = found.record
        return self._claimed(record.metadata, record.owned_keys, found.managed, notes, label)

    def _claimed(
        self, metadata: dict[str, str], owned: frozenset[str] | None, managed: bool, notes: list[str], label: str
    ) -> dict[str, str]:
        """The metadata a spec entry names. A managed object's: the keys the tool recorded as its own.
        An object to adopt: none unless `claim_metadata`, since nothing tells the tool's keys from
        another integration's, and a key in a spec becomes the tool's (unset when removed later)."""
        if not managed and metadata:
            claimed = self.out.metadata_claimed if self.claim_metadata else self.out.metadata_left
            claimed.append(Note("metadata", label, ", ".join(sorted(metadata))))
            if not self.claim_metadata:
                return {}
        kept, note = spec_metadata(metadata, owned, managed=managed)
        if note:
            notes.append(note)
        return kept

    def _simple_entry(self, info: KindInfo, found: Found[Any], key: str) -> tuple[Entry, list[str]]:
        notes: list[str] = []
        return simple_entry(info, found.record, self._metadata(found, notes, _label(info.name, key, found))), notes

    def _price_entry(self, found: Found[LivePrice], key: str) -> tuple[Entry, list[str]]:
        product_key = self.build("product", found.record.product_id)
        if product_key is None:
            raise Unrepresentable(f"its product {found.record.product_id} is not imported")
        notes: list[str] = []
        metadata = self._metadata(found, notes, _label("price", key, found))
        return price_entry(found.record, product_key, metadata), notes

    def _invoice_entry(self, found: Found[LiveInvoice], key: str) -> tuple[Entry, list[str]]:
        invoice = found.record
        customer_key = self.build("customer", invoice.customer_id)
        if customer_key is None:
            raise Unrepresentable(f"its customer {invoice.customer_id} is not imported (deleted, or skipped)")
        notes: list[str] = []
        label = _label("invoice", key, found)
        items = self._items(found, notes, label)
        status = invoice_status(invoice, self.since)
        entry = invoice_entry(invoice, customer_key, status, items, self._metadata(found, notes, label))
        entry = self._with_money(entry, invoice.default_tax_rates, invoice.discounts, rates_name="default_tax_rates")
        self.out.invoice_customer[key] = customer_key
        return entry, notes

    def _credit_note_entry(self, found: Found[LiveCreditNote], key: str) -> tuple[Entry, list[str]]:
        note = found.record
        invoice_key = self.build("invoice", note.invoice_id)
        if invoice_key is None:
            raise Unrepresentable(f"its invoice {note.invoice_id} is not imported")
        notes: list[str] = []
        metadata = self._metadata(found, notes, _label("credit_note", key, found))
        return credit_note_entry(note, invoice_key, self.item_keys.get(note.invoice_id, {}), metadata), notes

    def _items(self, found: Found[LiveInvoice], notes: list[str], label: str) -> list[Entry]:
        """The items a spec lists: all of them, except on a managed invoice the
        ones the tool did not add (the plan holds such an invoice; see the report)."""
        live_items = found.record.items
        tagged = [item for item in live_items if item.key]
        if found.managed and tagged:
            others = [item.id for item in live_items if not item.key]
            if others:
                notes.append(f"items added outside reconciler ({', '.join(others)}): not in the spec, the plan holds it")
            live_items = tuple(sorted(tagged, key=_tag_order))
        entries = []
        for item in live_items:
            price_key = None
            if item.price_id is not None:
                price_key = self.price(item.price_id)
                if price_key is None:
                    raise Unrepresentable(f"its item {item.id} bills price {item.price_id}, which is not imported")
            product = self._product_of(item.price_id)
            item_notes: list[str] = []
            metadata = self._claimed(item.metadata, item.owned_keys, bool(item.key), item_notes, f"{label} item {item.id}")
            notes += [f"item {item.id} {note}" for note in item_notes]
            entry = item_entry(item, price_key, product, metadata)
            # A line shows the rates that apply: its own only where they are not the invoice's defaults.
            own = item.tax_rates if item.tax_rates and tuple(item.tax_rates) != found.record.default_tax_rates else ()
            entry = self._with_money(entry, own or (), item.discounts, rates_name="tax_rates")
            if found.managed and item.key:
                entry = _with_item_key(entry, item.key)
            entries.append(entry)
        # The keys the spec derives for these items (InvoiceSpec.keyed_items), by invoice line: a credit note names them.
        keys = numbered([e.get("key") or item_base_key(e.get("price"), e.get("description")) for e in entries])
        self.item_keys[found.record.id] = {item.line_id: k for item, k in zip(live_items, keys, strict=True) if item.line_id}
        return entries

    def _with_money(
        self, entry: Entry, rate_ids: tuple[str, ...] | None, coupon_ids: tuple[str, ...] | None, *, rates_name: str
    ) -> Entry:
        """`entry` naming its tax rates and coupons by spec key (each imported with it), before its metadata."""
        if coupon_ids is None:
            raise Unrepresentable("its discounts were read without their coupons")
        money: Entry = {}
        for kind, ids, name in (("tax_rate", rate_ids or (), rates_name), ("coupon", coupon_ids, "discounts")):
            keys = [self.build(kind, i) for i in ids]
            if any(k is None for k in keys):
                raise Unrepresentable(f"its {name} name {', '.join(i for i, k in zip(ids, keys, strict=True) if k is None)}, "
                                      "which is not imported")
            if keys:
                money[name] = keys
        if not money:
            return entry
        head = {k: v for k, v in entry.items() if k not in ("metadata", "items")}
        tail = {k: v for k, v in entry.items() if k in ("metadata", "items")}
        return {**head, **money, **tail}

    def _hint(self, found: Found[Any]) -> str:
        """What tells a person which object a skipped one is (it has no key to show)."""
        record = found.record
        if isinstance(record, LivePrice):
            product = self._product_of(record.id)
            return f" ({product}, {record.unit_amount} {record.currency})" if product else ""
        for name in ("name", "number", "email"):
            value = getattr(record, name, None)
            if value:
                return f" ({value})"
        return ""

    def _product_of(self, price_id: str | None) -> str | None:
        price = self.index["price"].by_id.get(price_id or "")
        product = self.index["product"].by_id.get(price.record.product_id) if price is not None else None
        return product.record.name if product is not None else None


def _label(kind: str, key: str, found: Found[Any]) -> str:
    return f"{kind} {key} ({found.record.id})"


def _tag_order(item: Any) -> tuple[str, int]:
    """Tool-tagged items in the order that gives their tags back (`gold`, `gold#2`…)."""
    base, _, number = item.key.partition("#")
    return base, int(number) if number.isdigit() else 1


def _with_item_key(entry: Entry, item_key: str) -> Entry:
    """A tagged item keeps its tag: as an explicit `key` unless the spec derives it anyway
    (`#n` repeats are derived, from the order _tag_order gives)."""
    derived = item_base_key(entry.get("price"), entry.get("description"))
    if "#" in item_key or item_key == derived or not is_valid_key(item_key):
        return entry
    return {"key": item_key, **entry}


