"""Invoice items: pending or attached to a draft invoice; totals follow them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest, InvoiceNotEditable
from reconciler.sandbox.models import coupons, currencies, events, invoices
from reconciler.sandbox.models.base import (
    Context,
    Obj,
    Params,
    apply_metadata,
    decimal_text,
    list_page,
    new_metadata,
    public,
    require,
)
from reconciler.sandbox.store import NOT_NULL, Tx

MAX_ITEMS = 250


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    invoice: Obj | None = None
    if "invoice" in params:
        invoice = require(tx, "invoice", params["invoice"], param="invoice")
        _check_draft(invoice, "add invoice items to")
    customer_id = params.get("customer") or (invoice["customer"] if invoice else None)
    if customer_id is None:
        raise InvalidRequest(
            "Missing required param: customer.", code="parameter_missing", param="customer"
        )
    require(tx, "customer", customer_id, param="customer")
    if invoice is not None and invoice["customer"] != customer_id:
        raise InvalidRequest(
            "The invoice's customer does not match the invoice item's customer.", param="invoice"
        )
    if invoice is not None and tx.count("invoiceitem", invoice=invoice["id"]) >= MAX_ITEMS:
        raise InvalidRequest(
            f"An invoice cannot have more than {MAX_ITEMS} invoice items.", param="invoice"
        )
    now = ctx.now()
    item: Obj = {
        "id": ctx.new_id(tx, "ii"),
        "object": "invoiceitem",
        "amount": 0,
        "currency": "usd",
        "customer": customer_id,
        "customer_account": None,
        "date": now,
        "description": params.get("description"),
        "discountable": params.get("discountable"),
        "discounts": [],
        "invoice": invoice["id"] if invoice else None,
        "livemode": False,
        "metadata": new_metadata(params.get("metadata")),
        "net_amount": 0,
        "parent": None,
        "period": _period(params.get("period"), now),
        "pricing": None,
        "proration": False,
        "proration_details": {"credited_items": None, "discount_amounts": []},
        "quantity": 1,
        "quantity_decimal": "1",
        "tax_rates": [],
        "test_clock": None,
        "_line_id": ctx.new_id(tx, "il"),
    }
    _apply_pricing(tx, item, params, creating=True)
    if item["discountable"] is None:
        # "Defaults to false for prorations or negative invoice items, and true for all other invoice items."
        item["discountable"] = item["amount"] >= 0
    if invoice is not None:
        invoices.check_currency(invoice, item["currency"])
    _apply_money_params(ctx, tx, item, params)
    tx.insert("invoiceitem", item, customer=customer_id, invoice=item["invoice"])
    events.record(ctx, tx, "invoiceitem.created", item)
    if invoice is not None:
        invoices.recompute(ctx, tx, invoice["id"])
    return public(item)


def _apply_money_params(ctx: Context, tx: Tx, item: Obj, params: Params) -> None:
    """The item's own tax rates ("When set, the default_tax_rates on the invoice do not apply")
    and discounts ("Item discounts are applied before invoice discounts")."""
    if "tax_rates" in params:
        item["tax_rates"] = invoices.rate_snapshots(tx, params["tax_rates"], "tax_rates")
    if "discounts" in params:
        item["discounts"] = coupons.discounts_param(
            ctx, tx, params["discounts"], customer=item["customer"], currency=item["currency"],
            invoice=item["invoice"], invoice_item=item["id"])


def _period(value: Any, now: int) -> dict[str, int]:
    if value is None:
        return {"end": now, "start": now}
    if value["end"] < value["start"]:
        raise InvalidRequest("The period end must be after its start.", param="period[end]")
    return {"end": value["end"], "start": value["start"]}


# Pairs of parameters a request may not combine ("You may only specify one of these parameters").
_EXCLUSIVE = (("amount", "pricing[price]"), ("amount", "quantity"), ("amount", "quantity_decimal"),
              ("amount", "unit_amount_decimal"), ("pricing[price]", "unit_amount_decimal"),
              ("quantity", "quantity_decimal"))


def _apply_pricing(tx: Tx, item: Obj, params: Params, *, creating: bool) -> None:
    """Set amount, currency, quantity and pricing from the request."""
    price_id = (params.get("pricing") or {}).get("price")
    given = {*params, *(["pricing[price]"] if price_id is not None else [])}
    for first, second in _EXCLUSIVE:
        if first in given and second in given:
            # `amount` is the item's total; a quantity goes with a unit amount or a price instead.
            raise InvalidRequest(
                f"You may only specify one of these parameters: {first}, {second}.", param=first
            )
    if "price_data" in params:
        raise InvalidRequest("The sandbox does not support price_data.", param="price_data")
    quantity = _quantity(item, params)
    item["quantity"] = int(quantity.to_integral_value(ROUND_HALF_UP))
    item["quantity_decimal"] = decimal_text(quantity)
    if price_id is not None:
        _price_pricing(tx, item, params, price_id, quantity)
    elif "amount" in params or "unit_amount_decimal" in params or creating:
        if "amount" not in params and "unit_amount_decimal" not in params:
            raise InvalidRequest(
                "Missing required param: amount.", code="parameter_missing", param="amount"
            )
        if creating and "currency" not in params:
            raise InvalidRequest(
                "Missing required param: currency.", code="parameter_missing", param="currency"
            )
        if "currency" in params:
            item["currency"] = currencies.checked(params["currency"])
        if "amount" in params:
            item["amount"] = params["amount"]
            unit = unit_amount_decimal(params["amount"], quantity)
        else:
            unit = _decimal_param(params["unit_amount_decimal"], "unit_amount_decimal", negative=True)
            item["amount"] = _times(Decimal(unit), quantity)
        item["pricing"] = {"price_details": None, "type": "price_details", "unit_amount_decimal": unit}
    elif ("quantity" in params or "quantity_decimal" in params) and item["pricing"]:
        # A new quantity at the item's unit amount (its price's, or the one it was given).
        item["amount"] = _times(Decimal(item["pricing"]["unit_amount_decimal"]), quantity)
    item["net_amount"] = item["amount"]


def _quantity(item: Obj, params: Params) -> Decimal:
    if "quantity_decimal" in params:
        return Decimal(_decimal_param(params["quantity_decimal"], "quantity_decimal", negative=False))
    quantity = int(params.get("quantity", item["quantity"]) or 0)
    if "quantity" not in params and item.get("quantity_decimal"):
        return Decimal(item["quantity_decimal"])
    if quantity < 0:
        raise InvalidRequest(
            "Invalid integer: quantity must be non-negative", code="parameter_invalid_integer",
            param="quantity",
        )
    return Decimal(quantity)


def _price_pricing(tx: Tx, item: Obj, params: Params, price_id: str, quantity: Decimal) -> None:
    price = require(tx, "price", price_id, param="pricing[price]")
    if price["type"] != "one_time":
        raise InvalidRequest(
            f"The price specified is set to `type={price['type']}` but this field only accepts prices "
            "with `type=one_time`.", param="pricing[price]",
        )
    if not price["active"]:
        raise InvalidRequest(
            f"The price specified ({price_id}) is inactive. This field only accepts active prices.",
            param="pricing[price]",
        )
    if "currency" in params and params["currency"].lower() != price["currency"]:
        raise InvalidRequest("The currency must match the price's currency.", param="currency")
    item["currency"] = price["currency"]
    item["amount"] = _times(Decimal(price["unit_amount_decimal"]), quantity)
    item["pricing"] = {
        "price_details": {"price": price["id"], "product": price["product"]},
        "type": "price_details",
        "unit_amount_decimal": price["unit_amount_decimal"],
    }
    if item["description"] is None:
        product = tx.get("product", price["product"])
        item["description"] = product[0]["name"] if product else None


def _times(unit: Decimal, quantity: Decimal) -> int:
    """The item's amount in minor units; not documented by Stripe: halves round up."""
    return int((unit * quantity).to_integral_value(ROUND_HALF_UP))


