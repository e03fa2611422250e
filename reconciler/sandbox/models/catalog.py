"""Products and prices."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest, ResourceAlreadyExists
from reconciler.sandbox.models import currencies, events
from reconciler.sandbox.models.base import (
    Context,
    Obj,
    Params,
    apply_metadata,
    decimal_text,
    list_page,
    new_metadata,
    require,
)
from reconciler.sandbox.store import Tx

# The fields a product's create and update take (the handlers support exactly these, with metadata).
PRODUCT_FIELDS = ("name", "description", "active", "statement_descriptor", "unit_label", "url", "shippable", "images", "tax_code")


def create_product(ctx: Context, tx: Tx, params: Params) -> Obj:
    product_id = params.get("id") or ctx.new_id(tx, "prod")
    if tx.get("product", product_id) is not None:
        raise ResourceAlreadyExists("Product already exists.")
    now = ctx.now()
    product: Obj = {
        "id": product_id,
        "object": "product",
        "active": params.get("active", True),
        "created": now,
        "default_price": None,
        "description": params.get("description"),
        "images": params.get("images", []),
        "livemode": False,
        "marketing_features": [],
        "metadata": new_metadata(params.get("metadata")),
        "name": params["name"],
        "package_dimensions": None,
        "shippable": params.get("shippable"),
        "statement_descriptor": params.get("statement_descriptor"),
        "tax_code": params.get("tax_code"),
        "type": "service",
        "unit_label": params.get("unit_label"),
        "updated": now,
        "url": params.get("url"),
    }
    tx.insert("product", product, active=product["active"])
    events.record(ctx, tx, "product.created", product)
    return product


def retrieve_product(ctx: Context, tx: Tx, product_id: str) -> Obj:
    return require(tx, "product", product_id)


def update_product(ctx: Context, tx: Tx, product_id: str, params: Params) -> Obj:
    before = require(tx, "product", product_id)
    product = dict(before)
    for name in PRODUCT_FIELDS:
        if name in params:
            value = params[name]
            if name == "name" and value == "":
                raise InvalidRequest("You must supply a non-empty name.", param="name")
            product[name] = None if value == "" else value
    if "default_price" in params:
        price = require(tx, "price", params["default_price"], param="default_price")
        product["default_price"] = price["id"]
    product["metadata"] = apply_metadata(before["metadata"], params.get("metadata"))
    previous = events.changed(before, product)
    if previous:
        product["updated"] = ctx.now()
        tx.update(product, active=product["active"])
        events.record(ctx, tx, "product.updated", product, previous=previous)
    return product


def delete_product(ctx: Context, tx: Tx, product_id: str) -> Obj:
    product = require(tx, "product", product_id)
    if tx.count("price", product=product_id):
        raise InvalidRequest(
            "This product cannot be deleted because it has one or more user-created prices.",
            param="id",
        )
    tx.delete(product_id)
    events.record(ctx, tx, "product.deleted", product)
    return {"id": product_id, "object": "product", "deleted": True}


def list_products(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {}
    if "active" in params:
        filters["active"] = params["active"]
    if "ids" in params:
        return _list_by_ids(tx, params, filters, set(params["ids"]))
    return list_page(tx, "product", "/v1/products", params, filters=filters)


def _list_by_ids(tx: Tx, params: Params, filters: dict[str, Any], ids: set[str]) -> Obj:
    found = [o for o in tx.all("product", **filters) if o["id"] in ids]
    found.reverse()
    limit = params.get("limit", 10)
    return {"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": "/v1/products"}


def create_price(ctx: Context, tx: Tx, params: Params) -> Obj:
    recurring = _recurring(params.get("recurring"))
    if "product" in params:
        product = require(tx, "product", params["product"], param="product")
    elif "product_data" in params:
        product = create_product(ctx, tx, dict(params["product_data"]))
    else:
        raise InvalidRequest(
            "You must specify either `product` or `product_data` when creating a price.",
            code="parameter_missing",
            param="product",
        )
    currency = currencies.checked(params["currency"])
    unit_amount, unit_decimal = _unit_amount(params)
    price_id = ctx.new_id(tx, "price")
    lookup_key = params.get("lookup_key") or None
    _check_lookup_key(lookup_key)
    if lookup_key is not None:
        _claim_lookup_key(ctx, tx, lookup_key, price_id, bool(params.get("transfer_lookup_key")))
    price: Obj = {
        "id": price_id,
        "object": "price",
        "active": params.get("active", True),
        "billing_scheme": "per_unit",
        "created": ctx.now(),
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": new_metadata(params.get("metadata")),
        "nickname": params.get("nickname"),
        "product": product["id"],
        "recurring": recurring,
        "tax_behavior": params.get("tax_behavior", "unspecified"),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": unit_decimal,
    }
    tx.insert("price", price, product=price["product"], active=price["active"], lookup_key=lookup_key)
    events.record(ctx, tx, "price.created", price)
    return price


def _unit_amount(params: Params) -> tuple[int | None, str]:
    """(unit_amount, unit_amount_decimal): "Only one of `unit_amount` and
    `unit_amount_decimal` can be set"; a fractional decimal leaves unit_amount null."""
    if "unit_amount" in params and "unit_amount_decimal" in params:
        raise InvalidRequest(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            param="unit_amount",
        )
    if "unit_amount_decimal" in params:
        value = params["unit_amount_decimal"]
        exponent = value.as_tuple().exponent
        if value < 0 or (isinstance(exponent, int) and exponent < -12):
            raise InvalidRequest(
                "Invalid unit_amount_decimal: must be a non-negative decimal with at most 12 decimal places.",
                param="unit_amount_decimal",
            )
        text = decimal_text(value)
        return (int(value) if value == value.to_integral_value() else None), text
    unit_amount = params.get("unit_amount")
    if unit_amount is None:
        raise InvalidRequest(
            "Missing required param: unit_amount.", code="parameter_missing", param="unit_amount"
        )
    if unit_amount < 0:
        raise InvalidRequest(
            "Invalid integer: unit_amount must be greater than or equal to 0",
            code="parameter_invalid_integer",
            param="unit_amount",
        )
    return unit_amount, str(unit_amount)


