"""A verified request body as a typed event: what the journal and hooks need of it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # Stripe's event payloads are far smaller
# Stripe's ids are a prefix, an underscore and letters and digits; nothing else is let
# through to a log line, a request path or a hook's environment.
_EVENT_ID = re.compile(r"^evt_[A-Za-z0-9_]{1,251}\Z")
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.]{0,99}\Z")
_OBJECT_ID = re.compile(r"^[A-Za-z0-9_]{1,255}\Z")


class MalformedEvent(Exception):
    """The body is signed but is not a Stripe event; `reason` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReceivedEvent:
    id: str
    type: str
    created: int
    object_id: str | None
    # Known at once for invoice.* and credit_note.* events; for payment_intent.* the runner asks Stripe.
    invoice_id: str | None
    payload: str  # the JSON text as Stripe sent it (the hook's stdin)

    @property
    def is_invoice_event(self) -> bool:
        return self.type.startswith("invoice.")


def parse_event(payload: bytes) -> ReceivedEvent:
    try:
        text = payload.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise MalformedEvent("body is not UTF-8 JSON") from None
    except RecursionError:  # signed, yet nested past what any Stripe object is (50,000 levels)
        raise MalformedEvent("body nests too deeply to be a Stripe event") from None
    return event_from(data, text)


def event_from(data: Any, text: str) -> ReceivedEvent:
    """The event in decoded JSON `data` (whose text is `text`), or MalformedEvent."""
    if not isinstance(data, Mapping) or data.get("object") != "event":
        raise MalformedEvent("body is not a Stripe event object")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created")
    if not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
        raise MalformedEvent("event has no valid id")
    if not isinstance(event_type, str) or not _EVENT_TYPE.match(event_type):
        raise MalformedEvent("event has no valid type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise MalformedEvent("event has no valid created time")
    inner = (data.get("data") or {}).get("object") if isinstance(data.get("data"), Mapping) else None
    if not isinstance(inner, Mapping):
        raise MalformedEvent("event has no data.object")
    object_id = inner.get("id")
    if object_id is not None and (not isinstance(object_id, str) or not _OBJECT_ID.match(object_id)):
        # It becomes part of a request path (the invoice read) and of the hook's environment.
        raise MalformedEvent("event's data.object has no valid id")
    invoice_id = object_id if event_type.startswith("invoice.") and inner.get("object") == "invoice" else None
    if event_type.startswith("credit_note.") and inner.get("object") == "credit_note":
        # The credited invoice: its hooks' RECONCILER_INVOICE_* are that invoice's.
        credited = inner.get("invoice")
        credited = credited.get("id") if isinstance(credited, Mapping) else credited
        invoice_id = credited if isinstance(credited, str) and _OBJECT_ID.match(credited) else None
    return ReceivedEvent(event_id, event_type, created, object_id, invoice_id, text)
