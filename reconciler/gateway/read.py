"""The live-state reader: every managed object through paginated list calls.

Cost: ceil(N/100) `GET` list requests per kind, plus one `GET
/v1/invoices/{id}/lines` (paged) for an invoice with more than the 10 lines
Stripe embeds. No per-object GET, no Search API (eventually consistent).
Unmanaged objects (no ownership.OWNER_KEY) are read past and ignored, except
the lookup key of an unmanaged price (Live.foreign_lookup_keys), which a spec
must not take, and the objects the specs adopt (Live.adoptable), which cost
nothing more: they are on the same pages.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from reconciler.gateway import mapping
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.evidence import with_evidence
from reconciler.live.records import Live, LiveInvoice, LiveObject, LivePrice

log = logging.getLogger(__name__)
T = TypeVar("T")
Obj = Mapping[str, Any]


def read_live(gateway: StripeGateway, *, adopt: frozenset[str] = frozenset()) -> Live:
    """All managed products, prices, customers and invoices (with their items),
    and the unmanaged objects whose ids are in `adopt` (the specs' `adopt:`)."""
    duplicates: dict[str, tuple[str, ...]] = {}
    adoptable: dict[str, LiveObject] = {}
    keep = _Keep(adopt, adoptable)
    products = _unique(
        "product",
        _managed(gateway.paginate("/v1/products"), keep(mapping.product)),
        mapping.product,
        duplicates,
    )
    foreign_lookup_keys: dict[str, str] = {}
    foreign_prices: dict[str, list[str]] = defaultdict(list)
    prices, extra_active, archived = _prices(
        _managed(
            gateway.paginate("/v1/prices"),
            lambda obj: _foreign_price(obj, foreign_lookup_keys, foreign_prices),
            keep(mapping.price),
        )
    )
    standing = (obj for obj in gateway.paginate("/v1/customers") if not obj.get("deleted"))
    customers = _unique(
        "customer",
        _managed(standing, keep(mapping.customer)),
        mapping.customer,
        duplicates,
    )
    foreign_invoices: dict[str, list[tuple[str, str]]] = defaultdict(list)
    invoices = _unique(
        "invoice",
        _managed(
            gateway.paginate("/v1/invoices"),
            lambda obj: _foreign_invoice(obj, foreign_invoices),
            keep(lambda obj, key: invoice_record(gateway, obj, key)),
        ),
        lambda obj, key: invoice_record(gateway, obj, key),
        duplicates,
    )
    live = Live(
        products=products,
        prices=prices,
        customers=customers,
        invoices=invoices,
        duplicates=dict(sorted(duplicates.items())),
        archived_prices=archived,
        extra_active_prices=extra_active,
        foreign_lookup_keys=dict(sorted(foreign_lookup_keys.items())),
        unmanaged_invoices={k: tuple(v) for k, v in sorted(foreign_invoices.items())},
        unmanaged_active_prices={k: tuple(v) for k, v in sorted(foreign_prices.items())},
        adoptable=dict(sorted(adoptable.items())),
    )
    live = with_evidence(gateway, live)
    log.debug("read live state with %s requests", gateway.total_requests)
    return live


def _managed(objects: Iterable[Obj], *foreign: Callable[[Obj], None]) -> Iterable[tuple[Obj, str]]:
    """(object, spec key) of managed objects; each `foreign` callback sees each unmanaged one."""
    for obj in objects:
        key = mapping.owner_key(obj)
        if key is not None:
            yield obj, key
        else:
            for see in foreign:
                see(obj)


class _Keep:
    """Builds `foreign` callbacks that keep the unmanaged objects the specs adopt, as records with key ""."""

    def __init__(self, wanted: frozenset[str], kept: dict[str, LiveObject]) -> None:
        self.wanted = wanted
        self.kept = kept

    def __call__(self, to_record: Callable[[Obj, str], LiveObject]) -> Callable[[Obj], None]:
        def keep(obj: Obj) -> None:
            if obj["id"] in self.wanted:
                self.kept[str(obj["id"])] = to_record(obj, "")

        return keep


def _foreign_price(obj: Obj, lookup_keys: dict[str, str], active_by_product: dict[str, list[str]]) -> None:
    # Archived prices keep their lookup key too, and Stripe refuses it to a new
    # price all the same unless it is transferred.
    lookup_key = obj.get("lookup_key")
    if lookup_key:
        lookup_keys.setdefault(str(lookup_key), str(obj["id"]))
    product_id = mapping.id_of(obj.get("product"))
    if obj.get("active", True) and product_id:
        active_by_product[product_id].append(str(obj["id"]))


def _foreign_invoice(obj: Obj, in_use: dict[str, list[tuple[str, str]]]) -> None:
    """Unmanaged invoices still in use, by customer: prune keeps their customers."""
    customer_id = mapping.id_of(obj.get("customer"))
    if customer_id and obj.get("status") in ("draft", "open", "uncollectible"):
        in_use[customer_id].append((str(obj["id"]), str(obj["status"])))


def _unique(
    kind: str,
    managed: Iterable[tuple[Obj, str]],
    to_record: Callable[[Obj, str], T],
    duplicates: dict[str, tuple[str, ...]],
) -> dict[str, T]:
    """One record per key (the newest object); every id of a shared key in `duplicates`.

    Objects become records as their page arrives, so the raw JSON of only one
    page is held at a time.
    """
    by_key: dict[str, list[tuple[int, str, T]]] = defaultdict(list)
    for obj, key in managed:
        by_key[key].append((int(obj.get("created") or 0), obj["id"], to_record(obj, key)))
    out: dict[str, T] = {}
    for key in sorted(by_key):
        # Newest first; equal timestamps keep list order (Stripe's, newest first).
        found = sorted(by_key[key], key=lambda entry: -entry[0])
        if len(found) > 1:
            duplicates[f"{kind}/{key}"] = tuple(entry[1] for entry in found)
        out[key] = found[0][2]
    return out


def _prices(
    managed: Iterable[tuple[Obj, str]],
) -> tuple[dict[str, LivePrice], dict[str, tuple[LivePrice, ...]], dict[str, tuple[LivePrice, ...]]]:
    """Per key: the current price (newest active, else newest), the other
    active ones, and the archived ones (all newest first).

    Several prices per key are normal: a replaced price stays archived, and a
    replacement interrupted before its archive step leaves two active. The
    planner resolves both against the spec, so neither is a duplicate.
    """
    by_key: dict[str, list[LivePrice]] = defaultdict(list)
    for obj, key in managed:
        by_key[key].append(mapping.price(obj, key))
    current: dict[str, LivePrice] = {}
    extra_active: dict[str, tuple[LivePrice, ...]] = {}
    archived: dict[str, tuple[LivePrice, ...]] = {}
    for key in sorted(by_key):
        # Newest first; equal timestamps keep list order (Stripe's, newest first).
        ordered = sorted(by_key[key], key=lambda p: -p.created)
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
    """Lines come embedded (first 10); only a longer invoice costs a lines call."""
    embedded = obj.get("lines")
    if embedded is None or embedded.get("has_more"):
        # Absent lines (not expected in this API version) are fetched, not assumed empty.
        lines: list[Obj] = list(gateway.paginate(f"/v1/invoices/{obj['id']}/lines"))
    else:
        lines = list(embedded.get("data") or [])
    return mapping.invoice(obj, key, lines)
