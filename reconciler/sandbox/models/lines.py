"""Invoice lines: one per invoice item, embedded in the invoice and listed by page."""

from __future__ import annotations

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models.base import Context, Obj, Params, list_page, require
from reconciler.sandbox.store import Tx

EMBEDDED_LINES = 10


def embedded(tx: Tx, invoice: Obj) -> Obj:
    """The invoice's first lines, as embedded in it: a list without total_count (Stripe's ApiList)."""
    url = f"/v1/invoices/{invoice['id']}/lines"
    ordered = _ordered_items(tx, invoice)
    if ordered is not None:
        items, has_more = ordered[:EMBEDDED_LINES], len(ordered) > EMBEDDED_LINES
    else:
        items, has_more = tx.page("invoiceitem", filters={"invoice": invoice["id"]},
                                  limit=EMBEDDED_LINES, newest_first=False)
    return {"object": "list", "data": [line_of(i, invoice) for i in items], "has_more": has_more, "url": url}


def line_of(item: Obj, invoice: Obj) -> Obj:
    """The invoice line item standing for one invoice item, with its share of the invoice's
    discounts and its taxes (computed with the invoice's totals, models/invoice_money.py)."""
    breakdown = (invoice.get("_lines") or {}).get(item["id"]) or {"discount_amounts": [], "taxes": []}
    discount_amounts = breakdown["discount_amounts"]
    return {
        "id": item["_line_id"],
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": discount_amounts,
        "discountable": item["discountable"],
        "discounts": list(item.get("discounts") or []),
        "invoice": item["invoice"],
        "livemode": False,
        "metadata": item["metadata"],
        "parent": {
            "invoice_item_details": {"invoice_item": item["id"], "proration": False,
                                     "proration_details": {"credited_items": None}, "subscription": None},
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": item["period"],
        "pretax_credit_amounts": [
            {"amount": d["amount"], "credit_balance_transaction": None, "discount": d["discount"], "type": "discount"}
            for d in discount_amounts
        ],
        "pricing": item["pricing"],
        "quantity": item["quantity"],
        "quantity_decimal": item["quantity_decimal"],
        "subscription": None,
        "subtotal": item["amount"],
        "taxes": breakdown["taxes"],
    }


def _ordered_items(tx: Tx, invoice: Obj) -> list[Obj] | None:
    """Every item of an invoice that pulled pending items, in Stripe's line order: "(1)
    pending invoice items (including prorations) in reverse chronological order, … and (3)
    invoice items added after invoice creation in chronological order". None for any other
    invoice, whose lines are its items oldest first (read a page at a time)."""
    pulled = invoice.get("_pulled")
    if not pulled:
        return None
    rank = {item_id: n for n, item_id in enumerate(pulled)}
    items = tx.all("invoiceitem", invoice=invoice["id"])  # oldest first; at most 250
    return sorted(items, key=lambda i: (0, rank[i["id"]]) if i["id"] in rank else (1, 0))


def list_lines(ctx: Context, tx: Tx, invoice_id: str, params: Params) -> Obj:
    invoice = require(tx, "invoice", invoice_id)
    ordered = _ordered_items(tx, invoice)
    if ordered is not None:
        return _page_in_order(ordered, params, f"/v1/invoices/{invoice_id}/lines", invoice)
    # Cursors name line ids; map them to their invoice items.
    mapped = dict(params)
    for cursor in ("starting_after", "ending_before"):
        if cursor in params:
            mapped[cursor] = _item_for_line(tx, invoice_id, params[cursor], cursor)
    page = list_page(tx, "invoiceitem", f"/v1/invoices/{invoice_id}/lines", mapped,
                     filters={"invoice": invoice_id}, newest_first=False,
                     render=lambda item: line_of(item, invoice))
    return page


def _page_in_order(items: list[Obj], params: Params, url: str, invoice: Obj) -> Obj:
    """One page of lines from items already in order, with list_page's rules."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequest("Invalid limit: must be between 1 and 100", param="limit")
    if "starting_after" in params and "ending_before" in params:
        raise InvalidRequest(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="starting_after",
        )
    start, end = 0, len(items)
    for cursor in ("starting_after", "ending_before"):
        if cursor in params:
            at = next((n for n, i in enumerate(items) if params[cursor] in (i["_line_id"], i["id"])), None)
            if at is None:
                raise InvalidRequest(f"No such line item: '{params[cursor]}'", code="resource_missing", param=cursor)
            start, end = (at + 1, len(items)) if cursor == "starting_after" else (0, at)
    if "ending_before" in params:
        page, has_more = items[max(start, end - limit):end], end - limit > start
    else:
        page, has_more = items[start:start + limit], end > start + limit
    return {"object": "list", "data": [line_of(i, invoice) for i in page], "has_more": has_more, "url": url}


def _item_for_line(tx: Tx, invoice_id: str, line_id: str, param: str) -> str:
    for item in tx.all("invoiceitem", invoice=invoice_id):
        if item["_line_id"] == line_id or item["id"] == line_id:
            return str(item["id"])
    raise InvalidRequest(f"No such line item: '{line_id}'", code="resource_missing", param=param)
