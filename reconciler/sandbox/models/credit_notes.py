"""Credit notes: create, preview, list, retrieve, update (memo, metadata), void.

"A credit note will first reduce the invoice's amount_remaining (and amount_due), but
not below zero. This amount is indicated by the credit note's pre_payment_amount. The
excess amount is indicated by post_payment_amount", which must be exactly split into
`refund_amount`, `credit_amount` and `out_of_band_amount`
(https://docs.stripe.com/api/credit_notes/create). "You can issue a credit note for open
and paid invoices ... The sum of all credit notes cannot exceed the invoice's total
amount" (https://stripe.com/docs/billing/invoices/credit-notes). Where Stripe is silent
the sandbox's choices are listed in docs/sandbox.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import balances, charges, events, invoices
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
from reconciler.sandbox.models.credit_note_lines import Line, lines_of, render_line, stored
from reconciler.sandbox.store import Tx

REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")
SPLIT = ("refund_amount", "credit_amount", "out_of_band_amount")
EMBEDDED_LINES = 10


@dataclass(frozen=True)
class Draft:
    """A credit note worked out from a request, not yet issued (a preview is one)."""

    invoice: Obj
    lines: list[Line]
    total: int
    pre_payment: int
    post_payment: int
    split: dict[str, int]


def _draft(tx: Tx, params: Params) -> Draft:
    invoice = require(tx, "invoice", params["invoice"], param="invoice")
    if invoice["status"] not in ("open", "paid"):
        raise InvalidRequest(
            f"You can only issue a credit note for open or paid invoices. This invoice ({invoice['id']}) "
            f"is {invoice['status']}.", param="invoice",
        )
    if "reason" in params and params["reason"] not in REASONS:
        raise InvalidRequest(f"Invalid reason: must be one of {', '.join(REASONS)}.", param="reason")
    if "lines" not in params and "amount" not in params:
        raise InvalidRequest("One of amount, lines, or shipping_cost must be provided.",
                             code="parameter_missing", param="amount")
    lines = lines_of(tx, invoice, params)
    total = sum(line.total for line in lines) if lines else int(params.get("amount", 0))
    if lines and "amount" in params and int(params["amount"]) != total:
        raise InvalidRequest(f"amount ({params['amount']}) must equal the sum of the lines' amounts ({total}).",
                             param="amount")
    if total <= 0:
        raise InvalidRequest("A credit note's amount must be positive.", param="amount")
    credited = sum(n["total"] for n in tx.all("credit_note", invoice=invoice["id"], status="issued"))
    if credited + total > invoice["total"]:
        raise InvalidRequest(
            f"The credit note's total ({total}) plus the invoice's earlier credit notes ({credited}) "
            f"exceeds the invoice's total ({invoice['total']}).", code="credit_note_amount_too_large", param="amount",
        )
    pre = min(total, invoice["amount_remaining"]) if invoice["status"] == "open" else 0
    split = {name: int(params.get(name, 0)) for name in SPLIT}
    if any(v < 0 for v in split.values()) or sum(split.values()) != total - pre:
        raise InvalidRequest(
            f"The sum of refund_amount, credit_amount and out_of_band_amount ({sum(split.values())}) must equal "
            f"the credit note's post_payment_amount ({total - pre}): the part of its total ({total}) that exceeds "
            f"the invoice's amount_remaining ({invoice['amount_remaining'] if invoice['status'] == 'open' else 0}).",
            param="refund_amount",
        )
    if split["refund_amount"]:
        _refundable(tx, invoice, split["refund_amount"])
    return Draft(invoice, lines, total, pre, total - pre, split)


def _refundable(tx: Tx, invoice: Obj, amount: int) -> Obj:
    """The invoice's succeeded charge with `amount` left to refund."""
    intent_id = invoice.get("_payment_intent")
    intent = tx.get("payment_intent", intent_id) if intent_id else None
    charge_id = intent[0].get("latest_charge") if intent is not None and intent[0]["status"] == "succeeded" else None
    charge = tx.get("charge", charge_id) if charge_id else None
    if charge is None:
        raise InvalidRequest(
            f"This invoice ({invoice['id']}) has no charge to refund (it was paid outside Stripe, or not "
            "paid): credit the customer's balance (credit_amount) or record the amount as credited outside "
            "Stripe (out_of_band_amount).", param="refund_amount",
        )
    left = charge[0]["amount_captured"] - charge[0]["amount_refunded"]
    if amount > left:
        raise InvalidRequest(f"refund_amount ({amount}) is greater than the unrefunded amount of the invoice's "
                             f"charge ({left}).", code="amount_too_large", param="refund_amount")
    return charge[0]


