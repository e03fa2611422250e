"""Credit notes: issue new ones, change memo and metadata, void; everything else is frozen.

A credit note is issued only on an invoice that is open or paid in Stripe and that
this plan leaves alone: its Stripe id and line ids are then known, the amount it
takes off the amount remaining is fixed (Stripe's rule: first the amount remaining,
the rest split exactly into refund_amount, credit_amount and out_of_band_amount;
https://docs.stripe.com/api/credit_notes/create), and the plan can preview it. One
whose invoice is still to be finalized or paid waits for the next plan (a note says so).
The arithmetic here is the planner's own; the sandbox computes it independently.
"""

from __future__ import annotations

from typing import Any

from reconciler.live.records import Live, LiveCreditNote, LiveInvoice, LiveItem
from reconciler.ownership import OWNER_KEY
from reconciler.plan.actions import CreateCreditNote, FieldChange, UpdateCreditNote, VoidCreditNote
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.diff import (
    create_metadata,
    drift_reason,
    drop_none,
    field_changes,
    owned_metadata_changes,
)
from reconciler.spec.models import CreditNoteLineSpec, CreditNoteSpec

WAY_OUT = "void it (status: void) and issue a new one under a new key"


def plan_credit_notes(ctx: Context) -> None:
    acted_on = {a.key for a in ctx.actions if a.kind in ("invoice", "item")}
    for key in sorted(ctx.desired.credit_notes):
        spec = ctx.desired.credit_notes[key]
        cur = ctx.live.credit_notes.get(key)
        if cur is None:
            _issue(ctx, key, spec, acted_on)
        else:
            _keep(ctx, key, spec, cur)


def _issue(ctx: Context, key: str, spec: CreditNoteSpec, acted_on: set[str]) -> None:
    label = f"credit note {key}"
    if spec.status == "void":
        ctx.note(f"{label}: status void and never issued: nothing to do")
        return
    invoice = ctx.live.invoices.get(spec.invoice)
    if invoice is None or invoice.status == "draft" or spec.invoice in acted_on:
        ctx.note(f"{label} waits for invoice {spec.invoice} to be finalized in Stripe, with nothing left to do "
                 "to it: plan again after this apply")
        return
    wanted = ctx.desired.invoices.get(spec.invoice)
    wanted_status = wanted.status if wanted is not None else None
    if invoice.status not in ("open", "paid"):
        refused = (f"{label}: invoice {spec.invoice} is {invoice.status}; Stripe issues credit notes on open or "
                   "paid invoices only: remove the credit note")
        if wanted_status != invoice.status:  # someone else's doing: hold this credit note only
            ctx.hold(f"credit_note:{key}", None, f"{refused} (the spec says the invoice is {wanted_status})")
        else:
            ctx.problem("credit_note", refused)
        return
    lines = _line_params(ctx, label, spec, invoice)
    if lines is None:
        return
    total = sum(line.pop("_total") for line in lines) if spec.lines else spec.amount or 0
    remaining = invoice.amount_remaining if invoice.status == "open" else 0
    post = total - min(total, remaining)
    # Lines of an invoice with tax or discounts credit their share of those too, as Stripe works it
    # out: the exact split is then left to Stripe's preview, which refuses it in Stripe's words.
    exact = not spec.lines or invoice.total == sum(item.amount for item in invoice.items)
    if exact and spec.split() != post:
        refused = _split_problem(label, spec, invoice, total, remaining)
        since = _changed_by_others(ctx, invoice, wanted_status)
        if since:  # the split was right for the invoice as it was: a person decides where the credit goes now
            ctx.hold(f"credit_note:{key}", None, f"{refused}; {since}: write the split for the invoice as it is now")
        else:
            ctx.problem("credit_note", refused)
        return
    if spec.refund_amount and invoice.paid_out_of_band:
        ctx.problem("credit_note", f"{label}: invoice {spec.invoice} was paid outside Stripe: there is no payment "
                                   "to refund; use credit_amount (the customer's balance) or out_of_band_amount")
        return
    params: dict[str, Any] = {
        "invoice": invoice.id,
        "lines": lines or None,
        "amount": None if spec.lines else spec.amount,
        "reason": spec.reason,
        "memo": spec.memo,
        "refund_amount": spec.refund_amount or None,
        "credit_amount": spec.credit_amount or None,
        "out_of_band_amount": spec.out_of_band_amount or None,
        "email_type": spec.email_type,
        "metadata": create_metadata({OWNER_KEY: key}, spec.metadata),
    }
    credits = f"{total}" if exact else f"{total} before tax and discounts"
    ctx.add(CreateCreditNote(key=key, reason=f"not in Stripe: credits {credits} on invoice {spec.invoice}",
                             params=drop_none(params)))


