"""Coupons and the discounts that redeem them on invoices, invoice items and customers."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest, ResourceAlreadyExists
from reconciler.sandbox.models import currencies, events
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
from reconciler.sandbox.models.money import Discount
from reconciler.sandbox.store import Tx

MONTH = 30 * 86_400


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    _check_terms(ctx, params)
    coupon_id = params.get("id") or _generated_id(ctx, tx)
    if tx.get("coupon", coupon_id) is not None:
        raise ResourceAlreadyExists("Coupon already exists.")
    amount_off = params.get("amount_off")
    coupon: Obj = {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": amount_off,
        "applies_to": None,
        "created": ctx.now(),
        "currency": currencies.checked(params["currency"]) if amount_off is not None else None,
        "currency_options": None,
        "duration": params.get("duration", "once"),
        "duration_in_months": params.get("duration_in_months"),
        "livemode": False,
        "max_redemptions": params.get("max_redemptions"),
        "metadata": new_metadata(params.get("metadata")),
        "name": params.get("name") or None,
        "percent_off": float(params["percent_off"]) if "percent_off" in params else None,
        "redeem_by": params.get("redeem_by"),
        "times_redeemed": 0,
        "valid": True,
    }
    tx.insert("coupon", coupon)
    events.record(ctx, tx, "coupon.created", coupon)
    return coupon


def _generated_id(ctx: Context, tx: Tx) -> str:
    """Stripe names a coupon created without an id with eight random letters and digits."""
    n = tx.next_counter("id:coupon")
    return hashlib.sha256(f"{ctx.seed}:coupon:{n}".encode()).hexdigest()[:8].upper()


def _check_terms(ctx: Context, params: Params) -> None:
    """Stripe's create-time rules: one of percent_off and amount_off (the latter with a
    currency), a duration_in_months only for `repeating`, limits in the future."""
    if ("percent_off" in params) == ("amount_off" in params):
        raise InvalidRequest("You must pass exactly one of percent_off or amount_off.", param="percent_off")
    if "percent_off" in params and not 0 < Decimal(params["percent_off"]) <= 100:
        raise InvalidRequest("Invalid percent_off: must be greater than 0 and at most 100.", param="percent_off")
    if "amount_off" in params:
        if params["amount_off"] <= 0:
            raise InvalidRequest("Invalid amount_off: must be greater than 0.", param="amount_off")
        if "currency" not in params:
            raise InvalidRequest("You must pass currency when passing amount_off.",
                                 code="parameter_missing", param="currency")
    repeating = params.get("duration") == "repeating"
    if repeating != ("duration_in_months" in params):
        raise InvalidRequest("duration_in_months is required with, and only with, duration=repeating.",
                             param="duration_in_months")
    if params.get("max_redemptions") is not None and params["max_redemptions"] <= 0:
        raise InvalidRequest("Invalid max_redemptions: must be greater than 0.", param="max_redemptions")
    if params.get("redeem_by") is not None and params["redeem_by"] <= ctx.now():
        raise InvalidRequest("Invalid redeem_by: must be in the future.", param="redeem_by")


def render(ctx: Context, coupon: Obj) -> Obj:
    """The coupon with `valid` as of now: false once redeemed max_redemptions times or past redeem_by."""
    out = public(coupon)
    used_up = coupon["max_redemptions"] is not None and coupon["times_redeemed"] >= coupon["max_redemptions"]
    expired = coupon["redeem_by"] is not None and coupon["redeem_by"] <= ctx.now()
    out["valid"] = not (used_up or expired)
    return out


def retrieve(ctx: Context, tx: Tx, coupon_id: str) -> Obj:
    return render(ctx, require(tx, "coupon", coupon_id))


def update(ctx: Context, tx: Tx, coupon_id: str, params: Params) -> Obj:
    """Only name and metadata change (https://docs.stripe.com/api/coupons/update: "Other
    coupon details (currency, duration, amount_off) are, by design, not editable")."""
    before = require(tx, "coupon", coupon_id)
    coupon = dict(before)
    if "name" in params:
        coupon["name"] = params["name"] or None
    coupon["metadata"] = apply_metadata(before["metadata"], params.get("metadata"))
    previous = events.changed(before, coupon)
    if previous:
        tx.update(coupon)
        events.record(ctx, tx, "coupon.updated", render(ctx, coupon), previous=previous)
    return render(ctx, coupon)


def delete(ctx: Context, tx: Tx, coupon_id: str) -> Obj:
    """Gone for new discounts; the discounts already made from it keep applying."""
    coupon = require(tx, "coupon", coupon_id)
    tx.delete(coupon_id)
    events.record(ctx, tx, "coupon.deleted", render(ctx, coupon))
    return {"id": coupon_id, "object": "coupon", "deleted": True}


def list_coupons(ctx: Context, tx: Tx, params: Params) -> Obj:
    return list_page(tx, "coupon", "/v1/coupons", params, render=lambda c: render(ctx, c))


def redeem(ctx: Context, tx: Tx, coupon_id: Any, *, customer: str, currency: str | None,
           invoice: str | None = None, invoice_item: str | None = None, param: str) -> str:
    """A new discount from the coupon (one more redemption); its id."""
    coupon = require(tx, "coupon", str(coupon_id), param=param)
    if not render(ctx, coupon)["valid"]:
        raise InvalidRequest(f"Coupon {coupon['id']} is no longer valid: it cannot be redeemed.", param=param)
    if coupon["amount_off"] is not None and currency is not None and coupon["currency"] != currency:
        raise InvalidRequest(
            f"The coupon's currency ({coupon['currency']}) must match the currency of what it discounts "
            f"({currency}).", param=param,
        )
    coupon["times_redeemed"] += 1
    tx.update(coupon)
    now = ctx.now()
    months = coupon["duration_in_months"]
    discount: Obj = {
        "id": ctx.new_id(tx, "di"),
        "object": "discount",
        "checkout_session": None,
        "customer": customer,
        "customer_account": None,
        "end": now + months * MONTH if months else None,
        "invoice": invoice,
        "invoice_item": invoice_item,
        "promotion_code": None,
        "source": {"coupon": coupon["id"], "type": "coupon"},
        "start": now,
        "subscription": None,
        "subscription_item": None,
        # The coupon's terms when redeemed: a coupon deleted later still discounts.
        "_terms": {"percent_off": coupon["percent_off"], "amount_off": coupon["amount_off"],
                   "currency": coupon["currency"]},
    }
    tx.insert("discount", discount, customer=customer)
    return str(discount["id"])


def discounts_param(ctx: Context, tx: Tx, value: Any, *, customer: str, currency: str | None,
                    invoice: str | None = None, invoice_item: str | None = None) -> list[str]:
    """Discount ids from a `discounts` parameter: each entry redeems a coupon or reuses a
    discount the customer already has; "" is none."""
    if value in (None, ""):
        return []
    ids: list[str] = []
    for n, entry in enumerate(value):
        if entry.get("coupon"):
            ids.append(redeem(ctx, tx, entry["coupon"], customer=customer, currency=currency,
                              invoice=invoice, invoice_item=invoice_item, param=f"discounts[{n}][coupon]"))
        elif entry.get("discount"):
            found = require(tx, "discount", entry["discount"], param=f"discounts[{n}][discount]")
            ids.append(str(found["id"]))
        else:
            raise InvalidRequest("The sandbox emulates discounts from a coupon or an existing discount.",
                                 param=f"discounts[{n}]")
    if len(set(ids)) != len(ids):
        raise InvalidRequest("The same discount cannot be applied twice.", param="discounts")
    return ids


def terms(tx: Tx, discount_ids: list[str]) -> list[Discount]:
    """The arithmetic's view of discounts, in the order given."""
    out = []
    for discount_id in discount_ids:
        found = tx.get("discount", discount_id)
        if found is None:
            continue
        t = found[0]["_terms"]
        percent = t["percent_off"]
        out.append(Discount(discount_id, Decimal(str(percent)) if percent is not None else None, t["amount_off"]))
    return out


def inheritable(tx: Tx, customer: Obj, currency: str) -> list[str]:
    """The customer's own discount, which an invoice created without `discounts` takes ("If
    not specified, inherits the discount from the invoice's customer"); an amount-off one
    only in its own currency."""
    discount = customer.get("discount")
    if not discount:
        return []
    found = tx.get("discount", discount["id"])
    if found is None:
        return []
    terms = found[0]["_terms"]
    if terms["amount_off"] is not None and terms["currency"] != currency:
        return []
    return [str(discount["id"])]


def attach_to_customer(ctx: Context, tx: Tx, customer_id: str, coupon_id: Any) -> Obj:
    """The admin surface's stand-in for the Dashboard: the customer's own discount (None removes it)."""
    customer = require(tx, "customer", customer_id)
    before = dict(customer)
    if coupon_id in (None, ""):
        customer["discount"] = None
    else:
        discount_id = redeem(ctx, tx, coupon_id, customer=customer_id, currency=None, param="coupon")
        found = tx.get("discount", discount_id)
        assert found is not None
        customer["discount"] = public(found[0])
    tx.update(customer, email=customer["email"])
    events.record(ctx, tx, "customer.updated", customer, previous=events.changed(before, customer))
    return customer