def _body(draft: Draft, params: Params, note_id: str, number: str, now: int) -> Obj:
    invoice = draft.invoice
    kind = "pre_payment" if not draft.post_payment else "post_payment" if not draft.pre_payment else "mixed"
    return {
        "id": note_id, "object": "credit_note", "amount": draft.total, "amount_shipping": 0, "created": now,
        "currency": invoice["currency"], "customer": invoice["customer"], "customer_account": None,
        "customer_balance_transaction": None, "discount_amount": sum(line.discount_amount for line in draft.lines),
        "discount_amounts": [],
        "effective_at": params.get("effective_at", now), "invoice": invoice["id"], "livemode": False,
        "memo": params.get("memo"), "metadata": new_metadata(params.get("metadata")), "number": number,
        "out_of_band_amount": draft.split["out_of_band_amount"] or None,
        "pdf": f"https://pay.stripe.com/credit_notes/acct_sandbox/test_{note_id.split('_', 1)[1]}/pdf",
        "post_payment_amount": draft.post_payment, "pre_payment_amount": draft.pre_payment,
        "pretax_credit_amounts": [], "reason": params.get("reason"), "refunds": [], "shipping_cost": None,
        "status": "issued", **_totals(draft), "type": kind,
        "voided_at": None,
        "_lines": [stored(line) for line in draft.lines],
        "_credit_amount": draft.split["credit_amount"],
        "_email_type": params.get("email_type", "credit_note"),
    }


def _totals(draft: Draft) -> Obj:
    """subtotal (after discounts, before exclusive tax), total (with it), and the taxes by rate."""
    taxes: dict[str, Obj] = {}
    for line in draft.lines:
        for tax in line.taxes:
            rate = tax["tax_rate_details"]["tax_rate"]
            found = taxes.setdefault(rate, dict(tax, amount=0, taxable_amount=0))
            found["amount"] += tax["amount"]
            found["taxable_amount"] += tax["taxable_amount"]
    exclusive = sum(t["amount"] for t in taxes.values() if t["tax_behavior"] == "exclusive")
    inclusive = sum(t["amount"] for t in taxes.values() if t["tax_behavior"] == "inclusive")
    subtotal = draft.total - exclusive
    return {"subtotal": subtotal, "subtotal_excluding_tax": subtotal - inclusive, "total": draft.total,
            "total_excluding_tax": draft.total - exclusive - inclusive, "total_taxes": list(taxes.values())}


def render(note: Obj) -> Obj:
    """The credit note as the API returns it, with its first lines embedded."""
    out = public(note)
    lines = [render_line(note["id"], n, Line(**raw)) for n, raw in enumerate(note["_lines"])]
    url = "/v1/credit_notes/preview/lines" if note.get("_preview") else f"/v1/credit_notes/{note['id']}/lines"
    out["lines"] = {"object": "list", "data": lines[:EMBEDDED_LINES], "has_more": len(lines) > EMBEDDED_LINES,
                    "url": url}
    return out


def _preview_note(ctx: Context, tx: Tx, params: Params) -> Obj:
    """The credit note `create` would issue, changing nothing (its id is derived from the request)."""
    draft = _draft(tx, params)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:24]
    note = _body(draft, params, f"cn_{digest}", _number(tx, draft.invoice), ctx.now())
    note["_preview"] = True
    return note


def preview(ctx: Context, tx: Tx, params: Params) -> Obj:
    return render(_preview_note(ctx, tx, params))


def preview_lines(ctx: Context, tx: Tx, params: Params) -> Obj:
    request = {k: v for k, v in params.items() if k not in ("limit", "starting_after", "ending_before")}
    note = _preview_note(ctx, tx, request)
    everything = [render_line(note["id"], n, Line(**raw)) for n, raw in enumerate(note["_lines"])]
    return _page(everything, params, "/v1/credit_notes/preview/lines")


def _number(tx: Tx, invoice: Obj) -> str:
    """Stripe numbers a credit note after its invoice: "C9E0C52C-0036-CN-01" (the API reference's example)."""
    return f"{invoice['number']}-CN-{tx.count('credit_note', invoice=invoice['id']) + 1:02d}"


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    draft = _draft(tx, params)
    note = _body(draft, params, ctx.new_id(tx, "cn"), _number(tx, draft.invoice), ctx.now())
    if draft.split["refund_amount"]:
        charge = _refundable(tx, draft.invoice, draft.split["refund_amount"])
        refund = charges.refund(ctx, tx, {"charge": charge["id"], "amount": draft.split["refund_amount"]})
        note["refunds"] = [{"amount_refunded": refund["amount"], "payment_record_refund": None,
                            "refund": refund["id"], "type": "refund"}]
    if draft.split["credit_amount"]:
        note["customer_balance_transaction"] = _balance(ctx, tx, note, -draft.split["credit_amount"])
    tx.insert("credit_note", note, customer=note["customer"], invoice=note["invoice"], status="issued")
    rendered = render(note)
    events.record(ctx, tx, "credit_note.created", rendered)
    _reduce_invoice(ctx, tx, draft.invoice["id"], pre=draft.pre_payment, post=draft.post_payment)
    return rendered


def _balance(ctx: Context, tx: Tx, note: Obj, amount: int) -> str:
    """Move the customer's balance by `amount` (negative: a credit), recorded as a balance transaction."""
    customer = require(tx, "customer", note["customer"])
    before = public(customer)
    entry = balances.record(ctx, tx, customer, amount, note["currency"], kind="credit_note",
                            credit_note=note["id"])
    events.record(ctx, tx, "customer.updated", customer, previous=events.changed(before, public(customer)))
    return str(entry["id"])


