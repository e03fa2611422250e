"""Stripe's own record of what happened to invoices the tool cannot see on them.

An invoice object does not say whether it was emailed, nor whether a
customer's payment of it is in flight. Two list reads do:

- `GET /v1/events?type=invoice.sent`: every send in Stripe's events window
  (30 days), whoever sent it. The `Date` of its pages (the latest) gives the
  server's clock, from which the window is known complete
  (stripe_facts.TRUSTED_EVENTS_WINDOW).
- `GET /v1/invoice_payments?status=open` with the payment intents expanded:
  payments still in flight; a `processing` intent is a bank debit started, a
  `requires_payment_method` one with a `last_payment_error` a declined charge,
  a `requires_action` one a charge waiting for the customer's 3-D Secure.

Cost: ceil(E/100) + ceil(P/100) requests, E the sends of the last 30 days
and P the open payments (read at once, E in created ranges when long:
reconciler.gateway.pages); nothing when no managed invoice is finalized and
still open (or uncollectible) and no invoice the tool made lost its tag (its
items still carry the tool's item tags: the events say which key it was sent
as, see planner.identity).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import ownership
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.mapping import id_of
from reconciler.gateway.pacing import Pacer
from reconciler.gateway.pages import Fetch, ListRead, Page, read_lists
from reconciler.live.records import Live, LiveInvoice, PaymentAttempt
from reconciler.live.sendproof import complete_since

_STILL_OPEN = ("open", "uncollectible")


@dataclass(frozen=True)
class InvoiceEvidence:
    sent_invoice_ids: frozenset[str]
    processing_invoice_ids: frozenset[str]
    # Sends since this time are all in `sent_invoice_ids` (server clock).
    complete_since: int
    newest_sent_event: str | None = None
    # key -> ((invoice id, customer id), ...): the reconciler_id each sent invoice carried then
    sent_keys: dict[str, tuple[tuple[str, str], ...]] = dataclasses.field(default_factory=dict)
    # Each open invoice payment's intent after its last attempt, by invoice id.
    attempts: Mapping[str, PaymentAttempt] = dataclasses.field(default_factory=dict)

    def applied(self, invoice: LiveInvoice) -> LiveInvoice:
        """The invoice with its sent and processing facts and its last payment attempt."""
        return dataclasses.replace(
            invoice,
            sent_event=invoice.id in self.sent_invoice_ids,
            payment_processing=invoice.id in self.processing_invoice_ids,
            last_attempt=self.attempts.get(invoice.id),
        )


def needs_evidence(invoices: Iterable[LiveInvoice]) -> bool:
    return any(invoice.status in _STILL_OPEN for invoice in invoices)


def _untagged_need_it(live: Live) -> bool:
    """An invoice the tool made lost its tag: the events say which key it was sent as."""
    return bool(live.untagged_invoices)


def with_evidence(gateway: StripeGateway, live: Live, *, pacer: Pacer | None = None) -> Live:
    """`live` with each invoice's sent and processing facts (the adopted ones' too)
    and the events window filled in."""
    adoptable = [obj for obj in live.adoptable.values() if isinstance(obj, LiveInvoice)]
    if not needs_evidence([*live.invoices.values(), *adoptable]) and not _untagged_need_it(live):
        return live
    evidence = read_evidence(gateway, pacer=pacer)
    invoices = {key: evidence.applied(invoice) for key, invoice in live.invoices.items()}
    adopted = {invoice.id: evidence.applied(invoice) for invoice in adoptable}
    return dataclasses.replace(
        live,
        invoices=invoices,
        adoptable={**live.adoptable, **adopted},
        events_complete_since=evidence.complete_since,
        newest_sent_event=evidence.newest_sent_event,
        sent_keys=evidence.sent_keys,
    )


def read_evidence(gateway: StripeGateway, *, pacer: Pacer | None = None) -> InvoiceEvidence:
    """Both lists at once (and a long events list in created ranges), through `pacer`."""
    found = _Found()
    payments = ListRead("/v1/invoice_payments", tag="payments", split=False, progress=False,
                        params={"status": "open", "expand": ["data.payment.payment_intent"]})  # fmt: skip
    read_lists(gateway, [SENT_EVENTS, payments], pacer=pacer or _unlimited(), on_page=found.page)
    sent = found.sent.result()
    return InvoiceEvidence(
        frozenset(sent.invoice_ids),
        frozenset(found.processing),
        complete_since(sent.server_time),
        sent.newest_event,
        sent.keys,
        dict(found.attempts),
    )


# (Not live state: not in the read's progress report.)
SENT_EVENTS = ListRead("/v1/events", tag="sent", params={"type": "invoice.sent"}, progress=False)


@dataclass(frozen=True)
class SentEvents:
    """What Stripe's `invoice.sent` events list held when read."""

    invoice_ids: frozenset[str]
    newest_event: str | None  # the first event of the list, to read on from (ending_before)
    # The latest Date of its pages: sends since then minus the window are all in.
    server_time: int
    # key -> ((invoice id, customer id), ...), from the reconciler_id each invoice carried when sent
    keys: dict[str, tuple[tuple[str, str], ...]] = dataclasses.field(default_factory=dict)


