"""Events: one per state change, listable and retrievable like Stripe's."""

from __future__ import annotations

import contextvars
from typing import Any

from reconciler.sandbox.clock import EVENTS_WINDOW
from reconciler.sandbox.exceptions import InvalidRequest, ResourceMissing
from reconciler.sandbox.models.base import Context, Obj, Params, list_page, public, require
from reconciler.sandbox.store import Glob, Tx
from reconciler.stripe_facts import API_VERSION

# "An array of up to 20 strings containing specific event names."
MAX_TYPES = 20

# The request being served (id and idempotency key), recorded on its events.
current_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "current_request", default=None
)


def record(
    ctx: Context, tx: Tx, event_type: str, obj: Obj, *, previous: dict[str, Any] | None = None
) -> Obj:
    data: dict[str, Any] = {"object": public(obj)}
    if previous:
        data["previous_attributes"] = previous
    request = current_request.get() or {}
    event: Obj = {
        "id": ctx.new_id(tx, "evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": ctx.now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": request.get("id"), "idempotency_key": request.get("idempotency_key")},
        "type": event_type,
    }
    pending = 0
    for listener in ctx.event_listeners:
        pending += listener(tx, event)  # deliveries queued, one per endpoint
    event["pending_webhooks"] = pending
    tx.insert("event", event, type=event_type)
    return event


def changed(before: Obj, after: Obj) -> dict[str, Any]:
    """previous_attributes: the old values of the top-level fields that changed."""
    return {k: before.get(k) for k in after if not k.startswith("_") and before.get(k) != after[k]}


def retrieve(ctx: Context, tx: Tx, event_id: str) -> Obj:
    event = require(tx, "event", event_id)
    if event["created"] < _window_start(ctx):
        raise ResourceMissing("event", event_id)
    return event


def _window_start(ctx: Context) -> int:
    """Stripe keeps events for 30 days: older ones are neither listed nor retrievable."""
    return ctx.now() - EVENTS_WINDOW


def list_events(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {}
    if "type" in params and "types" in params:
        # "You may pass either `type` or `types`, but not both."
        raise InvalidRequest("You may only specify one of these parameters: type, types.", param="type")
    if "type" in params:
        # "A string containing a specific event name, or group of events using * as a wildcard."
        kind = params["type"]
        filters["type"] = Glob(kind) if "*" in kind else kind
    elif "types" in params:
        if len(params["types"]) > MAX_TYPES:
            raise InvalidRequest(
                f"Invalid types: must contain at most {MAX_TYPES} event types.", param="types"
            )
        filters["type"] = list(params["types"])
    created = params.get("created")
    bounds = {"gte": created, "lte": created} if isinstance(created, int) else dict(created or {})
    bounds["gte"] = max(int(bounds.get("gte", 0)), _window_start(ctx))
    return list_page(tx, "event", "/v1/events", {**params, "created": bounds}, filters=filters)
