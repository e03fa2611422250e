"""Tax rates: percentage and inclusive fixed at creation; archived, never deleted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import events
from reconciler.sandbox.models.base import (
    Context,
    Obj,
    Params,
    apply_metadata,
    list_page,
    new_metadata,
    require,
)
from reconciler.sandbox.store import Tx

# What an update may change ("percentage" and "inclusive" are not update parameters:
# https://docs.stripe.com/api/tax_rates/update).
UPDATABLE = ("active", "country", "description", "display_name", "jurisdiction", "state", "tax_type")
# "You can add up to ten tax rates to each line item" (https://docs.stripe.com/invoicing/taxes/tax-rates).
MAX_PER_LINE = 10
# "The percentage is a number (up to 4 decimal places)" (https://stripe.com/docs/billing/taxes/tax-rates).
MAX_DECIMALS = 4


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    written = str(params["percentage"])
    if len(written.partition(".")[2]) > MAX_DECIMALS:
        # Stripe counts the digits as sent ("Invalid decimal: 23.0000 must contain at maximum two
        # decimal places" in the days of two, stripe/stripe-dotnet#291).
        raise InvalidRequest(f"Invalid decimal: {written}; must contain at maximum four decimal places.",
                             param="percentage")
    percentage = Decimal(written)
    if not 0 <= percentage <= 100:
        raise InvalidRequest("Invalid percentage: must be between 0 and 100.", param="percentage")
    if params["display_name"] == "":
        raise InvalidRequest("You must supply a non-empty display_name.", param="display_name")
    rate: Obj = {
        "id": ctx.new_id(tx, "txr"),
        "object": "tax_rate",
        "active": params.get("active", True),
        "country": params.get("country"),
        "created": ctx.now(),
        "description": params.get("description"),
        "display_name": params["display_name"],
        "effective_percentage": float(percentage),
        "flat_amount": None,
        "inclusive": params["inclusive"],
        "jurisdiction": params.get("jurisdiction"),
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": new_metadata(params.get("metadata")),
        "percentage": float(percentage),
        "rate_type": "percentage",
        "state": params.get("state"),
        "tax_type": params.get("tax_type"),
    }
    tx.insert("tax_rate", rate, **_columns(rate))
    events.record(ctx, tx, "tax_rate.created", rate)
    return rate


def _columns(rate: Obj) -> dict[str, Any]:
    # The indexed `type` column holds the behaviour, so lists filter on `inclusive` in SQL.
    return {"active": rate["active"], "type": "inclusive" if rate["inclusive"] else "exclusive"}


def retrieve(ctx: Context, tx: Tx, rate_id: str) -> Obj:
    return require(tx, "tax_rate", rate_id)


def update(ctx: Context, tx: Tx, rate_id: str, params: Params) -> Obj:
    before = require(tx, "tax_rate", rate_id)
    rate = dict(before)
    for name in UPDATABLE:
        if name in params:
            if name == "display_name" and params[name] == "":
                raise InvalidRequest("You must supply a non-empty display_name.", param="display_name")
            rate[name] = None if params[name] == "" else params[name]
    rate["metadata"] = apply_metadata(before["metadata"], params.get("metadata"))
    previous = events.changed(before, rate)
    if previous:
        tx.update(rate, **_columns(rate))
        events.record(ctx, tx, "tax_rate.updated", rate, previous=previous)
    return rate


def list_rates(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {}
    if "active" in params:
        filters["active"] = params["active"]
    if "inclusive" in params:
        filters["type"] = "inclusive" if params["inclusive"] else "exclusive"
    return list_page(tx, "tax_rate", "/v1/tax_rates", params, filters=filters)


def for_use(tx: Tx, rate_ids: Any, *, param: str) -> list[Obj]:
    """The tax rates a request applies (each must exist and be active, at most ten); "" is none."""
    if rate_ids in (None, ""):
        return []
    ids = list(rate_ids)
    if len(ids) > MAX_PER_LINE:
        raise InvalidRequest(f"You can apply at most {MAX_PER_LINE} tax rates.", param=param)
    if len(set(ids)) != len(ids):
        raise InvalidRequest("The same tax rate cannot be applied twice.", param=param)
    rates = []
    for n, rate_id in enumerate(ids):
        rate = require(tx, "tax_rate", rate_id, label="tax rate", param=f"{param}[{n}]")
        if not rate["active"]:
            # "When set to false, this tax rate cannot be used with new applications"
            # (https://docs.stripe.com/api/tax_rates/object#tax_rate_object-active).
            raise InvalidRequest(f"Tax rate {rate_id} is inactive and cannot be applied.", param=f"{param}[{n}]")
        rates.append(rate)
    return rates