def read_sent_events(gateway: StripeGateway, *, pacer: Pacer, fetch: Fetch | None = None) -> SentEvents:
    """Every `invoice.sent` event Stripe still holds (`fetch`: see pages.read_lists)."""
    found = _SentPages()

    def page(p: Page) -> list[ListRead]:
        found.add(p)
        return []

    read_lists(gateway, [SENT_EVENTS], pacer=pacer, on_page=page, fetch=fetch)
    return found.result()


class _SentPages:
    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.newest: tuple[tuple[float, int], str] | None = None
        self.server_time: int | None = None
        self.keys: dict[str, set[tuple[str, str]]] = {}

    def add(self, page: Page) -> None:
        for event in page.objects:
            obj = (event.get("data") or {}).get("object") or {}
            if obj.get("id"):
                self.ids.add(str(obj["id"]))
                sent_as = sent_key(obj)
                if sent_as is not None:
                    self.keys.setdefault(sent_as[0], set()).add(sent_as[1])
        if page.objects and (self.newest is None or page.position < self.newest[0]):
            self.newest = (page.position, str(page.objects[0]["id"]))
        if page.server_time is not None:
            # Pages read later hold less of the window's oldest part: the latest counts.
            self.server_time = max(self.server_time or 0, page.server_time)

    def result(self) -> SentEvents:
        # Without a Date header (not Stripe's way), this machine's clock stands in.
        return SentEvents(
            frozenset(self.ids),
            self.newest[1] if self.newest else None,
            self.server_time or int(time.time()),
            {key: tuple(sorted(found)) for key, found in sorted(self.keys.items())},
        )


def sent_key(obj: Mapping[str, Any]) -> tuple[str, tuple[str, str]] | None:
    """(the key, (invoice id, customer id)) of an `invoice.sent` event's invoice
    that carried the tool's tag when it was emailed; None for another's invoice."""
    key = (obj.get("metadata") or {}).get(ownership.OWNER_KEY)
    if not key:
        return None
    return str(key), (str(obj["id"]), str(id_of(obj.get("customer")) or ""))


class _Found:
    def __init__(self) -> None:
        self.sent = _SentPages()
        self.processing: set[str] = set()
        self.attempts: dict[str, PaymentAttempt] = {}

    def page(self, page: Page) -> list[ListRead]:
        if page.read.tag == "sent":
            self.sent.add(page)
            return []
        for payment in page.objects:
            intent = (payment.get("payment") or {}).get("payment_intent")
            if not isinstance(intent, Mapping) or not payment.get("invoice"):
                continue
            if intent.get("status") == "processing":
                self.processing.add(str(payment["invoice"]))
            attempt = payment_attempt(intent)
            if attempt is not None:
                self.attempts[str(payment["invoice"])] = attempt
        return []


def payment_attempt(intent: Mapping[str, object]) -> PaymentAttempt | None:
    """What an invoice's PaymentIntent says of its last attempt: None before any."""
    error = intent.get("last_payment_error")
    status = str(intent.get("status") or "")
    if not isinstance(error, Mapping) and status != "requires_action":
        return None
    error = error if isinstance(error, Mapping) else {}
    charge = intent.get("latest_charge")
    return PaymentAttempt(
        status=status,
        code=_text(error.get("code")),
        decline_code=_text(error.get("decline_code")),
        message=_text(error.get("message")),
        latest_charge=str(charge.get("id") if isinstance(charge, Mapping) else charge) if charge else None,
    )


def _text(value: object) -> str | None:
    return str(value) if value else None


def _unlimited() -> Pacer:
    return Pacer(None, ceiling=8, clock=time.monotonic, sleep=time.sleep)