# "A lookup key used to retrieve prices dynamically from a static string. This may be up to 200 characters."
MAX_LOOKUP_KEY = 200


def _check_lookup_key(lookup_key: str | None) -> None:
    if lookup_key is not None and len(lookup_key) > MAX_LOOKUP_KEY:
        raise InvalidRequest(
            f"Invalid lookup_key: must be at most {MAX_LOOKUP_KEY} characters.", param="lookup_key"
        )


def _recurring(value: Any) -> Obj | None:
    """A subscription price's billing period. The sandbox bills no subscriptions:
    such prices exist (an account has them) and invoice items refuse them, as Stripe's do."""
    if value is None:
        return None
    interval = value.get("interval")
    if interval not in ("day", "week", "month", "year"):
        raise InvalidRequest(
            "Invalid recurring[interval]: must be one of day, week, month, or year", param="recurring[interval]"
        )
    return {
        "interval": interval,
        "interval_count": value.get("interval_count", 1),
        "meter": None,
        "usage_type": value.get("usage_type", "licensed"),
    }


def _claim_lookup_key(ctx: Context, tx: Tx, lookup_key: str, price_id: str, transfer: bool) -> None:
    for holder in tx.all("price", lookup_key=lookup_key):
        if holder["id"] == price_id:
            continue
        if not transfer:
            raise InvalidRequest(
                f"A price (`{holder['id']}`) already uses that lookup key.", param="lookup_key"
            )
        before = dict(holder)
        holder["lookup_key"] = None
        tx.update(holder, lookup_key=None)
        events.record(ctx, tx, "price.updated", holder, previous=events.changed(before, holder))


def retrieve_price(ctx: Context, tx: Tx, price_id: str) -> Obj:
    return require(tx, "price", price_id)


def update_price(ctx: Context, tx: Tx, price_id: str, params: Params) -> Obj:
    before = require(tx, "price", price_id)
    price = dict(before)
    for name in ("active", "nickname", "tax_behavior"):
        if name in params:
            price[name] = None if params[name] == "" else params[name]
    if "lookup_key" in params:
        lookup_key = params["lookup_key"] or None
        _check_lookup_key(lookup_key)
        if lookup_key is not None:
            _claim_lookup_key(ctx, tx, lookup_key, price_id, bool(params.get("transfer_lookup_key")))
        price["lookup_key"] = lookup_key
    price["metadata"] = apply_metadata(before["metadata"], params.get("metadata"))
    previous = events.changed(before, price)
    if previous:
        tx.update(price, active=price["active"], lookup_key=price["lookup_key"])
        events.record(ctx, tx, "price.updated", price, previous=previous)
    return price


def list_prices(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {}
    if "product" in params:
        filters["product"] = params["product"]
    if "active" in params:
        filters["active"] = params["active"]
    if "lookup_keys" in params:
        filters["lookup_key"] = list(params["lookup_keys"])
    page = list_page(tx, "price", "/v1/prices", params, filters=filters)
    if "currency" in params:
        page["data"] = [p for p in page["data"] if p["currency"] == params["currency"].lower()]
    return page
