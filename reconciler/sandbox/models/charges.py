"""Charging an invoice's payment method: the PaymentIntent, its charges, refunds.

An invoice has one PaymentIntent; each attempt to pay it confirms that intent
again with a payment method and makes one charge (succeeded or failed). A card
needing 3-D Secure makes no charge: the intent waits in `requires_action` for
the customer, on the invoice's hosted page. Shapes follow
https://docs.stripe.com/api/payment_intents/object,
https://docs.stripe.com/api/charges/object and
https://docs.stripe.com/api/refunds/object; decline codes
https://docs.stripe.com/declines/codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import events
from reconciler.sandbox.models.base import Context, Obj, Params, public, require
from reconciler.sandbox.store import Tx


@dataclass(frozen=True)
class Decline:
    code: str  # the error's code
    decline_code: str | None
    message: str
    seller_message: str


DECLINES = {
    "generic_decline": Decline("card_declined", "generic_decline", "Your card was declined.",
                               "The bank did not return any further details with this decline."),
    "insufficient_funds": Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.",
                                  "The bank returned the decline code `insufficient_funds`."),
}
REQUIRES_ACTION_MESSAGE = (
    "This payment requires additional user action before it can be completed successfully. "
    "Payment can be completed using the PaymentIntent associated with the invoice."
)


def intent(ctx: Context, tx: Tx, invoice: Obj, status: str, **fields: Any) -> Obj:
    """The invoice's PaymentIntent in `status`, saved; made on the invoice's first payment."""
    existing = tx.get("payment_intent", invoice["_payment_intent"]) if invoice.get("_payment_intent") else None
    if existing is None:
        invoice["_payment_intent"] = ctx.new_id(tx, "pi")
        body: Obj = {
            "id": invoice["_payment_intent"], "object": "payment_intent",
            "amount": invoice["amount_due"], "amount_capturable": 0, "amount_received": 0,
            "application": None, "canceled_at": None, "cancellation_reason": None,
            "capture_method": "automatic", "client_secret": f"{invoice['_payment_intent']}_secret_sandbox",
            "confirmation_method": "automatic", "created": ctx.now(), "currency": invoice["currency"],
            "customer": invoice["customer"], "description": f"Payment for Invoice {invoice.get('number')}",
            "last_payment_error": None, "latest_charge": None, "livemode": False, "metadata": {},
            "next_action": None, "payment_method": None, "payment_method_types": ["card"],
            "receipt_email": None, "setup_future_usage": None, "status": status,
        }
    else:
        body = dict(existing[0])
    body.update(status=status, **fields)
    if status == "succeeded":
        body["amount_received"] = body["amount"]
    if existing is None:
        tx.insert("payment_intent", body, customer=body["customer"], status=status)
    else:
        tx.update(body, customer=body["customer"], status=status)
    return body


def _charge(ctx: Context, tx: Tx, invoice: Obj, method: Obj, intent_id: str, decline: Decline | None) -> Obj:
    card = method["card"]
    succeeded = decline is None
    charge: Obj = {
        "id": ctx.new_id(tx, "ch"), "object": "charge",
        "amount": invoice["amount_due"], "amount_captured": invoice["amount_due"] if succeeded else 0,
        "amount_refunded": 0, "application": None, "application_fee": None, "application_fee_amount": None,
        "balance_transaction": None, "billing_details": method["billing_details"],
        "calculated_statement_descriptor": "RECONCILER SANDBOX", "captured": succeeded,
        "created": ctx.now(), "currency": invoice["currency"], "customer": invoice["customer"],
        "description": f"Payment for Invoice {invoice.get('number')}", "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "fraud_details": {}, "livemode": False, "metadata": {},
        "outcome": _outcome(decline), "paid": succeeded, "payment_intent": intent_id,
        "payment_method": method["id"],
        "payment_method_details": {"card": {
            "brand": card["brand"], "country": card["country"], "exp_month": card["exp_month"],
            "exp_year": card["exp_year"], "fingerprint": card["fingerprint"], "funding": card["funding"],
            "last4": card["last4"], "network": card["brand"],
        }, "type": "card"},
        "receipt_email": None, "receipt_number": None, "receipt_url": None, "refunded": False,
        "review": None, "shipping": None, "source": None, "statement_descriptor": None,
        "status": "succeeded" if succeeded else "failed",
    }
    tx.insert("charge", charge, customer=invoice["customer"], status=charge["status"])
    return charge


def _outcome(decline: Decline | None) -> Obj:
    if decline is None:
        return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized"}
    return {"network_status": "declined_by_network", "reason": decline.decline_code, "risk_level": "normal",
            "seller_message": decline.seller_message, "type": "issuer_declined"}


@dataclass(frozen=True)
class Attempt:
    """What one attempt to charge an invoice did."""

    intent: Obj
    charge: Obj | None
    decline: Decline | None
    requires_action: bool = False


def attempt(ctx: Context, tx: Tx, invoice: Obj, method: Obj) -> Attempt:
    """Charge `method` for the invoice's amount due, recording the intent, charge and their events."""
    outcome = method["_outcome"]
    if outcome == "requires_action":
        pending = intent(ctx, tx, invoice, "requires_action", payment_method=method["id"], next_action={
            "type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}})
        events.record(ctx, tx, "payment_intent.requires_action", pending)
        return Attempt(pending, None, None, requires_action=True)
    decline = DECLINES.get(outcome)
    intent_id = intent(ctx, tx, invoice, "processing")["id"]
    charge = _charge(ctx, tx, invoice, method, intent_id, decline)
    if decline is None:
        done = intent(ctx, tx, invoice, "succeeded", payment_method=method["id"], latest_charge=charge["id"],
                      last_payment_error=None, next_action=None)
        events.record(ctx, tx, "charge.succeeded", charge)
        events.record(ctx, tx, "payment_intent.succeeded", done)
        return Attempt(done, charge, None)
    error = {"charge": charge["id"], "code": decline.code, "decline_code": decline.decline_code,
             "doc_url": f"https://stripe.com/docs/error-codes/{decline.code.replace('_', '-')}",
             "message": decline.message, "payment_method": public(method), "type": "card_error"}
    failed = intent(ctx, tx, invoice, "requires_payment_method", payment_method=None,
                    latest_charge=charge["id"], last_payment_error=error, next_action=None)
    events.record(ctx, tx, "charge.failed", charge)
    events.record(ctx, tx, "payment_intent.payment_failed", failed)
    return Attempt(failed, charge, decline)


def retrieve_charge(ctx: Context, tx: Tx, charge_id: str) -> Obj:
    return require(tx, "charge", charge_id)


def retrieve_intent(ctx: Context, tx: Tx, intent_id: str) -> Obj:
    return require(tx, "payment_intent", intent_id)


def refund(ctx: Context, tx: Tx, params: Params) -> Obj:
    """Refund (part of) a succeeded charge, named by `charge` or by its `payment_intent`."""
    charge = _refunded_charge(tx, params)
    left = charge["amount_captured"] - charge["amount_refunded"]
    if left <= 0:
        raise InvalidRequest(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded",
                             param="charge")
    amount = params.get("amount", left)
    if amount <= 0 or amount > left:
        raise InvalidRequest(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
            code="amount_too_large" if amount > 0 else "parameter_invalid_integer", param="amount",
        )
    created: Obj = {
        "id": ctx.new_id(tx, "re"), "object": "refund", "amount": amount, "balance_transaction": None,
        "charge": charge["id"], "created": ctx.now(), "currency": charge["currency"],
        "destination_details": {"card": {"reference": None, "reference_status": "pending",
                                         "reference_type": "acquirer_reference_number", "type": "refund"},
                                "type": "card"},
        "metadata": dict(params.get("metadata") or {}), "payment_intent": charge["payment_intent"],
        "reason": params.get("reason"), "receipt_number": None, "source_transfer_reversal": None,
        "status": "succeeded", "transfer_reversal": None,
    }
    tx.insert("refund", created, customer=charge["customer"], status="succeeded")
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
    tx.update(charge, customer=charge["customer"], status=charge["status"])
    events.record(ctx, tx, "refund.created", created)
    events.record(ctx, tx, "charge.refunded", charge)
    return created


def _refunded_charge(tx: Tx, params: Params) -> Obj:
    if ("charge" in params) == ("payment_intent" in params):
        raise InvalidRequest("You must pass either charge or payment_intent (one of them).", param="charge")
    if "charge" in params:
        charge = require(tx, "charge", params["charge"], param="charge")
    else:
        paid = require(tx, "payment_intent", params["payment_intent"], param="payment_intent")
        if paid["status"] != "succeeded" or not paid.get("latest_charge"):
            raise InvalidRequest(
                f"This PaymentIntent ({paid['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge = require(tx, "charge", paid["latest_charge"], param="payment_intent")
    if charge["status"] != "succeeded":
        raise InvalidRequest(f"Charge {charge['id']} has not succeeded: it cannot be refunded.", param="charge")
    return charge


def retrieve_refund(ctx: Context, tx: Tx, refund_id: str) -> Obj:
    return require(tx, "refund", refund_id)