def _reduce_invoice(ctx: Context, tx: Tx, invoice_id: str, *, pre: int, post: int) -> None:
    """The invoice after a credit note (or, with negative amounts, after its void)."""
    invoice = require(tx, "invoice", invoice_id)
    before = public(invoice)
    invoice["amount_due"] -= pre
    invoice["amount_remaining"] -= pre
    invoice["pre_payment_credit_notes_amount"] += pre
    invoice["post_payment_credit_notes_amount"] += post
    paid_now = invoice["status"] == "open" and invoice["amount_remaining"] == 0
    if paid_now:
        # "if a credit note reduces the balance of an open invoice to zero", Stripe marks it paid
        # (https://docs.stripe.com/invoicing/dashboard/credit-notes); no payment is recorded.
        invoice["status"] = "paid"
        invoice["auto_advance"] = False
        invoice["status_transitions"] = dict(invoice["status_transitions"], paid_at=ctx.now())
    invoices._save(tx, invoice)
    rendered = invoices.render(tx, invoice)
    events.record(ctx, tx, "invoice.updated", rendered, previous=events.changed(before, public(invoice)))
    if paid_now:
        events.record(ctx, tx, "invoice.paid", rendered)


def retrieve(ctx: Context, tx: Tx, note_id: str) -> Obj:
    return render(require(tx, "credit_note", note_id))


def list_notes(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {k: params[k] for k in ("customer", "invoice") if k in params}
    return list_page(tx, "credit_note", "/v1/credit_notes", params, filters=filters, render=render)


def list_lines(ctx: Context, tx: Tx, note_id: str, params: Params) -> Obj:
    note = require(tx, "credit_note", note_id)
    everything = [render_line(note_id, n, Line(**raw)) for n, raw in enumerate(note["_lines"])]
    return _page(everything, params, f"/v1/credit_notes/{note_id}/lines")


def _page(lines: list[Obj], params: Params, url: str) -> Obj:
    """One page of lines already in order, with the list endpoints' rules."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequest("Invalid limit: must be between 1 and 100", param="limit")
    ids = [line["id"] for line in lines]
    for cursor in ("starting_after", "ending_before"):
        if cursor in params and params[cursor] not in ids:
            raise InvalidRequest(f"No such credit note line item: '{params[cursor]}'", code="resource_missing",
                                 param=cursor)
    if "ending_before" in params:
        end = ids.index(params["ending_before"])
        start = max(0, end - limit)
        return {"object": "list", "data": lines[start:end], "has_more": start > 0, "url": url}
    start = ids.index(params["starting_after"]) + 1 if "starting_after" in params else 0
    return {"object": "list", "data": lines[start:start + limit], "has_more": start + limit < len(lines), "url": url}


def update(ctx: Context, tx: Tx, note_id: str, params: Params) -> Obj:
    """Only `memo` and `metadata` change once a credit note is issued (the update endpoint takes no more)."""
    note = require(tx, "credit_note", note_id)
    before = public(note)
    if "memo" in params:
        note["memo"] = params["memo"] or None
    note["metadata"] = apply_metadata(note["metadata"], params.get("metadata"))
    previous = events.changed(before, public(note))
    if previous:
        tx.update(note, customer=note["customer"], invoice=note["invoice"], status=note["status"])
        events.record(ctx, tx, "credit_note.updated", render(note), previous=previous)
    return render(note)


def void(ctx: Context, tx: Tx, note_id: str, params: Params) -> Obj:
    """Void an issued credit note, undoing what can be undone (see docs/sandbox.md for what is refused)."""
    note = require(tx, "credit_note", note_id)
    if note["status"] != "issued":
        raise InvalidRequest(f"This credit note ({note_id}) is already void.", param="id")
    if note["refunds"]:
        # Not documented by Stripe: money refunded cannot be taken back, so the sandbox refuses.
        raise InvalidRequest(f"This credit note ({note_id}) refunded a payment: it cannot be voided.", param="id")
    invoice = require(tx, "invoice", note["invoice"])
    if note["pre_payment_amount"] and invoice["status"] != "open":
        raise InvalidRequest(
            f"This credit note ({note_id}) reduced the amount due of invoice {invoice['id']}, which is now "
            f"{invoice['status']}: it cannot be voided.", param="id",
        )
    before = public(note)
    note["status"] = "void"
    note["voided_at"] = ctx.now()
    if note["_credit_amount"]:
        _balance(ctx, tx, note, note["_credit_amount"])
    tx.update(note, customer=note["customer"], invoice=note["invoice"], status="void")
    rendered = render(note)
    events.record(ctx, tx, "credit_note.voided", rendered, previous=events.changed(before, public(note)))
    _reduce_invoice(ctx, tx, invoice["id"], pre=-note["pre_payment_amount"], post=-note["post_payment_amount"])
    return rendered
