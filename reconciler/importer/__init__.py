"""`reconciler import`: specs for the objects of an existing account, to adopt.

Read-only: it reads through the gateway's list calls (gateway.inventory) and
writes spec files, never to Stripe. Pieces:

- keys: readable, stable spec keys for every object
- build: the selection, its references, the spec entries, what was skipped
- fields: one live record -> its spec entry
- output: the YAML files, validated and written whole
- report: what it did and could not express
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.inventory import read_inventory
from reconciler.importer.build import KINDS, Builder
from reconciler.importer.keys import derive_keys
from reconciler.importer.output import check_target, render_files, write_tree
from reconciler.importer.report import ImportReport
from reconciler.kinds import KINDS as KIND_INFOS
from reconciler.live.inventory import Found, Inventory
from reconciler.stripe_facts import PAGE_SIZE

__all__ = ["KINDS", "ImportReport", "ImportRequest", "UnknownCustomer", "run_import"]

_LIST_ENDPOINTS = tuple(info.list_path for info in KIND_INFOS.values())


class UnknownCustomer(ReconcilerError):
    def __init__(self, customer_ids: list[str]) -> None:
        super().__init__(f"--customer: no such customer in Stripe: {', '.join(customer_ids)}")


@dataclass(frozen=True, kw_only=True)
class ImportRequest:
    out: Path
    kinds: tuple[str, ...] = KINDS  # what to import; what they refer to comes along
    customers: tuple[str, ...] = ()  # only these customers (and their invoices)
    created_after: date | None = None  # only objects created on that day (UTC) or later
    force: bool = False  # replace the spec files `out` holds
    metadata: bool = False  # write the metadata of objects to adopt into their specs (claim it)


def run_import(request: ImportRequest, gateway: StripeGateway) -> ImportReport:
    """Read the account, write its specs under `request.out`, report."""
    check_target(request.out, force=request.force)
    since = _timestamp(request.created_after)
    before = gateway.request_counts
    inventory = read_inventory(gateway, customers=request.customers, invoices_created_gte=since)
    counts = gateway.request_counts - before
    missing = sorted(set(request.customers) - {f.record.id for f in inventory.customers})
    if missing:
        raise UnknownCustomer(missing)
    builder = Builder(inventory, derive_keys(inventory), claim_metadata=request.metadata)
    for kind in KINDS:
        if kind not in request.kinds:
            continue
        for found in inventory.sections[KIND_INFOS[kind].section]:
            if _selected(kind, found, request, since):
                builder.build(kind, found.record.id, root=True)
    entries = builder.out
    files = render_files(entries.by_kind, entries.invoice_customer)
    replaced, kept = write_tree(request.out, files, force=request.force) if files else (0, ())
    list_requests = sum(n for endpoint, n in counts.items() if _is_list(endpoint))
    return ImportReport(
        out=str(request.out),
        files=tuple(sorted(files)),
        written={kind: len(entries.by_kind[kind]) for kind in KINDS},
        adopted=entries.adopted,
        managed=entries.managed,
        pulled=dict(entries.pulled),
        pulled_names=tuple(entries.pulled_names),
        unexpressed=tuple(entries.unexpressed),
        skipped=tuple(entries.skipped),
        list_requests=list_requests,
        list_bound=list_bound(inventory, customers=len(request.customers)),
        evidence_requests=sum(counts.values()) - list_requests,
        replaced=replaced,
        kept=kept,
        metadata_claimed=tuple(entries.metadata_claimed),
        metadata_left=tuple(entries.metadata_left),
        read={kind: len(inventory.sections[KIND_INFOS[kind].section]) for kind in KINDS},
    )


def _timestamp(day: date | None) -> int | None:
    if day is None:
        return None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _selected(kind: str, found: Found[Any], request: ImportRequest, since: int | None) -> bool:
    """Whether the selection names the object itself (what it refers to comes along anyway)."""
    record = found.record
    if since is not None and found.created < since:
        return False
    if request.customers and kind == "customer":
        return record.id in request.customers
    if request.customers and kind in ("invoice", "credit_note"):
        return record.customer_id in request.customers
    return True


def _is_list(endpoint: str) -> bool:
    method, _, path = endpoint.partition(" ")
    return method == "GET" and (path in _LIST_ENDPOINTS or path == "/v1/invoices/{id}/lines")


def list_bound(inventory: Inventory, *, customers: int = 0) -> int:
    """ceil(N/100) requests per kind (one list at least), invoices per named
    customer when `customers`, plus the lines of invoices longer than Stripe embeds."""
    def pages(n: int) -> int:
        return max(1, math.ceil(n / PAGE_SIZE))

    bound = sum(pages(len(inventory.sections[KIND_INFOS[kind].section])) for kind in KINDS if kind != "invoice")
    if customers:
        by_customer: dict[str, int] = {}
        for f in inventory.invoices:
            by_customer[f.record.customer_id] = by_customer.get(f.record.customer_id, 0) + 1
        bound += sum(pages(n) for n in by_customer.values()) + customers - len(by_customer)
    else:
        bound += pages(len(inventory.invoices))
    bound += sum(pages(len(f.record.items)) for f in inventory.invoices if len(f.record.items) > 10)
    return bound
