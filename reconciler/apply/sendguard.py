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

The ledger of sent invoices is read once per run (its pages at once, through
the run's pacer: reconciler.gateway.pages), then only its newest
events are fetched before each send (one request), so a busy apply does not
re-read the whole events window per invoice. Sends that check at the same
time share one fetch, as long as it started after they asked: many sends in
flight cost one fetch per round trip, not one round trip each in turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from reconciler import ownership
from reconciler.gateway.client import PAGE_SIZE, Reply, StripeGateway, list_data
from reconciler.gateway.evidence import read_sent_events
from reconciler.gateway.pacing import Pacer

T = TypeVar("T")


class SentLedger:
    """Invoice ids with an `invoice.sent` event Stripe still holds, kept current by `refresh`."""

    def __init__(self, gateway: StripeGateway, pacer: Pacer) -> None:
        self._gateway = gateway
        self._pacer = pacer
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._sent: set[str] = set()
        self._newest_event: str | None = None
        self.server_time = 0
        # Refreshes asked for, and how many of them the last finished fetch covers.
        self._asked = 0
        self._covered = 0
        self._fetching = False

    def refresh(self, call: Callable[[Callable[[], T]], T]) -> None:
        """Fetch the events newer than the newest seen (all of them, the first time).

        Returns once a fetch that started after this call has finished: one
        already running may have missed an event made since it began, so it
        does not count. `call` runs one gateway request under the applier's
        rate limit and retries.
        """
        with self._changed:
            self._asked += 1
            ticket = self._asked
            while self._covered < ticket:
                if self._fetching:
                    self._changed.wait()
                    continue
                covers, self._fetching = self._asked, True
                try:
                    self._changed.release()
                    try:
                        self._fetch(call)
                    finally:
                        self._changed.acquire()
                    self._covered = covers
                finally:
                    self._fetching = False
                    self._changed.notify_all()

    def _fetch(self, call: Callable[[Callable[[], Any]], Any]) -> None:
        # Only one fetch runs at a time (self._fetching), so these need no lock
        # but for what was_sent reads.
        if not self._newest_event:
            self._read_all(call)
        else:
            self._read_newer(call)

    def was_sent(self, invoice_id: str) -> bool:
        with self._lock:
            return invoice_id in self._sent

    def _read_all(self, call: Callable[[Callable[[], Any]], Any]) -> None:
        def fetch(path: str, params: dict[str, Any]) -> Reply:
            reply: Reply = call(lambda: self._gateway.exchange("GET", path, params, retry=False))
            return reply

        events = read_sent_events(self._gateway, pacer=self._pacer, fetch=fetch)
        with self._lock:
            self._sent.update(events.invoice_ids)
        self.server_time = events.server_time
        self._newest_event = events.newest_event or ""

    def _read_newer(self, call: Callable[[Callable[[], Any]], Any]) -> None:
        # ending_before pages towards newer events; each page comes newest first.
        while True:
            query: dict[str, Any] = {"type": "invoice.sent", "limit": PAGE_SIZE, "ending_before": self._newest_event}
            reply = call(partial(self._gateway.exchange, "GET", "/v1/events", query, retry=False))
            data = list_data(reply.data, host=self._gateway.host, request="GET /v1/events")
            self.server_time = reply.server_time or self.server_time
            self._note(data)
            if data:
                self._newest_event = str(data[0]["id"])
            if not reply.data.get("has_more") or not data:
                return

    def _note(self, events: list[dict[str, Any]]) -> None:
        ids = [str(obj["id"]) for obj in ((e.get("data") or {}).get("object") or {} for e in events) if obj.get("id")]
        with self._lock:
            self._sent.update(ids)


def provably_unsent(finalized_at: int | None, server_time: int) -> bool:
    """Whether Stripe's events would show every send of an invoice finalized then."""
    if not server_time:
        return False
    return finalized_at is not None and finalized_at >= server_time - ownership.TRUSTED_EVENTS_WINDOW
