"""The `/_sandbox/` admin surface (not Stripe's): JSON in, JSON out.

POST /_sandbox/reset                     empty all state, faults and statistics
GET  /_sandbox/stats                     request counts
GET  /_sandbox/faults                    current fault settings
POST /_sandbox/faults                    {"latency_ms": 100, "rate_limit_rps": 25, ...,
                                          "fail_routes": [{"method": "POST", "path_prefix":
                                          "/v1/invoices/{id}/finalize", "status": 500, "times": 2}]}
GET  /_sandbox/account_settings          account invoice defaults
POST /_sandbox/account_settings          {"invoice_footer": "...", "invoice_memo": "..."}: new
                                          invoices without their own footer/description get them
POST /_sandbox/customers/{id}/discount   {"coupon": "<coupon id>"}: the customer's own discount, as
                                          the Dashboard attaches one ({"coupon": null} removes it)
POST /_sandbox/invoices/{id}/pay         {"outcome": "succeeded" | "processing" | "failed"}
POST /_sandbox/invoices/{id}/settle      {"outcome": "succeeded" | "failed"}
GET  /_sandbox/clock                     {"now": unix seconds, "offset": seconds moved forward}
POST /_sandbox/clock                     {"advance": seconds}: move the clock forward (expires
                                          idempotency keys after 24 h, events after 30 days)
POST /_sandbox/webhooks/deliver          attempt every due webhook delivery now
GET  /_sandbox/webhooks/deliveries       every delivery with its state
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

from reconciler.sandbox.exceptions import InvalidRequest, StripeApiError, UnrecognizedRequestUrl
from reconciler.sandbox.models import account, coupons, payments, tax_ids

if TYPE_CHECKING:
    from reconciler.sandbox.app import Reply, SandboxApp

_PAYMENT = re.compile(r"^/_sandbox/invoices/([^/]+)/(pay|settle)$")
_DISCOUNT = re.compile(r"^/_sandbox/customers/([^/]+)/discount$")


def handle(app: SandboxApp, method: str, path: str, body: bytes) -> Reply:
    from reconciler.sandbox.app import Reply

    try:
        return Reply(200, _route(app, method, path, body))
    except StripeApiError as exc:
        return Reply(exc.http_status, exc.body())


def _json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"Invalid JSON body: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidRequest("The JSON body must be an object.")
    return data


def _route(app: SandboxApp, method: str, path: str, body: bytes) -> dict[str, Any]:
    if (method, path) == ("POST", "/_sandbox/reset"):
        app.reset()
        return {"reset": True}
    if (method, path) == ("GET", "/_sandbox/stats"):
        return app.stats.snapshot()
    if path == "/_sandbox/faults" and method in ("GET", "POST"):
        if method == "POST":
            app.faults.configure(app.faults.config.updated(_json(body)))
        return dataclasses.asdict(app.faults.config)
    if path == "/_sandbox/account_settings" and method in ("GET", "POST"):
        return account_settings(app, _json(body) if method == "POST" else {})
    if path == "/_sandbox/clock" and method in ("GET", "POST"):
        if method == "POST":
            advance_clock(app, _json(body).get("advance"))
        return {"now": int(app.clock()), "offset": app.clock.offset}
    if (method, path) == ("POST", "/_sandbox/webhooks/deliver"):
        return {"attempted": app.dispatcher.deliver_due()}
    if (method, path) == ("GET", "/_sandbox/webhooks/deliveries"):
        return {"data": app.dispatcher.deliveries()}
    if (method, path) == ("POST", "/_sandbox/tax_ids"):
        data = _json(body)
        return account_tax_id(app, data.get("type"), data.get("value"))
    discount = _DISCOUNT.match(path)
    if discount and method == "POST":
        return customer_discount(app, discount.group(1), _json(body).get("coupon"))
    match = _PAYMENT.match(path)
    if match and method == "POST":
        data = _json(body)
        outcome = data.get("outcome", "succeeded")
        if not isinstance(outcome, str):
            raise InvalidRequest("outcome must be a string", param="outcome")
        return payment(app, match.group(1), match.group(2), outcome)
    raise UnrecognizedRequestUrl(method, path)


def payment(app: SandboxApp, invoice_id: str, action: str, outcome: str) -> dict[str, Any]:
    """Pay or settle through the models, in one transaction; the invoice after."""
    with app.store.transaction() as tx:
        if action == "pay":
            result = payments.pay(app.ctx, tx, invoice_id, outcome)
        else:
            result = payments.settle(app.ctx, tx, invoice_id, outcome)
    app.dispatcher.notify()
    return result


def account_tax_id(app: SandboxApp, tax_type: Any, value: Any) -> dict[str, Any]:
    """Seed one of the account's own tax IDs (the ones invoices print as `account_tax_ids`)."""
    if not isinstance(tax_type, str) or not isinstance(value, str):
        raise InvalidRequest("type and value must be strings", param="type")
    with app.store.transaction() as tx:
        result = tax_ids.create(app.ctx, tx, {"type": tax_type, "value": value})
    app.dispatcher.notify()
    return result


def customer_discount(app: SandboxApp, customer_id: str, coupon: Any) -> dict[str, Any]:
    """Attach (or with None remove) a customer's own discount; the customer after."""
    if coupon is not None and not isinstance(coupon, str):
        raise InvalidRequest("coupon must be a coupon id or null", param="coupon")
    with app.store.transaction() as tx:
        result = coupons.attach_to_customer(app.ctx, tx, customer_id, coupon)
    app.dispatcher.notify()
    return result


def advance_clock(app: SandboxApp, seconds: Any) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 10 * 365 * 86_400:
        raise InvalidRequest("advance must be a number of seconds, 0 or more (under ten years)", param="advance")
    app.clock.advance(float(seconds))
    app.run_timers()  # Stripe's timers act at their time, whether or not a request comes
    app.dispatcher.notify()


def account_settings(app: SandboxApp, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the account's invoice defaults (none: just read them); the settings after."""
    with app.store.transaction() as tx:
        return dict(account.update(tx, changes) if changes else account.settings(tx))
