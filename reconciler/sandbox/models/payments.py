"""Simulated customer payments (admin surface): succeed, process, fail."""

from __future__ import annotations

from typing import Literal

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import charges, events, invoice_payments, invoices, lifecycle
from reconciler.sandbox.models.base import Context, Obj, require
from reconciler.sandbox.store import Tx

Outcome = Literal["succeeded", "processing", "failed"]
OUTCOMES = ("succeeded", "processing", "failed")


def pay(ctx: Context, tx: Tx, invoice_id: str, outcome: str) -> Obj:
    """The customer pays an open invoice, with the given outcome."""
    if outcome not in OUTCOMES:
        raise InvalidRequest(f"outcome must be one of {', '.join(OUTCOMES)}", param="outcome")
    invoice = require(tx, "invoice", invoice_id)
    if invoice["status"] not in ("open", "uncollectible"):
        raise InvalidRequest(
            f"Only open or uncollectible invoices can be paid; {invoice_id} is {invoice['status']}.",
            param="invoice",
        )
    if invoice.get("_payment") == "processing":
        raise InvalidRequest(f"A payment of {invoice_id} is already processing.", param="invoice")
    return _apply(ctx, tx, invoice, outcome)


def settle(ctx: Context, tx: Tx, invoice_id: str, outcome: str) -> Obj:
    """A processing payment ends: `succeeded` or `failed`."""
    if outcome not in ("succeeded", "failed"):
        raise InvalidRequest("outcome must be succeeded or failed", param="outcome")
    invoice = require(tx, "invoice", invoice_id)
    if invoice.get("_payment") != "processing":
        raise InvalidRequest(f"No payment of {invoice_id} is processing.", param="invoice")
    return _apply(ctx, tx, invoice, outcome)


def _apply(ctx: Context, tx: Tx, invoice: Obj, outcome: str) -> Obj:
    status = {"processing": "processing", "succeeded": "succeeded"}.get(outcome, "requires_payment_method")
    invoice_payments.record(ctx, tx, invoice, charges.intent(ctx, tx, invoice, status))
    if outcome == "processing":
        intent = charges.intent(ctx, tx, invoice, "processing")
        invoice["_payment"] = "processing"
        invoice["attempted"] = True
        invoices._save(tx, invoice)
        events.record(ctx, tx, "payment_intent.processing", intent)
    elif outcome == "succeeded":
        intent = charges.intent(ctx, tx, invoice, "succeeded")
        invoice["_payment"] = None
        events.record(ctx, tx, "payment_intent.succeeded", intent)
        lifecycle.customer_paid(ctx, tx, invoice)
    else:
        intent = charges.intent(ctx, tx, invoice, "requires_payment_method")
        invoice["_payment"] = None
        events.record(ctx, tx, "payment_intent.payment_failed", intent)
        lifecycle.payment_failed(ctx, tx, invoice)
    return invoices.render(tx, invoice)
