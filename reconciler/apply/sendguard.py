"""The send guard: an invoice is emailed at most once, whoever sends it.

Before a send, three things are checked, in this order, right before it:
1. the tool's marker on the invoice (metadata reconciler_send: done);
2. Stripe's own record: an `invoice.sent` event for the invoice, from the
   tool, a colleague in the Dashboard or another integration;
3. that the absence of such an event proves anything: the invoice was
   finalized inside the events window the tool trusts (29 of Stripe's 30
   days), unless the spec says `assume_unsent: true`.
Then the marker goes to "requested", the send is made, the marker to "done":
a crash in between leaves "requested", and the next run finds the event.

The ledger of sent invoices starts from the events the run's read of live
state found (or, without them, reads the whole window once, its pages at
once through the run's pacer: reconciler.gateway.pages); then only newer
events are fetched before each send (one request), so a busy apply does not
re-read the whole events window per invoice. Sends that check at the same
time share one fetch, as long as it started after they asked: many sends in
flight cost one fetch per round trip, not one round trip each in turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from reconciler import stripe_facts
from reconciler.gateway.client import Reply, StripeGateway, list_data
from reconciler.gateway.evidence import read_sent_events, sent_key
from reconciler.gateway.pacing import Pacer
from reconciler.live.records import Live, LiveInvoice
from reconciler.stripe_facts import PAGE_SIZE

T = TypeVar("T")
# Ledger fetches in flight at once: a check then waits for one that began
# after it by a round trip or a little more, for at most two list requests a round trip.
MAX_FETCHES = 2


class SentLedger:
    """Invoice ids with an `invoice.sent` event Stripe still holds, kept current by `refresh`."""

    def __init__(self, gateway: StripeGateway, pacer: Pacer, *, read: Live | None = None) -> None:
        """`read`: the live state this run read, whose evidence (every
        `invoice.sent` event then) the ledger starts from, reading on from
        its newest event instead of reading the whole window again."""
        self._gateway = gateway
        self._pacer = pacer
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._sent: set[str] = set()
        # key -> ids of the invoices sent carrying it (their reconciler_id when emailed)
        self._keys: dict[str, set[str]] = {}
        self._newest_event: str | None = None  # None: the whole window not read yet
        self._cursor_from = 0  # the fetch that set _newest_event
        self.server_time = 0
        if read is not None and read.events_complete_since is not None and read.newest_sent_event:
            invoices = [*read.invoices.values(), *(o for o in read.adoptable.values() if isinstance(o, LiveInvoice))]
            self._sent = {invoice.id for invoice in invoices if invoice.sent_event}
            self._keys = {key: {invoice_id for invoice_id, _ in sent} for key, sent in read.sent_keys.items()}
            self._newest_event = read.newest_sent_event
            # What the window held when it was read: all within 1 of the 30 days trusted.
            self.server_time = read.events_complete_since + stripe_facts.TRUSTED_EVENTS_WINDOW
        # Refreshes asked for; how many the finished fetches cover; those the
        # fetches in flight will (each covers the refreshes asked before it began).
        self._asked = 0
        self._covered = 0
        self._in_flight: list[int] = []

    def refresh(self, call: Callable[[Callable[[], T]], T]) -> None:
        """Fetch the events newer than the newest seen (all of them, the first time).

        Returns once a fetch that started after this call has finished: one
        already running may have missed an event made since it began, so it
        does not count. Up to MAX_FETCHES fetches run at once (one until the
        window is read), so a check waits one round trip or a little more,
        not two. `call` runs one gateway request under the applier's rate
        limit and retries.
        """
        with self._changed:
            self._asked += 1
            ticket = self._asked
            while self._covered < ticket:
                room = MAX_FETCHES if self._newest_event is not None else 1
                if max(self._in_flight, default=0) >= ticket or len(self._in_flight) >= room:
                    self._changed.wait()  # a fetch begun after this call is on its way, or no room
                    continue
                covers = self._asked
                self._in_flight.append(covers)
                try:
                    self._changed.release()
                    try:
                        self._fetch(call, covers)
                    finally:
                        self._changed.acquire()
                    self._covered = max(self._covered, covers)
                finally:
                    self._in_flight.remove(covers)
                    self._changed.notify_all()

    def _fetch(self, call: Callable[[Callable[[], Any]], Any], covers: int) -> None:
        with self._lock:
            cursor = self._newest_event
        if not cursor:  # nothing read yet, or no event to read on from: the whole window (cheap then)
            self._read_all(call, covers)
        else:
            self._read_newer(call, cursor, covers)

    def was_sent(self, invoice_id: str) -> bool:
        with self._lock:
            return invoice_id in self._sent

    def others_sent_as(self, key: str, invoice_id: str) -> list[str]:
        """Other invoices that were emailed carrying spec key `key` (sorted)."""
        with self._lock:
            return sorted(self._keys.get(key, set()) - {invoice_id})

    def _read_all(self, call: Callable[[Callable[[], Any]], Any], covers: int) -> None:
        def fetch(path: str, params: dict[str, Any]) -> Reply:
            reply: Reply = call(lambda: self._gateway.exchange("GET", path, params, retry=False))
            return reply

        events = read_sent_events(self._gateway, pacer=self._pacer, fetch=fetch)
        self._note_ids(events.invoice_ids)
        self._note_keys((key, invoice_id) for key, sent in events.keys.items() for invoice_id, _ in sent)
        self._advanced(events.newest_event or "", events.server_time, covers)

    def _read_newer(self, call: Callable[[Callable[[], Any]], Any], cursor: str, covers: int) -> None:
        # ending_before pages towards newer events; each page comes newest first.
        server_time = 0
        while True:
            query: dict[str, Any] = {"type": "invoice.sent", "limit": PAGE_SIZE, "ending_before": cursor}
            reply = call(partial(self._gateway.exchange, "GET", "/v1/events", query, retry=False))
            data = list_data(reply.data, host=self._gateway.host, request="GET /v1/events")
            server_time = reply.server_time or server_time
            self._note(data)
            if data:
                cursor = str(data[0]["id"])
            if not reply.data.get("has_more") or not data:
                break
        self._advanced(cursor, server_time, covers)

    def _advanced(self, cursor: str, server_time: int, covers: int) -> None:
        """A fetch read up to `cursor`: the next reads on from there, unless a
        fetch begun later already moved it (fetches can end out of order)."""
        with self._lock:
            if covers >= self._cursor_from:
                self._newest_event, self._cursor_from = cursor, covers
            self.server_time = max(self.server_time, server_time)

    def _note(self, events: list[dict[str, Any]]) -> None:
        objects = [obj for obj in ((e.get("data") or {}).get("object") or {} for e in events) if obj.get("id")]
        self._note_ids(str(obj["id"]) for obj in objects)
        found = (sent_key(obj) for obj in objects)
        self._note_keys((sent[0], sent[1][0]) for sent in found if sent is not None)

    def _note_keys(self, pairs: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            for key, invoice_id in pairs:
                self._keys.setdefault(key, set()).add(invoice_id)

    def _note_ids(self, ids: Iterable[str]) -> None:
        with self._lock:
            self._sent.update(ids)
