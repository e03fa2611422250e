"""Events as Stripe sends them, for receiver tests."""

from __future__ import annotations

import json
from typing import Any

from reconciler.receiver.event import ReceivedEvent, parse_event


def event_json(event_id: str, event_type: str = "invoice.paid", *, created: int = 1_800_000_000,
               object_id: str = "in_1", status: str = "paid") -> bytes:  # fmt: skip
    kind = event_type.split(".", 1)[0]
    obj: dict[str, Any] = {"id": object_id, "object": kind, "status": status}
    body = {"id": event_id, "object": "event", "api_version": "2026-10-28.endive", "created": created,
            "type": event_type, "livemode": False, "pending_webhooks": 1, "data": {"object": obj}}  # fmt: skip
    return json.dumps(body).encode()


def received(event_id: str, event_type: str = "invoice.paid", **fields: Any) -> ReceivedEvent:
    return parse_event(event_json(event_id, event_type, **fields))