def _decimal_param(value: Decimal, param: str, *, negative: bool) -> str:
    """A decimal parameter as Stripe writes it back: at most 12 places ("Accepts at most
    12 decimal places"), non-negative where Stripe says so."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        raise InvalidRequest(f"Invalid decimal: {value} has more than 12 decimal places.", param=param)
    if value < 0 and not negative:
        raise InvalidRequest(f"Invalid decimal: {param} must be non-negative.", param=param)
    return decimal_text(value)


def unit_amount_decimal(amount: int, quantity: Decimal) -> str:
    """amount / quantity exactly, as Stripe writes decimals (at most 12 places,
    no trailing zeros): an item's total need not divide by its quantity."""
    if not quantity:
        return "0"
    unit = (Decimal(amount) / quantity).quantize(Decimal("1e-12")).normalize()
    return format(unit, "f")


def _check_draft(invoice: Obj, verb: str) -> None:
    if invoice["status"] != "draft":
        raise InvoiceNotEditable(
            f"You can only {verb} draft invoices. This invoice ({invoice['id']}) is {invoice['status']}.",
            param="invoice",
        )


def _editable(tx: Tx, item: Obj) -> Obj | None:
    """The item's invoice, checked to be a draft (None for a pending item)."""
    if item["invoice"] is None:
        return None
    invoice = require(tx, "invoice", item["invoice"])
    _check_draft(invoice, "modify invoice items on")
    return invoice


def retrieve(ctx: Context, tx: Tx, item_id: str) -> Obj:
    return public(require(tx, "invoiceitem", item_id))


def update(ctx: Context, tx: Tx, item_id: str, params: Params) -> Obj:
    before = require(tx, "invoiceitem", item_id)
    invoice = _editable(tx, before)
    item = dict(before)
    for name in ("description", "discountable"):
        if name in params:
            item[name] = params[name]
    if "period" in params:
        item["period"] = _period(params["period"], ctx.now())
    item["metadata"] = apply_metadata(before["metadata"], params.get("metadata"))
    _apply_pricing(tx, item, params, creating=False)
    if invoice is not None:
        invoices.check_currency(invoice, item["currency"])
    _apply_money_params(ctx, tx, item, params)
    previous = events.changed(before, item)
    if previous:
        tx.update(item)
        events.record(ctx, tx, "invoiceitem.updated", item, previous=previous)
        if invoice is not None:
            invoices.recompute(ctx, tx, invoice["id"])
    return public(item)


def delete(ctx: Context, tx: Tx, item_id: str) -> Obj:
    item = require(tx, "invoiceitem", item_id)
    invoice = _editable(tx, item)
    tx.delete(item_id)
    events.record(ctx, tx, "invoiceitem.deleted", item)
    if invoice is not None:
        invoices.recompute(ctx, tx, invoice["id"])
    return {"id": item_id, "object": "invoiceitem", "deleted": True}


def list_items(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {}
    if "customer" in params:
        filters["customer"] = params["customer"]
    if "invoice" in params:
        filters["invoice"] = params["invoice"]
    if params.get("pending") is True:
        filters["invoice"] = None
    elif params.get("pending") is False and "invoice" not in filters:
        # "Set to `false` to only show invoice items already attached to invoices."
        filters["invoice"] = NOT_NULL
    return list_page(tx, "invoiceitem", "/v1/invoiceitems", params, filters=filters, render=public)
