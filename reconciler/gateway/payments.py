"""Reads and writes of the payment-events receiver and `reconciler status`.

Invoices (one by id, or every managed one through list calls), the invoice
a PaymentIntent pays (PaymentIntents of this API version carry no `invoice`:
Stripe links them through invoice payments), events for catching up, and
webhook endpoints (created, listed, updated).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from reconciler.gateway import mapping
from reconciler.gateway.client import StripeGateway, list_data
from reconciler.gateway.evidence import payment_attempt
from reconciler.live.payments import CreatedEndpoint, InvoiceSnapshot, WebhookEndpoint
from reconciler.live.records import PaymentAttempt


def _id(value: Any) -> str | None:
    """An id, whether the field came expanded (an object) or not (a string)."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def invoice_snapshot(obj: Mapping[str, Any]) -> InvoiceSnapshot:
    due = obj.get("due_date")
    return InvoiceSnapshot(
        id=str(obj["id"]),
        key=mapping.owner_key(obj),
        number=obj.get("number"),
        customer_id=_id(obj.get("customer")) or "",
        status=str(obj.get("status") or ""),
        currency=str(obj.get("currency") or "").lower(),
        total=int(obj.get("total") or 0),
        amount_paid=int(obj.get("amount_paid") or 0),
        amount_remaining=int(obj.get("amount_remaining") or 0),
        due_date=int(due) if due is not None else None,
        created=int(obj.get("created") or 0),
        hosted_invoice_url=obj.get("hosted_invoice_url") or None,
        attempt_count=int(obj.get("attempt_count") or 0),
        latest_revision=_id(obj.get("latest_revision")),
        credited=int(obj.get("pre_payment_credit_notes_amount") or 0)
        + int(obj.get("post_payment_credit_notes_amount") or 0),
    )


def retrieve_invoice(gateway: StripeGateway, invoice_id: str) -> InvoiceSnapshot:
    """The invoice's current state (a GET, retried on transient errors)."""
    return invoice_snapshot(gateway.request("GET", f"/v1/invoices/{quote(invoice_id, safe='')}"))


def managed_invoices(gateway: StripeGateway) -> list[InvoiceSnapshot]:
    """Every invoice carrying the ownership tag, newest first, 100 per request."""
    return [invoice_snapshot(obj) for obj in gateway.paginate("/v1/invoices") if mapping.owner_key(obj)]


def open_payment_attempts(gateway: StripeGateway) -> dict[str, PaymentAttempt]:
    """The last attempt of each invoice with an open payment (a declined charge, one waiting for 3-D Secure),
    by invoice id: one list, ceil(P/100) requests for the P open payments, intents expanded."""
    found: dict[str, PaymentAttempt] = {}
    params = {"status": "open", "expand": ["data.payment.payment_intent"]}
    for payment in gateway.paginate("/v1/invoice_payments", params):
        intent = (payment.get("payment") or {}).get("payment_intent")
        invoice_id = _id(payment.get("invoice"))
        attempt = payment_attempt(intent) if isinstance(intent, Mapping) else None
        if invoice_id and attempt is not None:
            found[invoice_id] = attempt
    return found


def invoice_of_payment_intent(gateway: StripeGateway, payment_intent_id: str) -> str | None:
    """The id of the invoice a PaymentIntent pays, None when it pays none."""
    page = gateway.request(
        "GET",
        "/v1/invoice_payments",
        {"payment": {"type": "payment_intent", "payment_intent": payment_intent_id}, "limit": 1},
    )
    for payment in list_data(page, host=gateway.host, request="GET /v1/invoice_payments"):
        found = _id(payment.get("invoice"))
        if found:
            return found
    return None


def events_since(gateway: StripeGateway, *, created_gte: int, types: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Events of the given types created at or after `created_gte`, newest first."""
    params: dict[str, Any] = {"created": {"gte": created_gte}}
    if types:
        params["types"] = list(types)
    return gateway.paginate("/v1/events", params)


def create_webhook_endpoint(
    gateway: StripeGateway, *, url: str, enabled_events: Sequence[str], description: str
) -> CreatedEndpoint:
    """Create the endpoint (one attempt: a blind retry could create two)."""
    created = gateway.request(
        "POST",
        "/v1/webhook_endpoints",
        {"url": url, "enabled_events": list(enabled_events), "description": description},
    )
    return CreatedEndpoint(
        id=str(created["id"]),
        url=str(created.get("url") or url),
        enabled_events=tuple(created.get("enabled_events") or enabled_events),
        secret=str(created.get("secret") or ""),
    )


def _endpoint(obj: Mapping[str, Any]) -> WebhookEndpoint:
    return WebhookEndpoint(id=str(obj["id"]), url=str(obj.get("url") or ""),
                           enabled_events=tuple(obj.get("enabled_events") or ()), status=str(obj.get("status") or ""))  # fmt: skip


def webhook_endpoints(gateway: StripeGateway) -> list[WebhookEndpoint]:
    """Every webhook endpoint of the account (https://docs.stripe.com/api/webhook_endpoints/list)."""
    return [_endpoint(obj) for obj in gateway.paginate("/v1/webhook_endpoints")]


def update_webhook_endpoint(gateway: StripeGateway, endpoint_id: str, *, enabled_events: Sequence[str],
                            enable: bool) -> WebhookEndpoint:  # fmt: skip
    """Set the endpoint's events (and enable it); the same request twice has the same effect."""
    params: dict[str, Any] = {"enabled_events": list(enabled_events)}
    if enable:
        params["disabled"] = False
    return _endpoint(gateway.request("POST", f"/v1/webhook_endpoints/{quote(endpoint_id, safe='')}", params))


class GatewayInvoices:
    """The receiver's view of Stripe: an invoice by id, the invoice of a PaymentIntent."""

    def __init__(self, gateway: StripeGateway) -> None:
        self.gateway = gateway

    def invoice(self, invoice_id: str) -> InvoiceSnapshot:
        return retrieve_invoice(self.gateway, invoice_id)

    def invoice_of_payment_intent(self, payment_intent_id: str) -> str | None:
        return invoice_of_payment_intent(self.gateway, payment_intent_id)
