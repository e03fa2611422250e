"""`expand[]`: ids in an answer replaced by the objects they name."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import credit_notes, invoices, tax_ids
from reconciler.sandbox.models.base import Obj, public
from reconciler.sandbox.store import Tx

# Id prefix -> the store's kind (Stripe's `object`), as Stripe spells them. The
# sandbox's own table: it emulates Stripe, so it does not take the tool's
# registry's word (tests/test_kinds.py checks the registry against it).
_KIND_BY_PREFIX = {
    "prod": "product", "price": "price", "cus": "customer", "in": "invoice",
    "ii": "invoiceitem", "pi": "payment_intent", "inpay": "invoice_payment",
    "pm": "payment_method", "ch": "charge", "re": "refund", "cn": "credit_note",
    "cbtxn": "customer_balance_transaction", "txr": "tax_rate", "di": "discount", "txi": "tax_id",
}  # fmt: skip


def _lookup(tx: Tx, object_id: str) -> Obj | None:
    kind = _KIND_BY_PREFIX.get(object_id.split("_", 1)[0])
    if kind is None:
        return None
    found = tx.get(kind, object_id)
    if found is None:
        return None
    body, deleted = found
    if deleted:
        return {"id": object_id, "object": kind, "deleted": True}
    if kind == "credit_note":
        return credit_notes.render(body)
    return invoices.render(tx, body) if kind == "invoice" else public(body)


def expand(tx: Tx, obj: Any, path: list[str], full: str) -> Any:
    if not isinstance(obj, dict):
        return obj
    head, rest = path[0], path[1:]
    if head == "tax_ids" and obj.get("object") == "customer" and not rest and not obj.get("deleted"):
        # "This field is not included by default. To include it in the response, expand the tax_ids field."
        return dict(obj, tax_ids=tax_ids.embedded(tx, str(obj["id"])))
    if head not in obj:
        raise InvalidRequest(f"This property cannot be expanded ({full}).", param="expand")
    value = obj[head]
    if head == "data" and isinstance(value, list):
        obj = dict(obj, data=[expand(tx, v, rest, full) if rest else v for v in value])
        return obj
    if not rest and isinstance(value, list) and all(isinstance(v, str) for v in value):
        # A list of ids (an invoice's `discounts`): each expanded.
        expanded_list = [_lookup(tx, v) for v in value]
        if any(e is None for e in expanded_list):
            raise InvalidRequest(f"This property cannot be expanded ({full}).", param="expand")
        return dict(obj, **{head: expanded_list})
    if rest:
        return dict(obj, **{head: expand(tx, value, rest, full)})
    if isinstance(value, str):
        expanded = _lookup(tx, value)
        if expanded is None:
            raise InvalidRequest(f"This property cannot be expanded ({full}).", param="expand")
        return dict(obj, **{head: expanded})
    return obj
