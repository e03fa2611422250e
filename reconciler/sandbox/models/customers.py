"""Customers."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import balances, events, invoices, payment_methods, tax_ids
from reconciler.sandbox.models.base import (
    Context,
    Obj,
    Params,
    apply_metadata,
    list_page,
    new_metadata,
    refuse_absent_references,
    require,
)
from reconciler.sandbox.store import Tx

FIELDS = ("name", "email", "description", "phone", "preferred_locales", "tax_exempt")
# What a customer's create and update take besides metadata (the handlers support exactly these).
PARAMS = (*FIELDS, "invoice_prefix", "invoice_settings", "address", "shipping")
_DEFAULT_PM = "invoice_settings[default_payment_method]"
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
# "Must be 1–12 uppercase letters or numbers."
_INVOICE_PREFIX = re.compile(r"^[A-Z0-9]{1,12}$")
# "This may be up to *512 characters*." Stripe does not publish its address check;
# the sandbox asks for one @ between non-empty parts, no spaces, and a dot in the domain.
MAX_EMAIL = 512
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check(params: Params) -> None:
    """Stripe's checks of a customer's email and invoice prefix."""
    email = params.get("email")
    if email not in (None, "") and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise InvalidRequest(f"Invalid email address: {email}", code="email_invalid", param="email")
    prefix = params.get("invoice_prefix")
    if prefix is not None and not _INVOICE_PREFIX.match(prefix):
        raise InvalidRequest(
            f"Invalid invoice_prefix: {prefix!r} must be 1-12 uppercase letters or numbers.",
            param="invoice_prefix",
        )


def _address(before: Obj | None, value: Any) -> Obj | None:
    """An Address object (every key present, unset ones null) after the parameter:
    given keys replace, others stay; "" removes the address."""
    if value is None:
        return before
    if value == "":
        return None
    merged = {key: (before or {}).get(key) for key in _ADDRESS_KEYS}
    merged.update({key: (None if v == "" else v) for key, v in dict(value).items()})
    return merged


def _shipping(before: Obj | None, value: Any) -> Obj | None:
    """Shipping details (name, phone, address) after the parameter; "" removes them."""
    if value is None:
        return before
    if value == "":
        return None
    old = before or {}
    return {
        "address": _address(old.get("address"), value.get("address")),
        "carrier": old.get("carrier"),
        "name": value.get("name", old.get("name")),
        "phone": value.get("phone", old.get("phone")),
        "tracking_number": old.get("tracking_number"),
    }


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    _check(params)
    customer_id = ctx.new_id(tx, "cus")
    prefix = params.get("invoice_prefix") or _prefix(customer_id)
    settings = params.get("invoice_settings") or {}
    refuse_absent_references(settings, prefix="invoice_settings")
    customer: Obj = {
        "id": customer_id,
        "object": "customer",
        "address": _address(None, params.get("address")),
        "balance": 0,
        "created": ctx.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "invoice_prefix": prefix,
        "invoice_settings": {
            "custom_fields": settings.get("custom_fields") or None,
            "default_payment_method": payment_methods.owned(
                tx, customer_id, settings.get("default_payment_method"), param=_DEFAULT_PM),
            "footer": settings.get("footer"),
            "rendering_options": _rendering_options(settings.get("rendering_options")),
        },
        "livemode": False,
        "metadata": new_metadata(params.get("metadata")),
        "name": params.get("name"),
        "next_invoice_sequence": 1,
        "phone": params.get("phone"),
        "preferred_locales": params.get("preferred_locales", []),
        "shipping": _shipping(None, params.get("shipping")),
        "tax_exempt": params.get("tax_exempt", "none"),
        "test_clock": None,
    }
    tx.insert("customer", customer, email=customer["email"])
    balances.set_balance(ctx, tx, customer, params.get("balance", 0), kind="initial")
    events.record(ctx, tx, "customer.created", customer)
    for index, datum in enumerate(params.get("tax_id_data") or ()):
        try:
            tax_ids.create_for_customer(ctx, tx, customer_id, datum)
        except InvalidRequest as exc:  # "The customer's tax IDs": each checked as a tax ID create is
            exc.param = f"tax_id_data[{index}][value]"
            raise
    return customer


def _rendering_options(value: Any) -> Obj | None:
    """invoice_settings.rendering_options as Stripe returns it ("" or absent: none)."""
    if not value:
        return None
    return {"amount_tax_display": value.get("amount_tax_display") or None, "template": value.get("template")}


def _prefix(customer_id: str) -> str:
    """Stripe gives each customer a random 8-character uppercase invoice prefix."""
    return hashlib.sha256(customer_id.encode()).hexdigest()[:8].upper()


def retrieve(ctx: Context, tx: Tx, customer_id: str) -> Obj:
    found = tx.get("customer", customer_id)
    if found is not None and found[1]:
        # Stripe keeps answering for a deleted customer, flagged as deleted.
        return {"id": customer_id, "object": "customer", "deleted": True}
    return require(tx, "customer", customer_id)


def update(ctx: Context, tx: Tx, customer_id: str, params: Params) -> Obj:
    before = require(tx, "customer", customer_id)
    _check(params)
    customer = dict(before)
    for name in FIELDS:
        if name in params:
            customer[name] = None if params[name] == "" else params[name]
    if "invoice_prefix" in params:
        if before["next_invoice_sequence"] > 1:
            raise InvalidRequest(
                "The invoice prefix cannot be changed once invoices have been finalized.",
                param="invoice_prefix",
            )
        customer["invoice_prefix"] = params["invoice_prefix"]
    customer["address"] = _address(before["address"], params.get("address"))
    customer["shipping"] = _shipping(before["shipping"], params.get("shipping"))
    if "invoice_settings" in params:
        refuse_absent_references(dict(params["invoice_settings"] or {}), prefix="invoice_settings")
        settings = dict(before["invoice_settings"])
        for key, value in dict(params["invoice_settings"]).items():
            if key in settings:
                settings[key] = None if value == "" else value
        if "rendering_options" in params["invoice_settings"]:
            settings["rendering_options"] = _rendering_options(params["invoice_settings"]["rendering_options"])
        if "default_payment_method" in params["invoice_settings"]:
            settings["default_payment_method"] = payment_methods.owned(
                tx, customer_id, params["invoice_settings"]["default_payment_method"], param=_DEFAULT_PM)
        customer["invoice_settings"] = settings
    customer["metadata"] = apply_metadata(before["metadata"], params.get("metadata"))
    if "balance" in params:
        balances.set_balance(ctx, tx, customer, params["balance"])
    previous = events.changed(before, customer)
    if previous:
        tx.update(customer, email=customer["email"])
        invoices.follow_customer(tx, customer)
        events.record(ctx, tx, "customer.updated", customer, previous=previous)
    return customer


def delete(ctx: Context, tx: Tx, customer_id: str) -> Obj:
    customer = require(tx, "customer", customer_id)
    tx.mark_deleted(customer_id)
    events.record(ctx, tx, "customer.deleted", customer)
    return {"id": customer_id, "object": "customer", "deleted": True}


def list_customers(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {}
    if "email" in params:
        # Stripe matches the email case-sensitively.
        filters["email"] = params["email"]
    return list_page(tx, "customer", "/v1/customers", params, filters=filters)


def bump_sequence(tx: Tx, customer_id: str) -> tuple[str, int]:
    """(prefix, sequence) for the next invoice number, advancing the counter."""
    found = tx.get("customer", customer_id)
    assert found is not None
    customer = found[0]
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    tx.update(customer, email=customer["email"])
    return customer["invoice_prefix"], sequence