def _changed_by_others(ctx: Context, invoice: LiveInvoice, wanted_status: str | None) -> str | None:
    """What someone else did to the invoice that changes where a credit goes (paid it, credited it), or None."""
    if invoice.status == "paid" and wanted_status != "paid":
        return f"the invoice was paid in Stripe (the spec says {wanted_status})"
    theirs = credited_by_others(ctx.live, invoice)
    if theirs > 0:
        return f"credit notes not in the specs took {theirs} off the invoice"
    return None


def credited_by_others(live: Live, invoice: LiveInvoice) -> int:
    """What credit notes not in the specs took off `invoice` (its credited amounts less the specs' issued ones)."""
    ours = sum(note.pre_payment_amount + note.post_payment_amount for note in live.credit_notes.values()
               if note.invoice_id == invoice.id and note.status == "issued")
    return invoice.pre_payment_credit_notes_amount + invoice.post_payment_credit_notes_amount - ours


def _split_problem(label: str, spec: CreditNoteSpec, invoice: LiveInvoice, total: int, remaining: int) -> str:
    post = total - min(total, remaining)
    return (
        f"{label}: refund_amount + credit_amount + out_of_band_amount is {spec.split()}, but Stripe needs exactly "
        f"{post}: the credit note's total {total} less what it takes off invoice {spec.invoice}'s amount remaining "
        f"({min(total, remaining)} of {remaining}, the invoice being {invoice.status})"
    )


