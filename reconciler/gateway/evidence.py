"""Stripe's own record of what happened to invoices the tool cannot see on them.

An invoice object does not say whether it was emailed, nor whether a
customer's payment of it is in flight. Two list reads do:

- `GET /v1/events?type=invoice.sent`: every send in Stripe's events window
  (30 days), whoever sent it. The `Date` of the first page gives the
  server's clock, from which the window is known complete
  (ownership.TRUSTED_EVENTS_WINDOW).
- `GET /v1/invoice_payments?status=open` with the payment intents expanded:
  payments still in flight; a `processing` intent is a bank debit started.

Cost: ceil(E/100) + ceil(P/100) requests, E the sends of the last 30 days
and P the open payments; nothing when no managed invoice is finalized and
still open (or uncollectible).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import ownership
from reconciler.gateway.client import PAGE_SIZE, StripeGateway, list_data
from reconciler.gateway.pacing import Pacer
from reconciler.live.records import Live, LiveInvoice

_STILL_OPEN = ("open", "uncollectible")


@dataclass(frozen=True)
class InvoiceEvidence:
    sent_invoice_ids: frozenset[str]
    processing_invoice_ids: frozenset[str]
    # Sends since this time are all in `sent_invoice_ids` (server clock).
    complete_since: int

    def applied(self, invoice: LiveInvoice) -> LiveInvoice:
        """The invoice with its sent and processing facts."""
        return dataclasses.replace(
            invoice,
            sent_event=invoice.id in self.sent_invoice_ids,
            payment_processing=invoice.id in self.processing_invoice_ids,
        )


def needs_evidence(invoices: Iterable[LiveInvoice]) -> bool:
    return any(invoice.status in _STILL_OPEN for invoice in invoices)


def with_evidence(gateway: StripeGateway, live: Live, *, pacer: Pacer | None = None) -> Live:
    """`live` with each invoice's sent and processing facts (the adopted ones' too)
    and the events window filled in."""
    adoptable = [obj for obj in live.adoptable.values() if isinstance(obj, LiveInvoice)]
    if not needs_evidence([*live.invoices.values(), *adoptable]):
        return live
    evidence = read_evidence(gateway, pacer=pacer)
    invoices = {key: evidence.applied(invoice) for key, invoice in live.invoices.items()}
    adopted = {invoice.id: evidence.applied(invoice) for invoice in adoptable}
    return dataclasses.replace(
        live,
        invoices=invoices,
        adoptable={**live.adoptable, **adopted},
        events_complete_since=evidence.complete_since,
    )


def read_evidence(gateway: StripeGateway, *, retry: bool = True, pacer: Pacer | None = None) -> InvoiceEvidence:
    sent, server_time = sent_invoice_ids(gateway, retry=retry, pacer=pacer)
    processing = frozenset(_processing_invoice_ids(gateway, retry=retry, pacer=pacer))
    return InvoiceEvidence(sent, processing, server_time - ownership.TRUSTED_EVENTS_WINDOW)


def sent_invoice_ids(
    gateway: StripeGateway, *, retry: bool = True, pacer: Pacer | None = None
) -> tuple[frozenset[str], int]:
    """Ids of every invoice with an `invoice.sent` event Stripe still holds, and the server's time."""
    ids: set[str] = set()
    server_time: int | None = None
    for page_time, events in _pages(gateway, "/v1/events", {"type": "invoice.sent"}, retry=retry, pacer=pacer):
        server_time = server_time or page_time
        for event in events:
            obj = (event.get("data") or {}).get("object") or {}
            if obj.get("id"):
                ids.add(str(obj["id"]))
    # Without a Date header (not Stripe's way), this machine's clock stands in.
    return frozenset(ids), server_time or int(time.time())


def _processing_invoice_ids(gateway: StripeGateway, *, retry: bool, pacer: Pacer | None) -> Iterator[str]:
    params = {"status": "open", "expand": ["data.payment.payment_intent"]}
    for _, payments in _pages(gateway, "/v1/invoice_payments", params, retry=retry, pacer=pacer):
        for payment in payments:
            intent = (payment.get("payment") or {}).get("payment_intent")
            if isinstance(intent, Mapping) and intent.get("status") == "processing" and payment.get("invoice"):
                yield str(payment["invoice"])


def _pages(
    gateway: StripeGateway, path: str, params: dict[str, Any], *, retry: bool, pacer: Pacer | None = None
) -> Iterator[tuple[int | None, list[dict[str, Any]]]]:
    """(server time of the answer, its objects) for every page of a list endpoint."""
    query: dict[str, Any] = {**params, "limit": PAGE_SIZE}
    while True:
        reply = gateway.exchange("GET", path, query, retry=retry, pacer=pacer)
        data = list_data(reply.data, host=gateway.host, request=f"GET {path}")
        yield reply.server_time, data
        if not reply.data.get("has_more") or not data:
            return
        query["starting_after"] = data[-1]["id"]
