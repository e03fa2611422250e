"""What the `reconciler webhook` commands print: journaled events and their hook runs (text or JSON),
what `register` did."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reconciler.receiver.journal import JournaledEvent
from reconciler.text import plural

if TYPE_CHECKING:  # commands imports the server and uvicorn: `webhook events` needs neither
    from reconciler.receiver.commands import Registration


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def events_json(events: Sequence[JournaledEvent]) -> str:
    return json.dumps([{
        "id": event.id,
        "type": event.type,
        "created": _iso(event.created),
        "received_at": _iso(event.received_at),
        "source": event.source,
        "invoice_id": event.invoice_id,
        "hooks": [{"name": run.name, "state": run.state, "attempts": run.attempts,
                   "next_attempt_at": _iso(run.next_attempt_at) if run.next_attempt_at is not None else None,
                   "last_error": run.last_error} for run in event.hooks],
    } for event in events], indent=2) + "\n"  # fmt: skip


def events_text(events: Sequence[JournaledEvent]) -> str:
    if not events:
        return "No events in the journal.\n"
    lines = []
    for event in events:
        lines.append(f"{event.id}  {event.type}  received {_iso(event.received_at)}"
                     f"{'  (catch-up)' if event.source == 'catch-up' else ''}")  # fmt: skip
        if not event.hooks:
            lines.append("    (no hooks)")
        for run in event.hooks:
            detail = f"{run.state}, {plural(run.attempts, 'attempt')}"
            if run.next_attempt_at is not None and run.state == "failed":
                detail += f", next at {_iso(run.next_attempt_at)}"
            error = f": {run.last_error}" if run.last_error and run.state in ("failed", "dead") else ""
            lines.append(f"    {run.name}: {detail}{error}")
    return "\n".join(lines) + "\n"


def registration_text(done: Registration, secret_file: str) -> str:
    events = ", ".join(done.events)
    if done.created:
        return (f"created webhook endpoint {done.endpoint_id} for {done.url}: {events}\n"
                f"signing secret written to {secret_file} (mode 0600)\n")  # fmt: skip
    changes = [*(f"+ {name}" for name in done.added), *(f"- {name}" for name in done.removed)]
    if done.enabled:
        changes.append("enabled again (it was disabled)")
    head = (f"updated webhook endpoint {done.endpoint_id} for {done.url} ({', '.join(changes)}): {events}"
            if changes else f"webhook endpoint {done.endpoint_id} for {done.url} already receives exactly: {events}")  # fmt: skip
    # Stripe shows an endpoint's secret only when it is created.
    return f"{head}\nsigning secret unchanged ({secret_file} not written)\n"
