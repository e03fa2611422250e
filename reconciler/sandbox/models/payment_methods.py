"""Payment methods: Stripe's test cards, attached to customers as a checkout would.

Stripe's test tokens (`pm_card_visa`, …) name a card, not an object: each
attach makes a new `pm_…` for the customer (https://docs.stripe.com/testing,
https://docs.stripe.com/api/payment_methods/attach). The card's behaviour
when charged (succeeds, declines, needs authentication) rides on the object
as private bookkeeping.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest, ResourceMissing
from reconciler.sandbox.models import events
from reconciler.sandbox.models.base import Context, Obj, Params, list_page, public, require
from reconciler.sandbox.store import Tx


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    # "succeeded", a decline code (the charge fails), or "requires_action" (3-D Secure).
    outcome: str
    funding: str = "credit"


# https://docs.stripe.com/testing: the PaymentMethod tokens of the cards the sandbox knows.
TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242", "succeeded"),
    "pm_card_mastercard": TestCard("mastercard", "4444", "succeeded"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", "insufficient_funds"),
    "pm_card_authenticationRequired": TestCard("visa", "3184", "requires_action"),
}
_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def attach(ctx: Context, tx: Tx, token: str, params: Params) -> Obj:
    """A new payment method for the test card `token`, attached to `customer`."""
    if "customer" not in params:
        raise InvalidRequest("Missing required param: customer.", code="parameter_missing", param="customer")
    customer = require(tx, "customer", params["customer"], param="customer")
    card = TEST_CARDS.get(token)
    if card is None:
        found = tx.get("payment_method", token)
        if found is None:
            raise ResourceMissing("PaymentMethod", token, param="payment_method")
        if found[0]["customer"] != customer["id"]:
            raise InvalidRequest(
                "The payment method you provided has already been attached to a customer.",
                param="payment_method",
            )
        return public(found[0])
    method = _new(ctx, tx, card, token, customer["id"])
    tx.insert("payment_method", method, customer=customer["id"])
    rendered = public(method)
    events.record(ctx, tx, "payment_method.attached", rendered)
    return rendered


def _new(ctx: Context, tx: Tx, card: TestCard, token: str, customer_id: str) -> Obj:
    now = ctx.now()
    return {
        "id": ctx.new_id(tx, "pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {"address": dict(_ADDRESS), "email": None, "name": None, "phone": None,
                            "tax_id": None},
        "card": {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            # A year from the sandbox's clock: a test card never expires under a test.
            "exp_year": 1970 + now // 31_556_952 + 1,
            "fingerprint": hashlib.sha256(token.encode()).hexdigest()[:16],
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": now,
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "type": "card",
        "_outcome": card.outcome,
    }


def retrieve(ctx: Context, tx: Tx, method_id: str) -> Obj:
    return public(require(tx, "payment_method", method_id, label="PaymentMethod"))


def list_for_customer(ctx: Context, tx: Tx, customer_id: str, params: Params, url: str) -> Obj:
    """The customer's payment methods, newest first (only cards exist here)."""
    require(tx, "customer", customer_id, param="customer")
    if params.get("type", "card") != "card":
        return {"object": "list", "data": [], "has_more": False, "url": url}
    return list_page(tx, "payment_method", url, params, filters={"customer": customer_id}, render=public)


def list_methods(ctx: Context, tx: Tx, params: Params) -> Obj:
    if "customer" not in params:
        raise InvalidRequest(
            "The sandbox lists payment methods of one customer only: pass customer.",
            code="parameter_unsupported_by_sandbox", param="customer",
        )
    return list_for_customer(ctx, tx, params["customer"], params, "/v1/payment_methods")


def owned(tx: Tx, customer_id: str, value: Any, *, param: str) -> str | None:
    """The payment method id `value` names, checked to be attached to the customer ("" or None: none)."""
    if value in (None, ""):
        return None
    found = tx.get("payment_method", str(value))
    if found is None:
        raise ResourceMissing("PaymentMethod", str(value), param=param)
    if found[0]["customer"] != customer_id:
        raise InvalidRequest(
            f"The customer does not have a payment method with the ID {value}. The payment method must be "
            "attached to the customer.", param=param,
        )
    return str(value)


def card_of(tx: Tx, method_id: str) -> Obj:
    """The stored payment method (with its test outcome)."""
    return require(tx, "payment_method", method_id, label="PaymentMethod")
