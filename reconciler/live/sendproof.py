"""Whether an open invoice was emailed, as far as anyone can prove it: the one rule.

The planner (what to plan for `status: sent`), the send guard (right before a
send) and the importer (`status: sent` or `open` in written specs) all ask here.

Sent: the tool's marker says done, or Stripe holds an `invoice.sent` event for
it. Provably unsent: no such event, and the invoice was finalized inside the
part of Stripe's events window the tool trusts, so any send would show.
Otherwise (finalized before it, or the events not read) nobody can tell, and
the tool never sends on a guess (docs/lifecycle.md).
"""

from __future__ import annotations

from typing import Literal

from reconciler.live.records import LiveInvoice
from reconciler.ownership import SEND_DONE
from reconciler.stripe_facts import TRUSTED_EVENTS_WINDOW

SentState = Literal["sent", "unsent", "unproven"]


def complete_since(server_time: int) -> int:
    """From when the `invoice.sent` events read at `server_time` (Stripe's clock) are complete."""
    return server_time - TRUSTED_EVENTS_WINDOW


def provably_unsent(finalized_at: int | None, events_complete_since: int | None) -> bool:
    """Whether Stripe's events would show every send of an invoice finalized then."""
    return events_complete_since is not None and finalized_at is not None and finalized_at >= events_complete_since


def sent_state(invoice: LiveInvoice, events_complete_since: int | None) -> SentState:
    """What the tool can establish about an open invoice's emails."""
    if invoice.send_marker == SEND_DONE or invoice.sent_event:
        return "sent"
    return "unsent" if provably_unsent(invoice.finalized_at, events_complete_since) else "unproven"
