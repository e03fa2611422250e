"""The live-state reader: every managed object through paginated list calls.

Cost: ceil(N/100) `GET` list requests per kind (plus at most
ranges.MAX_RANGES - 1 when a long list is read in `created` ranges), plus
one `GET /v1/invoices/{id}/lines` (paged) for an invoice with more than the
10 lines Stripe embeds. No per-object GET, no Search API (eventually
consistent). The kinds, and the ranges of a long list, are read concurrently
(reconciler.gateway.pages) through one pacer: its rate limit, and about rate
x round-trip time requests in flight.

Unmanaged objects (no ownership.OWNER_KEY) are read past and ignored, except
the lookup key of an unmanaged price (Live.foreign_lookup_keys), which a spec
must not take, the active prices of each product and the invoices in use of
each customer (what prune must keep), and the objects the specs adopt
(Live.adoptable), which cost nothing more: they are on the same pages.
Objects become records as their page arrives, so the raw JSON of only the
pages in flight is held at a time.
Stripe's evidence on open invoices (reconciler.gateway.evidence) is read
after, through the same pacer.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from reconciler.gateway import mapping
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.evidence import with_evidence
from reconciler.gateway.pacing import Pacer
from reconciler.gateway.pages import ListRead, Page, read_lists
from reconciler.gcpause import collector_paused
from reconciler.kinds import KINDS, SIMPLE_KINDS
from reconciler.live.records import Live, LiveCreditNote, LiveInvoice, LiveObject, LivePrice, TableRecord
from reconciler.live.revisions import revision_chains

log = logging.getLogger(__name__)
T = TypeVar("T")
Obj = Mapping[str, Any]
# Where an object sits in its list: (range, page, index); sorts in list order.
Position = tuple[float, int, int]
# A record with its list position, `created` and id (not the raw object: pages are let go).
Entry = tuple[Position, int, str, T]

# Most pages in flight at once while reading, whatever rate x round trip allows.
READ_CEILING = 16
_KINDS = tuple(info.section for info in KINDS.values())
_SIMPLE = {info.section: info.name for info in SIMPLE_KINDS}
# Payment methods ride on the lists that name them (brand and last 4 for the plan): no request per object.
_EXPAND: dict[str, dict[str, Any]] = {
    # A customer's tax IDs ride on the list too (issue 18): no request per customer.
    "customers": {"expand": ["data.invoice_settings.default_payment_method", "data.tax_ids"]},
    # Discounts expanded (the invoice's and each embedded line's): their coupons, with no request more.
    "invoices": {"expand": ["data.default_payment_method", "data.discounts", "data.lines.data.discounts"]},
}


# The tag of the read of the account's own tax IDs (not a kind: the tool manages none of them).
_ACCOUNT_TAX_IDS = "account_tax_ids"


def read_pacer(max_rps: float | None, *, sleep: Callable[[float], None] = time.sleep) -> Pacer:
    """The pacer of a read on its own (`plan`)."""
    return Pacer(max_rps, ceiling=READ_CEILING, clock=time.monotonic, sleep=sleep)


def read_live(
    gateway: StripeGateway, *, adopt: frozenset[str] = frozenset(), pacer: Pacer | None = None,
    account_tax_ids: bool = False,
) -> Live:
    """All managed objects of every kind (invoices with their items, credit notes with their lines),
    and the unmanaged objects whose ids are in `adopt` (the specs' `adopt:`).

    With `account_tax_ids` (some spec names them), the account's own tax IDs too (GET /v1/tax_ids).

    Without a `pacer`, reads are not rate-limited (a library caller's
    choice; the CLI always passes its --max-rps).
    """
    pacer = pacer or read_pacer(None)
    found = _Found(adopt)
    reads = [ListRead(f"/v1/{kind}", tag=kind, params=_EXPAND.get(kind, {})) for kind in _KINDS]
    if account_tax_ids:
        found.account_tax_ids = set()
        reads.append(ListRead("/v1/tax_ids", tag=_ACCOUNT_TAX_IDS))
    with collector_paused():
        read_lists(gateway, reads, pacer=pacer, on_page=found.page, on_done=found.done)
        live = found.with_untagged_customers(with_evidence(gateway, found.live(), pacer=pacer))
    # Stripe's clock (its answers' Date): a due date before it would be refused at creation.
    live = dataclasses.replace(live, read_at=gateway.server_time)
    log.debug("read live state with %s requests", gateway.total_requests)
    if gateway.on_read_done is not None:
        gateway.on_read_done()
    return live


class _Found:
    """Records of what the pages held so far, each with its list position."""

    def __init__(self, adopt: frozenset[str]) -> None:
        self.adopt = adopt
        self.adoptable: dict[str, LiveObject] = {}
        self.prices: dict[str, list[tuple[Position, LivePrice]]] = defaultdict(list)
        self.foreign_lookup_keys: dict[str, tuple[Position, str]] = {}
        # Unmanaged: active prices by product id, invoices in use by customer id.
        self.foreign_prices: dict[str, list[tuple[Position, str]]] = defaultdict(list)
        self.foreign_invoices: dict[str, list[tuple[Position, str, str]]] = defaultdict(list)
        # Invoices whose lines are still being read: id -> (position, object, key, lines so far).
        self.waiting: dict[str, tuple[Position, Obj, str, list[Obj]]] = {}
        self.invoice_records: list[Entry[LiveInvoice]] = []
        # The simple kinds' records, by section.
        self.records: dict[str, list[Entry[TableRecord]]] = defaultdict(list)
        self.credit_note_records: list[Entry[LiveCreditNote]] = []
        self.seen: set[str] = set()
        # Identity beyond metadata: untagged invoices with the tool's item tags, unmanaged customers' ids.
        self.untagged: dict[str, LiveInvoice] = {}
        self.unmanaged_customers: set[str] = set()
        self.account_tax_ids: set[str] | None = None  # None: not read

    def page(self, page: Page) -> list[ListRead]:
        kind = page.read.tag
        if isinstance(kind, tuple):  # ("lines", invoice id)
            self.waiting[kind[1]][3].extend(page.objects)
            return []
        if kind == _ACCOUNT_TAX_IDS:
            self.account_tax_ids = (self.account_tax_ids or set()) | {str(obj["id"]) for obj in page.objects}
            return []
        more: list[ListRead] = []
        for index, obj in enumerate(page.objects):
            if obj["id"] in self.seen:
                continue  # listed twice (ranges that overlap in a store that sorts otherwise)
            self.seen.add(obj["id"])
            position = (*page.position, index)
            if kind == "customers" and obj.get("deleted"):
                continue
            key = mapping.owner_key(obj)
            if key is None:
                more += self._unmanaged(kind, position, obj)
            elif kind in _SIMPLE:
                self.records[kind].append(_entry(position, obj, mapping.simple(_SIMPLE[kind], obj, key)))
            elif kind == "prices":
                self.prices[key].append((position, mapping.price(obj, key)))
            elif kind == "invoices":
                more += self._invoice(position, obj, key)
            elif kind == "credit_notes":
                self.credit_note_records.append(_entry(position, obj, mapping.credit_note(obj, key)))
        return more

    def done(self, read: ListRead) -> None:
        if isinstance(read.tag, tuple):
            position, obj, key, lines = self.waiting.pop(read.tag[1])
            self._invoice_record(position, obj, key, lines)

    def _unmanaged(self, kind: str, position: Position, obj: Obj) -> list[ListRead]:
        if kind == "prices":
            self._foreign_price(position, obj)
        elif kind == "invoices":
            self._foreign_invoice(position, obj)
        elif kind == "customers":
            self.unmanaged_customers.add(str(obj["id"]))
        if obj["id"] not in self.adopt:
            # An invoice whose (embedded) items carry the tool's item tag is one it made.
            return self._invoice(position, obj, "") if kind == "invoices" and mapping.has_item_tags(obj) else []
        # Adopted objects are records with key "" (their spec key comes with the adoption).
        if kind == "invoices":
            return self._invoice(position, obj, "")
        if kind == "credit_notes":
            self.adoptable[str(obj["id"])] = mapping.credit_note(obj, "")
            return []
        record = mapping.price(obj, "") if kind == "prices" else mapping.simple(_SIMPLE[kind], obj, "")
        self.adoptable[str(obj["id"])] = cast(LiveObject, record)
        return []

    def _invoice(self, position: Position, obj: Obj, key: str) -> list[ListRead]:
        """Lines come embedded (first 10); only a longer invoice costs a lines call."""
        embedded = obj.get("lines")
        if embedded is None or embedded.get("has_more"):
            # Absent lines (not expected in this API version) are fetched, not assumed empty.
            self.waiting[obj["id"]] = (position, obj, key, [])
            return [ListRead(f"/v1/invoices/{obj['id']}/lines", tag=("lines", obj["id"]), split=False,
                             params={"expand": ["data.discounts"]})]
        self._invoice_record(position, obj, key, list(embedded.get("data") or []))
        return []

    def _invoice_record(self, position: Position, obj: Obj, key: str, lines: list[Obj]) -> None:
        record = mapping.invoice(obj, key, lines)
        if key:
            self.invoice_records.append(_entry(position, obj, record))
        elif obj["id"] in self.adopt:
            self.adoptable[str(obj["id"])] = record
        else:
            self.untagged[str(obj["id"])] = record

    def _foreign_price(self, position: Position, obj: Obj) -> None:
        # Archived prices keep their lookup key too, and Stripe refuses it to a new
        # price all the same unless it is transferred. The newest holder is named.
        lookup_key = obj.get("lookup_key")
        if lookup_key:
            held = self.foreign_lookup_keys.get(str(lookup_key))
            if held is None or position < held[0]:
                self.foreign_lookup_keys[str(lookup_key)] = (position, str(obj["id"]))
        product_id = mapping.id_of(obj.get("product"))
        if obj.get("active", True) and product_id:
            self.foreign_prices[product_id].append((position, str(obj["id"])))

    def _foreign_invoice(self, position: Position, obj: Obj) -> None:
        """Unmanaged invoices still in use, by customer: prune keeps their customers."""
        customer_id = mapping.id_of(obj.get("customer"))
        if customer_id and obj.get("status") in ("draft", "open", "uncollectible"):
            self.foreign_invoices[customer_id].append((position, str(obj["id"]), str(obj["status"])))

    def live(self) -> Live:
        duplicates: dict[str, tuple[str, ...]] = {}
        prices, extra_active, archived = _prices(self.prices)
        simple: dict[str, Any] = {section: _unique(kind, self.records[section], duplicates) for section, kind in _SIMPLE.items()}
        chains = revision_chains([entry[3] for entry in self.invoice_records], self.untagged)
        invoice_records = [entry for entry in self.invoice_records if entry[2] not in chains.superseded]
        return Live(
            **simple,
            prices=prices,
            invoices=_unique("invoice", invoice_records, duplicates),
            credit_notes=_unique("credit_note", self.credit_note_records, duplicates),
            duplicates=dict(sorted(duplicates.items())),
            archived_prices=archived,
            extra_active_prices=extra_active,
            foreign_lookup_keys={k: held[1] for k, held in sorted(self.foreign_lookup_keys.items())},
            unmanaged_invoices={
                k: tuple((i, status) for _, i, status in sorted(v)) for k, v in sorted(self.foreign_invoices.items())
            },
            unmanaged_active_prices={k: tuple(i for _, i in sorted(v)) for k, v in sorted(self.foreign_prices.items())},
            adoptable=dict(sorted(self.adoptable.items())),
            untagged_invoices=dict(sorted(self.untagged.items())),
            revised=chains.revised,
            untagged_revisions=chains.untagged_revisions,
            account_tax_ids=None if self.account_tax_ids is None else frozenset(self.account_tax_ids),
        )

    def with_untagged_customers(self, live: Live) -> Live:
        """`live` with the unmanaged customers an invoice the tool made bills (read after
        the events: a sent invoice that lost its tag names its customer there)."""
        billed = {invoice.customer_id for invoice in (*live.invoices.values(), *live.untagged_invoices.values())}
        billed.update(customer for sent in live.sent_keys.values() for _, customer in sent)
        return dataclasses.replace(live, untagged_customers=frozenset(billed & self.unmanaged_customers))


def _entry(position: Position, obj: Obj, record: T) -> Entry[T]:
    return position, int(obj.get("created") or 0), str(obj["id"]), record


def _unique(
    kind: str, found: Iterable[Entry[TableRecord]] | Iterable[Entry[LiveInvoice]] | Iterable[Entry[LiveCreditNote]],
    duplicates: dict[str, tuple[str, ...]],
) -> dict[str, Any]:
    """One record per key (the newest object); every id of a shared key in `duplicates`.

    A kind that is replaced by archiving (immutable fields, destroyed by archive) keeps its
    replaced objects archived under their key: the newest active one is the key's, and only
    several active ones are duplicates.
    """
    info = KINDS[kind]
    replaced_by_archive = info.destroy == "archive" and any(f.immutable for f in info.fields)
    by_key: dict[str, list[Entry[Any]]] = defaultdict(list)
    for entry in found:
        by_key[entry[3].key].append(entry)
    out: dict[str, Any] = {}
    for key in sorted(by_key):
        # Newest first; equal timestamps keep list order (Stripe's, newest first).
        entries = sorted(by_key[key], key=lambda entry: (-entry[1], entry[0]))
        if replaced_by_archive:
            active = [entry for entry in entries if entry[3].active]
            entries = active or entries[:1]
        if len(entries) > 1:
            duplicates[f"{kind}/{key}"] = tuple(entry[2] for entry in entries)
        out[key] = entries[0][3]
    return out


def _prices(
    found: Mapping[str, list[tuple[Position, LivePrice]]],
) -> tuple[dict[str, LivePrice], dict[str, tuple[LivePrice, ...]], dict[str, tuple[LivePrice, ...]]]:
    """Per key: the current price (newest active, else newest), the other
    active ones, and the archived ones (all newest first).

    Several prices per key are normal: a replaced price stays archived, and a
    replacement interrupted before its archive step leaves two active. The
    planner resolves both against the spec, so neither is a duplicate.
    """
    current: dict[str, LivePrice] = {}
    extra_active: dict[str, tuple[LivePrice, ...]] = {}
    archived: dict[str, tuple[LivePrice, ...]] = {}
    for key in sorted(found):
        # Newest first; equal timestamps keep list order (Stripe's, newest first).
        ordered = [price for _, price in sorted(found[key], key=lambda entry: (-entry[1].created, entry[0]))]
        active = [p for p in ordered if p.active]
        chosen = active[0] if active else ordered[0]
        current[key] = chosen
        if len(active) > 1:
            extra_active[key] = tuple(active[1:])
        inactive = tuple(p for p in ordered if not p.active and p is not chosen)
        if inactive:
            archived[key] = inactive
    return current, extra_active, archived


def invoice_record(gateway: StripeGateway, obj: Obj, key: str) -> LiveInvoice:
    """One invoice object as a record, its lines read one page after the other
    when it has more than the 10 Stripe embeds (for readers of a few invoices)."""
    embedded = obj.get("lines")
    if embedded is None or embedded.get("has_more"):
        # Absent lines (not expected in this API version) are fetched, not assumed empty.
        lines: list[Obj] = list(gateway.paginate(f"/v1/invoices/{obj['id']}/lines", {"expand": ["data.discounts"]}))
    else:
        lines = list(embedded.get("data") or [])
    return mapping.invoice(obj, key, lines)
