"""What customers will notice: invoices emailed, voided, marked paid or uncollectible.

Pure: derived from the plan's lifecycle actions, the specs and live state, for
renderers to show before anything else (a reviewer reads this first).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from reconciler.live.previews import CreditPreview
from reconciler.live.records import Live, LiveCreditNote, LiveInvoice
from reconciler.plan.actions import (
    Action,
    ChargeInvoice,
    CreateCreditNote,
    CreateRevision,
    FinalizeInvoice,
    MarkUncollectible,
    PayInvoice,
    SendInvoice,
    VoidCreditNote,
    VoidInvoice,
)
from reconciler.plan.plan import CustomerNotice, InvoiceTotal
from reconciler.plan.render.money import format_money
from reconciler.spec.models import CustomerSpec, Desired

EFFECTS: dict[type[Action], str] = {
    SendInvoice: "emailed",
    VoidInvoice: "voided",
    PayInvoice: "marked paid",
    ChargeInvoice: "charged",
    MarkUncollectible: "marked uncollectible",
}


def _effect(action: Action, revision: CreateRevision | None) -> str | None:
    """What the customer sees; a revision says which invoice it replaces (its new number
    is Stripe's to give when it is finalized)."""
    if isinstance(action, CreateRevision):
        return f"revised: {_invoice_name(action)} is voided when its revision is finalized"
    effect = EFFECTS.get(type(action))
    if effect is not None and revision is not None:
        return f"{effect} (the revision replacing {_invoice_name(revision)}, with a new number: a second email)"
    return effect


def _invoice_name(revision: CreateRevision) -> str:
    return f"number {revision.number} ({revision.revises})" if revision.number else revision.revises


def _recipient(name: str | None, email: str | None) -> str | None:
    if name and email:
        return f"{name} <{email}>"
    return email or name or None


def billed_to(customer: CustomerSpec | None) -> str:
    """The billing identity the spec gives a customer, as Stripe copies it onto an invoice at
    finalization: "Friedrichstr. 123, 10117 Berlin, DE; eu_vat DE123456789" ("" when it names none)."""
    if customer is None:
        return ""
    parts: list[str] = []
    if customer.address:  # "" removes it
        a = customer.address
        town = " ".join(p for p in (a.postal_code, a.city) if p)
        parts.append(", ".join(p for p in (a.line1, a.line2, town, a.state, a.country) if p))
    parts += [f"{t.type} {t.value}" for t in customer.tax_ids or ()]
    return "; ".join(p for p in parts if p)


def customer_notices(
    actions: tuple[Action, ...], desired: Desired, live: Live, totals: tuple[InvoiceTotal, ...]
) -> tuple[CustomerNotice, ...]:
    """One notice per lifecycle action a customer sees, in plan order."""
    finalized_here = {a.key for a in actions if isinstance(a, FinalizeInvoice)}
    revised_here = {a.key: a for a in actions if isinstance(a, CreateRevision)}
    customer_by_id = {c.id: c for c in live.customers.values()}
    total_by_key = {t.invoice: t for t in totals}
    out = []
    for action in actions:
        effect = _effect(action, revised_here.get(action.key))
        if effect is None:
            continue
        spec, cur = desired.invoices.get(action.key), live.invoices.get(action.key)
        live_customer = customer_by_id.get(cur.customer_id) if cur is not None else None
        customer_key = spec.customer if spec is not None else (live_customer.key if live_customer else "")
        # The spec's name and email are what Stripe will hold once this plan ran.
        wanted = desired.customers.get(customer_key)
        known = live.customers.get(customer_key) or live_customer
        name = wanted.name if wanted is not None else (known.name if known else None)
        email = wanted.email if wanted is not None else (known.email if known else None)
        total = total_by_key.get(action.key)
        # What the customer is asked to pay: the amount due once the balance is applied, where known.
        due_amount = total.amounts.amount_due if total is not None and total.amounts is not None else None
        amount = due_amount if due_amount is not None else total.amount if total else (cur.total if cur else None)
        currency = total.currency if total else (cur.currency if cur else None)
        if action.key in finalized_here and spec is not None and spec.due_date is not None:
            due: str | None = spec.due_date.isoformat()  # a day the spec gives, not a term
        elif action.key in finalized_here and spec is not None and spec.collection_method == "send_invoice":
            due = f"{spec.days_until_due} days after it is finalized"
        elif cur is not None and cur.due_date:
            due = datetime.fromtimestamp(cur.due_date, tz=UTC).strftime("%Y-%m-%d")
        else:
            due = None
        card = action.card if isinstance(action, ChargeInvoice) else None
        recipient = _recipient(name, email)
        # Finalized in this plan: the billing identity Stripe copies onto it then (--redact masks it with the name).
        billed = billed_to(wanted) if action.key in finalized_here else ""
        if billed:
            recipient = f"{recipient or 'customer ' + customer_key}, billed to {billed}"
        out.append(CustomerNotice(action.key, effect, customer_key, recipient, amount, currency, due, card))
    return tuple(out)


def credit_note_notices(
    actions: tuple[Action, ...], previews: Mapping[str, CreditPreview], desired: Desired, live: Live
) -> tuple[CustomerNotice, ...]:
    """One notice per credit note the plan issues: what Stripe's preview says changes for the customer."""
    out = []
    for action in actions:
        if not isinstance(action, CreateCreditNote) or action.key not in previews:
            continue
        preview, spec = previews[action.key], desired.credit_notes[action.key]
        invoice = live.invoices.get(spec.invoice)
        customer_key, recipient = _credited_customer(desired, live, invoice.customer_id if invoice else None)
        out.append(CustomerNotice(spec.invoice, "credited", customer_key, recipient,
                                  preview.amount, preview.currency, None,
                                  detail=_credit_detail(preview, invoice.amount_remaining if invoice else 0,
                                                        emailed=spec.email_type != "none")))
    return tuple(out)


def _credited_customer(desired: Desired, live: Live, customer_id: str | None) -> tuple[str, str | None]:
    """(spec key, "Name <email>" as Stripe will have it) of the customer with Stripe id `customer_id`."""
    customer = next((c for c in live.customers.values() if customer_id and c.id == customer_id), None)
    if customer is None:
        return "", None
    wanted = desired.customers.get(customer.key)
    name = wanted.name if wanted else customer.name
    email = wanted.email if wanted else customer.email
    return customer.key, _recipient(name, email)


def credit_void_notices(actions: tuple[Action, ...], desired: Desired, live: Live) -> tuple[CustomerNotice, ...]:
    """One notice per credit note the plan voids: the credit the customer had goes back (the amount
    remaining it took off returns, a balance credit is taken back), as issuing it was a notice too."""
    out = []
    for action in actions:
        note = live.credit_notes.get(action.key) if isinstance(action, VoidCreditNote) else None
        if note is None:
            continue
        invoice = next((i for i in live.invoices.values() if i.id == note.invoice_id), None)
        customer_key, recipient = _credited_customer(desired, live, note.customer_id)
        out.append(CustomerNotice(invoice.key if invoice else note.invoice_id, f"credit note {note.number or note.id} "
                                  "voided", customer_key, recipient, note.amount, note.currency, None,
                                  detail=_void_detail(note, invoice)))
    return tuple(out)


def _void_detail(note: LiveCreditNote, invoice: LiveInvoice | None) -> str:
    """'amount remaining $7.00 USD -> $10.00 USD; $3.00 USD credited to their balance taken back'."""
    def money(amount: int) -> str:
        return format_money(amount, note.currency)

    parts = []
    if note.pre_payment_amount and invoice is not None:
        remaining = invoice.amount_remaining
        parts.append(f"amount remaining {money(remaining)} -> {money(remaining + note.pre_payment_amount)}")
    if note.credit_amount:
        parts.append(f"{money(note.credit_amount)} credited to their balance taken back")
    if note.out_of_band_amount:
        parts.append(f"{money(note.out_of_band_amount)} credited outside Stripe no longer recorded")
    return "; ".join(parts) or "its credit withdrawn"


def _credit_detail(preview: CreditPreview, remaining: int, *, emailed: bool) -> str:
    """'amount remaining $20.00 USD -> $10.00 USD; $5.00 USD refunded to their payment; …'."""
    def money(amount: int) -> str:
        return format_money(amount, preview.currency)

    parts = []
    if preview.pre_payment_amount:
        parts.append(f"amount remaining {money(remaining)} -> {money(remaining - preview.pre_payment_amount)}")
    if preview.refund_amount:
        parts.append(f"{money(preview.refund_amount)} refunded to their payment")
    if preview.credit_amount:
        parts.append(f"{money(preview.credit_amount)} credited to their balance")
    if preview.out_of_band_amount:
        parts.append(f"{money(preview.out_of_band_amount)} credited outside Stripe")
    parts.append("the credit note emailed" if emailed else "no email")
    return "; ".join(parts)