def _line_params(ctx: Context, label: str, spec: CreditNoteSpec, invoice: LiveInvoice) -> list[dict[str, Any]] | None:
    """Stripe's `lines` (each with its total under "_total"); None after a problem."""
    items = {item.key: item for item in invoice.items if item.key}
    out = []
    for index, line in enumerate(spec.lines or ()):
        if line.item is None:
            quantity = line.quantity or 1
            amount = line.amount or 0
            out.append({"type": "custom_line_item", "description": line.description, "quantity": quantity,
                        "unit_amount": amount // quantity, "_total": amount})
            continue
        item = items.get(line.item)
        if item is None or not item.line_id:
            ctx.problem("credit_note", f"{label} lines[{index}]: invoice {spec.invoice} has no item {line.item} in "
                                       "Stripe (items of an invoice are known by their keys)")
            return None
        out.append(_item_line(line, item))
    return out


def _item_line(line: CreditNoteLineSpec, item: LiveItem) -> dict[str, Any]:
    if line.quantity is not None:
        # Stripe credits quantity x the line's unit amount; halves round up.
        total = (item.amount * line.quantity * 2 + item.quantity) // (2 * item.quantity)
        return {"type": "invoice_line_item", "invoice_line_item": item.line_id, "quantity": line.quantity,
                "_total": total}
    return {"type": "invoice_line_item", "invoice_line_item": item.line_id, "amount": line.amount,
            "_total": line.amount}


def _keep(ctx: Context, key: str, spec: CreditNoteSpec, cur: LiveCreditNote) -> None:
    label = f"credit note {key} ({cur.number or cur.id})"
    if cur.status == "void":
        if spec.status != "void":
            # Someone voided it (the tool voids only what a spec says void): a conflict for a person, held
            # like an invoice a colleague voided; the rest of the plan goes on.
            ctx.hold(f"credit_note:{key}", cur.id, f"{label} is void in Stripe and cannot be issued again: write "
                                                   "status: void, or issue a new one under a new key")
        elif field_changes([("memo", cur.memo, spec.memo)]) or owned_metadata_changes(
                cur.metadata, cur.owned_keys, spec.metadata):
            # Stripe documents no update of a void credit note: it is history, left as it was voided.
            ctx.note(f"{label} is void: its memo and metadata are not compared with the spec (a void credit "
                     "note is left as it was voided)")
        return
    frozen = _frozen_changes(ctx, spec, cur)
    if frozen:
        ctx.problem("credit_note", f"{label} is issued: {'; '.join(frozen)} cannot change (only memo, metadata and "
                                   f"status: void can); to change it, {WAY_OUT}")
        return
    changes: list[FieldChange] = field_changes([("memo", cur.memo, spec.memo)]) + ctx.metadata_changes(
        f"credit note {key}", cur.metadata, cur.owned_keys, spec.metadata)
    if changes:
        ctx.add(UpdateCreditNote(key=key, reason=drift_reason(changes), stripe_id=cur.id, changes=tuple(changes)))
    if spec.status == "void":
        if cur.refund_amount:
            ctx.problem("credit_note", f"{label} refunded {cur.refund_amount} to the customer's payment: money "
                                       "refunded cannot be taken back, so it cannot be voided")
            return
        ctx.add(VoidCreditNote(key=key, reason="spec says status void", stripe_id=cur.id,
                               depends_on=ctx.if_planned(UpdateCreditNote.id_for(key))))


def _frozen_changes(ctx: Context, spec: CreditNoteSpec, cur: LiveCreditNote) -> list[str]:
    """What the spec asks that differs from the issued credit note, each as 'field live -> spec'."""
    invoice = ctx.live.invoices.get(spec.invoice)
    found: list[str] = []
    # Issued on an invoice a revision replaced since: it stays there (Stripe copies no credit notes to a
    # revision, https://docs.stripe.com/invoicing/invoice-edits), and is the key's history, no change.
    revised = {original.id for original in ctx.live.revised.get(spec.invoice, ())}
    if cur.invoice_id in revised:
        return found
    if invoice is None or invoice.id != cur.invoice_id:
        found.append(f"invoice ({cur.invoice_id} -> {spec.invoice})")
    for name, live_value, wanted in (
        ("reason", cur.reason, spec.reason),
        ("refund_amount", cur.refund_amount, spec.refund_amount),
        ("credit_amount", cur.credit_amount, spec.credit_amount),
        ("out_of_band_amount", cur.out_of_band_amount, spec.out_of_band_amount),
    ):
        if live_value != wanted:
            found.append(f"{name} ({live_value} -> {wanted})")
    if spec.lines is None:
        if cur.amount != spec.amount:
            found.append(f"amount ({cur.amount} -> {spec.amount})")
    elif invoice is not None and _lines_of(spec, invoice) != _live_lines(cur):
        found.append("lines")
    return found


def _lines_of(spec: CreditNoteSpec, invoice: LiveInvoice) -> list[tuple[Any, ...]]:
    line_ids = {item.key: item.line_id for item in invoice.items if item.key}
    out: list[tuple[Any, ...]] = []
    for line in spec.lines or ():
        if line.item is None:
            out.append(("custom", line.description, line.quantity or 1, line.amount))
        elif line.quantity is not None:
            out.append(("item", line_ids.get(line.item), "quantity", line.quantity))
        else:
            out.append(("item", line_ids.get(line.item), "amount", line.amount))
    return sorted(out, key=repr)


def _live_lines(cur: LiveCreditNote) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for line in cur.lines:
        if line.type == "custom_line_item":
            out.append(("custom", line.description, line.quantity or 1, line.amount))
        elif line.quantity is not None:
            out.append(("item", line.invoice_line_item, "quantity", line.quantity))
        else:
            out.append(("item", line.invoice_line_item, "amount", line.amount))
    return sorted(out, key=repr)
