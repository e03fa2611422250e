"""Dry run: every request apply would send, in order, without sending any."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.apply.idempotency import idempotency_key, key_prefix
from reconciler.apply.resolve import Resolver
from reconciler.apply.steps import steps_for
from reconciler.gateway import write
from reconciler.live.records import Live
from reconciler.plan.actions import Ref, SendInvoice, _Adopt

if TYPE_CHECKING:
    from reconciler.plan.plan import Plan


@dataclass(frozen=True)
class PlannedRequest:
    action_id: str
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str  # "" for requests that carry none (GET, DELETE)
    note: str = ""


def planned_requests(plan: Plan, live: Live) -> list[PlannedRequest]:
    """The requests of every action in plan order.

    Ids of objects the plan creates are unknown until apply and shown as
    `<id of customer:jenny-rosen>`; the idempotency key of such a request
    depends on that id, so its digest is shown as `<digest at apply time>`.
    """
    resolver = Resolver(live)
    out: list[PlannedRequest] = []
    for action in plan.actions:
        steps = steps_for(action)
        if isinstance(action, SendInvoice):
            target = resolver.resolve(steps[0].target, dry_run=True)
            out.append(
                PlannedRequest(action.id, "GET", f"/v1/invoices/{target}", {}, "", note="send guard: check marker")
            )
            out.append(_events_check(action.id))
        for step in steps:
            target = resolver.resolve(step.target, dry_run=True) if step.target is not None else None
            params = resolver.resolve(step.params, dry_run=True)
            method, path, body = write.request_for(step.op, target, params)
            if method != "POST":
                key = ""
            elif _has_placeholder(body) or _has_placeholder(target):
                key = f"{key_prefix(action, step.name)}-<digest at apply time>"
            else:
                key = idempotency_key(action, step.name, body, target, fingerprint=plan.fingerprint)
            out.append(PlannedRequest(action.id, method, path, body, key))
            if isinstance(action, SendInvoice) and step.name == "mark-requested":
                out.append(_events_check(action.id, again=True))
        if isinstance(action, _Adopt):
            resolver.record(Ref(action.kind, action.key), action.stripe_id)
    return out


def _events_check(action_id: str, *, again: bool = False) -> PlannedRequest:
    note = "send guard: check Stripe's invoice.sent events" + (" again, right before the send" if again else "")
    return PlannedRequest(action_id, "GET", "/v1/events", {"type": "invoice.sent"}, "", note=note)


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("<id of ")
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return False


def render_requests(requests: list[PlannedRequest]) -> str:
    """One line per request: METHOD PATH PARAMS [Idempotency-Key: …]."""
    lines = []
    for req in requests:
        line = f"{req.method} {req.path}"
        if req.params:
            line += " " + json.dumps(req.params, sort_keys=True, ensure_ascii=False)
        if req.idempotency_key:
            line += f"  Idempotency-Key: {req.idempotency_key}"
        if req.note:
            line += f"  # {req.note}"
        lines.append(line)
    writes = sum(1 for r in requests if r.method != "GET")
    lines.append(f"Dry run: {writes} writes planned, none sent.")
    return "\n".join(lines)
