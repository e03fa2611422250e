"""Tax IDs: a customer's (/v1/customers/{id}/tax_ids) and the account's own (/v1/tax_ids, owner self).

Stripe keeps each tax ID as its own object: it has no update, a changed value is a delete and a
create (docs.stripe.com/api/tax_ids). The value's shape is checked for the types whose format
Stripe's docs give by example (docs.stripe.com/billing/customer/tax-ids); others only for being
non-empty. Every other type of the pinned SDK is accepted (request validation checks the type).
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest, ResourceMissing
from reconciler.sandbox.models import events
from reconciler.sandbox.models.base import Context, Obj, Params, list_page, require
from reconciler.sandbox.store import Tx

# docs.stripe.com/billing/customer/tax-ids: "DE123456789", "GB123456789", "12-3456789", ...
_SHAPES = {
    "eu_vat": re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,13}$"),
    "gb_vat": re.compile(r"^GB[0-9]{9}([0-9]{3})?$"),
    "us_ein": re.compile(r"^[0-9]{2}-[0-9]{7}$"),
}
ACCOUNT = "self"


def _country(tax_type: str, value: str) -> str | None:
    """Stripe's `country` of a tax ID: the type's prefix, or an EU VAT number's own."""
    if tax_type == "eu_vat":
        return "GR" if value[:2] == "EL" else value[:2]
    prefix = tax_type.split("_", 1)[0].upper()
    return None if prefix == "EU" else prefix


def _new(ctx: Context, tx: Tx, params: Params, customer_id: str | None) -> Obj:
    tax_type, value = str(params["type"]), str(params["value"])
    shape = _SHAPES.get(tax_type)
    if not value or (shape is not None and not shape.match(value)):
        raise InvalidRequest(f"Invalid value for {tax_type}.", code="tax_id_invalid", param="value")
    tax_id: Obj = {
        "id": ctx.new_id(tx, "txi"),
        "object": "tax_id",
        "country": _country(tax_type, value),
        "created": ctx.now(),
        "customer": customer_id,
        "livemode": False,
        "owner": {"type": "customer", "customer": customer_id} if customer_id else {"type": ACCOUNT},
        "type": tax_type,
        "value": value,
        "verification": {"status": "pending", "verified_address": None, "verified_name": None},
    }
    tx.insert("tax_id", tax_id, customer=customer_id)
    events.record(ctx, tx, "customer.tax_id.created" if customer_id else "tax_id.created", tax_id)
    _drafts_follow(tx, customer_id)
    return tax_id


def _drafts_follow(tx: Tx, customer_id: str | None) -> None:
    """A customer's drafts show its tax IDs as they are now (`customer_tax_ids`, until finalized)."""
    if customer_id is None:
        return
    copies = invoice_copies(tx, customer_id)
    for invoice in tx.all("invoice", customer=customer_id, status="draft"):
        if invoice.get("customer_tax_ids") != copies:
            invoice["customer_tax_ids"] = copies
            tx.update(invoice, customer=invoice["customer"], status=invoice["status"],
                      collection_method=invoice["collection_method"])  # fmt: skip


def create_for_customer(ctx: Context, tx: Tx, customer_id: str, params: Params) -> Obj:
    require(tx, "customer", customer_id)
    return _new(ctx, tx, params, customer_id)


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    """POST /v1/tax_ids: the account's own (owner self, the default) or a customer's."""
    owner: dict[str, Any] = dict(params.get("owner") or {"type": ACCOUNT})
    if owner.get("type") == "customer":
        return create_for_customer(ctx, tx, str(owner.get("customer") or ""), params)
    if owner.get("type") != ACCOUNT:
        raise InvalidRequest("The sandbox emulates tax IDs of the account (self) and of customers.",
                             code="parameter_unsupported_by_sandbox", param="owner[type]")  # fmt: skip
    return _new(ctx, tx, params, None)


def of_customer(tx: Tx, customer_id: str) -> list[Obj]:
    """A customer's tax IDs, oldest first (as Stripe lists a customer's `tax_ids`)."""
    return sorted(tx.all("tax_id", customer=customer_id), key=lambda t: (t["created"], t["id"]))


def embedded(tx: Tx, customer_id: str) -> Obj:
    """The customer's `tax_ids` when expanded: a list object of all of them."""
    data = of_customer(tx, customer_id)
    return {"object": "list", "data": data, "has_more": False, "url": f"/v1/customers/{customer_id}/tax_ids"}


def invoice_copies(tx: Tx, customer_id: str) -> list[Obj]:
    """What an invoice's `customer_tax_ids` holds: each tax ID's type and value."""
    return [{"type": t["type"], "value": t["value"]} for t in of_customer(tx, customer_id)]


def retrieve(ctx: Context, tx: Tx, tax_id: str, customer_id: str | None = None) -> Obj:
    found = require(tx, "tax_id", tax_id, label="tax ID")
    if customer_id is not None and found["customer"] != customer_id:
        raise ResourceMissing("tax ID", tax_id)
    return found


def delete(ctx: Context, tx: Tx, tax_id: str, customer_id: str | None = None) -> Obj:
    found = retrieve(ctx, tx, tax_id, customer_id)
    tx.delete(tax_id)
    events.record(ctx, tx, "customer.tax_id.deleted" if found["customer"] else "tax_id.deleted", found)
    _drafts_follow(tx, found["customer"])
    return {"id": tax_id, "object": "tax_id", "deleted": True}


def list_for_customer(ctx: Context, tx: Tx, customer_id: str, params: Params) -> Obj:
    require(tx, "customer", customer_id)
    return list_page(tx, "tax_id", f"/v1/customers/{customer_id}/tax_ids", params,
                     filters={"customer": customer_id}, newest_first=False)  # fmt: skip


def list_tax_ids(ctx: Context, tx: Tx, params: Params) -> Obj:
    """GET /v1/tax_ids: the account's own unless `owner` names a customer."""
    owner: dict[str, Any] = dict(params.get("owner") or {"type": ACCOUNT})
    customer_id = str(owner.get("customer") or "") if owner.get("type") == "customer" else None
    if customer_id is not None:
        return list_for_customer(ctx, tx, customer_id, params)
    page = list_page(tx, "tax_id", "/v1/tax_ids", params, newest_first=False)
    return dict(page, data=[t for t in page["data"] if t["customer"] is None])


def check_account_tax_ids(tx: Tx, value: Any) -> list[str] | None:
    """An invoice's `account_tax_ids`: each an existing tax ID of the account ("" or absent: none)."""
    if not value:
        return None
    for index, tax_id in enumerate(value):
        found = tx.get("tax_id", str(tax_id))
        if found is None or found[1] or found[0]["customer"] is not None:
            raise ResourceMissing("tax ID", str(tax_id), param=f"account_tax_ids[{index}]")
    return [str(t) for t in value]
