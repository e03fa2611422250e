"""Webhook endpoints and the delivery queue they feed (delivery: reconciler/sandbox/delivery.py)."""

from __future__ import annotations

import hashlib

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models.base import (
    Context,
    Obj,
    Params,
    apply_metadata,
    list_page,
    new_metadata,
    public,
    require,
)
from reconciler.sandbox.store import Tx


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    endpoint_id = ctx.new_id(tx, "we")
    secret = "whsec_" + hashlib.sha256(f"{ctx.seed}:secret:{endpoint_id}".encode()).hexdigest()[:32]
    endpoint: Obj = {
        "id": endpoint_id,
        "object": "webhook_endpoint",
        "api_version": params.get("api_version"),
        "application": None,
        "created": ctx.now(),
        "description": params.get("description"),
        "enabled_events": list(params["enabled_events"]),
        "livemode": False,
        "metadata": new_metadata(params.get("metadata")),
        "status": "enabled",
        "url": params["url"],
        "_secret": secret,
    }
    tx.insert("webhook_endpoint", endpoint, status="enabled")
    # The secret is returned once, at creation, as Stripe does.
    return dict(public(endpoint), secret=secret)


def retrieve(ctx: Context, tx: Tx, endpoint_id: str) -> Obj:
    return public(require(tx, "webhook_endpoint", endpoint_id))


def update(ctx: Context, tx: Tx, endpoint_id: str, params: Params) -> Obj:
    endpoint = require(tx, "webhook_endpoint", endpoint_id)
    for name in ("description", "url", "enabled_events"):
        if name in params:
            endpoint[name] = params[name]
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    endpoint["metadata"] = apply_metadata(endpoint["metadata"], params.get("metadata"))
    tx.update(endpoint, status=endpoint["status"])
    return public(endpoint)


def delete(ctx: Context, tx: Tx, endpoint_id: str) -> Obj:
    require(tx, "webhook_endpoint", endpoint_id)
    tx.delete(endpoint_id)
    tx.conn.execute("DELETE FROM deliveries WHERE endpoint_id = ?", (endpoint_id,))
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def list_endpoints(ctx: Context, tx: Tx, params: Params) -> Obj:
    return list_page(tx, "webhook_endpoint", "/v1/webhook_endpoints", params, render=public)


def secret_of(tx: Tx, endpoint_id: str) -> tuple[str, str] | None:
    """(url, signing secret) of an endpoint, or None once it is deleted."""
    found = tx.get("webhook_endpoint", endpoint_id)
    if found is None:
        return None
    return found[0]["url"], found[0]["_secret"]


def enqueue(ctx: Context, tx: Tx, event: Obj) -> int:
    """Queue the event for every enabled endpoint that wants it; how many."""
    count = 0
    for endpoint in tx.all("webhook_endpoint", status="enabled"):
        wanted = endpoint["enabled_events"]
        if "*" in wanted or event["type"] in wanted:
            tx.conn.execute(
                "INSERT INTO deliveries(event_id, endpoint_id, next_attempt_at) VALUES (?, ?, ?)",
                (event["id"], endpoint["id"], ctx.clock()),
            )
            count += 1
    return count


def validate_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise InvalidRequest("Invalid URL: must be an http or https URL.", param="url")
