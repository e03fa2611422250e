"""Invoice payments: one per payment intent a customer's payment of an invoice made.

Like Stripe's, an invoice payment is `open` while its payment intent is in
flight (processing, or back to requires_payment_method after a failure) and
`paid` once it succeeded. The payment intents are kept too, so
`expand[]=data.payment.payment_intent` shows their status.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models.base import Context, Obj, Params, list_page, require
from reconciler.sandbox.store import Tx


def save_intent(tx: Tx, intent: Obj) -> None:
    """Insert or update the payment intent (its status changes as it settles)."""
    if tx.get("payment_intent", intent["id"]) is None:
        tx.insert("payment_intent", intent, customer=intent.get("customer"), status=intent["status"])
    else:
        tx.update(intent, customer=intent.get("customer"), status=intent["status"])


def record(ctx: Context, tx: Tx, invoice: Obj, intent: Obj) -> Obj:
    """The invoice payment of `intent`, created on the first attempt and kept in step after."""
    save_intent(tx, intent)
    status = "paid" if intent["status"] == "succeeded" else "open"
    payment_id = invoice.get("_invoice_payment")
    found = tx.get("invoice_payment", payment_id) if payment_id else None
    if found is None:
        payment: Obj = {
            "id": ctx.new_id(tx, "inpay"),
            "object": "invoice_payment",
            "amount_paid": None,
            "amount_requested": invoice["amount_due"],
            "created": ctx.now(),
            "currency": invoice["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
            "status": status,
            "status_transitions": {"canceled_at": None, "paid_at": None},
        }
        invoice["_invoice_payment"] = payment["id"]
        tx.insert("invoice_payment", payment, invoice=invoice["id"], status=status)
    else:
        payment = dict(found[0], status=status)
        tx.update(payment, invoice=invoice["id"], status=status)
    if status == "paid":
        payment["amount_paid"] = invoice["amount_due"]
        payment["status_transitions"] = {"canceled_at": None, "paid_at": ctx.now()}
        tx.update(payment, invoice=invoice["id"], status=status)
    return payment


def retrieve(ctx: Context, tx: Tx, payment_id: str) -> Obj:
    return require(tx, "invoice_payment", payment_id)


def list_payments(ctx: Context, tx: Tx, params: Params) -> Obj:
    if "payment" in params:
        return _by_payment_intent(tx, params["payment"])
    filters: dict[str, Any] = {}
    if "invoice" in params:
        filters["invoice"] = params["invoice"]
    if "status" in params:
        filters["status"] = params["status"]
    return list_page(tx, "invoice_payment", "/v1/invoice_payments", params, filters=filters)


def _by_payment_intent(tx: Tx, payment: Params) -> Obj:
    """The invoice payments of one payment intent: how a payment_intent.* event finds its invoice
    (PaymentIntents of this API version carry no `invoice`)."""
    if payment.get("type") != "payment_intent" or not payment.get("payment_intent"):
        raise InvalidRequest(
            "The sandbox lists invoice payments by payment[type]=payment_intent and payment[payment_intent] only.",
            code="parameter_unsupported_by_sandbox", param="payment",
        )
    wanted = payment["payment_intent"]
    data = [p for p in tx.all("invoice_payment") if p["payment"].get("payment_intent") == wanted]
    return {"object": "list", "data": data[::-1], "has_more": False, "url": "/v1/invoice_payments"}
