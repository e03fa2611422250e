"""Invoice lifecycle: finalize, send, void, mark uncollectible, pay."""

from __future__ import annotations

from reconciler.sandbox.exceptions import CardError, InvalidRequest
from reconciler.sandbox.models import (
    charges,
    customers,
    events,
    invoice_money,
    invoice_payments,
    payment_methods,
    revisions,
    tax_ids,
    timers,
)
from reconciler.sandbox.models.base import Context, Obj, Params, public, require
from reconciler.sandbox.models.invoices import _save, render
from reconciler.sandbox.store import Tx

DAY = 86_400


def _require_status(invoice: Obj, allowed: tuple[str, ...], action: str) -> None:
    if invoice["status"] not in allowed:
        raise InvalidRequest(
            f"You can only {action} {' or '.join(allowed)} invoices. This invoice "
            f"({invoice['id']}) is {invoice['status']}.", param="invoice",
        )


def finalize(ctx: Context, tx: Tx, invoice_id: str, params: Params) -> Obj:
    invoice = require(tx, "invoice", invoice_id)
    if invoice["status"] != "draft":
        raise InvalidRequest(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
            param="invoice",
        )
    if "auto_advance" in params:
        invoice["auto_advance"] = params["auto_advance"]
    _finalize_draft(ctx, tx, invoice)
    return render(tx, invoice)


def _finalize_draft(ctx: Context, tx: Tx, invoice: Obj) -> None:
    """Draft to open (or paid, when nothing is due); `invoice` is updated in place."""
    now = ctx.now()
    original = revisions.check_finalizable(tx, invoice)
    invoice_money.check_tax_location(tx, invoice)
    _copy_customer_details(tx, invoice)
    timers.cancel(tx, invoice["id"])
    invoice["automatically_finalizes_at"] = None
    if invoice["number"] is None and original is not None:
        invoice["number"] = revisions.number(tx, invoice)
    if invoice["number"] is None:
        prefix, sequence = customers.bump_sequence(tx, invoice["customer"])
        invoice["number"] = f"{prefix}-{sequence:04d}"
    secret = invoice["id"].split("_", 1)[1]
    invoice["hosted_invoice_url"] = f"https://invoice.stripe.com/i/acct_sandbox/test_{secret}"
    invoice["invoice_pdf"] = f"https://pay.stripe.com/invoice/acct_sandbox/test_{secret}/pdf"
    if invoice["collection_method"] == "send_invoice" and invoice["due_date"] is None:
        invoice["due_date"] = invoice["created"] + invoice["days_until_due"] * DAY
    # "Same as finalized_at unless overwritten."
    invoice["effective_at"] = invoice.get("effective_at") or now
    if original is not None:
        # "For revision invoices, this also includes any customer balance that was applied to the
        # original invoice" (stripe-python's Invoice.starting_balance): given back before it applies.
        invoice_money.unapply(ctx, tx, original)
    # The customer's balance applies now, and a total below the minimum charge is carried to it.
    invoice_money.settle(ctx, tx, invoice)
    invoice["status"] = "open"
    invoice["status_transitions"] = dict(invoice["status_transitions"], finalized_at=now)
    _save(tx, invoice)
    events.record(ctx, tx, "invoice.finalized", render(tx, invoice))
    if original is not None:
        revisions.replace_original(ctx, tx, invoice, original)
    if invoice["amount_due"] == 0:
        # Stripe marks a zero-amount invoice paid as soon as it is finalized, and one below
        # the minimum charge ("the invoice is automatically marked paid").
        _mark_paid(ctx, tx, invoice, off_stripe=False)


def _copy_customer_details(tx: Tx, invoice: Obj) -> None:
    """Stripe copies the customer's details onto the invoice when it is finalized
    (until then they follow the customer; after, they never change)."""
    found = tx.get("customer", invoice["customer"])
    if found is None or found[1]:
        return  # a deleted customer: the invoice keeps what it was created with
    customer = found[0]
    for name in ("address", "email", "name", "phone", "shipping", "tax_exempt"):
        invoice[f"customer_{name}"] = customer.get(name)
    invoice["customer_tax_ids"] = tax_ids.invoice_copies(tx, customer["id"])


def send(ctx: Context, tx: Tx, invoice_id: str, params: Params) -> Obj:
    invoice = require(tx, "invoice", invoice_id)
    if invoice["collection_method"] != "send_invoice":
        raise InvalidRequest(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
            param="invoice",
        )
    if invoice["status"] == "draft":
        # "Stripe automatically finalizes drafts before sending and attempting payment on invoices."
        _finalize_draft(ctx, tx, invoice)
    if invoice["status"] not in ("open", "paid"):
        # Stripe documents sending open invoices, and paid ones ("there will be no reference to
        # the payment in the email"); not documented: a void or uncollectible one is refused.
        raise InvalidRequest(
            f"You can only send open or paid invoices (a draft is finalized first). This invoice "
            f"({invoice['id']}) is {invoice['status']}.", param="invoice",
        )
    return _record_sent(ctx, tx, invoice)


def _record_sent(ctx: Context, tx: Tx, invoice: Obj) -> Obj:
    # Each call emails the customer again: every one records its own event.
    rendered = render(tx, invoice)
    events.record(ctx, tx, "invoice.sent", rendered)
    return rendered


def advance_due(ctx: Context, tx: Tx) -> int:
    """Stripe's timer: finalize each auto-advancing draft whose time has come, then email
    it (Stripe "attempt[s] to finalize and send the invoice") or charge it; how many advanced. Their events carry no request, as Stripe's own do."""
    fired = timers.due(ctx, tx)
    for invoice_id in fired:
        found = tx.get("invoice", invoice_id)
        if found is None or found[1] or found[0]["status"] != "draft" or not found[0]["auto_advance"]:
            continue
        invoice = found[0]
        _finalize_draft(ctx, tx, invoice)
        if invoice["status"] != "open":
            continue  # nothing was due: paid at finalization
        if invoice["collection_method"] == "send_invoice":
            _record_sent(ctx, tx, invoice)
        else:
            _attempt_payment(ctx, tx, invoice)
    return len(fired)


def _attempt_payment(ctx: Context, tx: Tx, invoice: Obj) -> None:
    """"Stripe automatically finalizes your invoice and attempts payment" on a
    charge_automatically invoice; without a payment method to charge the sandbox attempts
    nothing (not documented by Stripe), and a decline leaves the invoice open."""
    try:
        _method_id(tx, invoice, {})
    except InvalidRequest:
        return
    try:
        _charge(ctx, tx, invoice, {})
    except CardError:
        pass  # invoice.payment_failed (or payment_action_required) is recorded: it stays open


def void(ctx: Context, tx: Tx, invoice_id: str, params: Params) -> Obj:
    invoice = require(tx, "invoice", invoice_id)
    _require_status(invoice, ("open", "uncollectible"), "void")
    before = public(invoice)
    invoice["status"] = "void"
    invoice["auto_advance"] = False  # "For these invoices, auto_advance is always set to false"
    invoice["status_transitions"] = dict(invoice["status_transitions"], voided_at=ctx.now())
    invoice_money.unapply(ctx, tx, invoice)
    _save(tx, invoice)
    rendered = render(tx, invoice)
    events.record(ctx, tx, "invoice.voided", rendered, previous=events.changed(before, public(invoice)))
    return rendered


def mark_uncollectible(ctx: Context, tx: Tx, invoice_id: str, params: Params) -> Obj:
    invoice = require(tx, "invoice", invoice_id)
    _require_status(invoice, ("open",), "mark as uncollectible")
    before = public(invoice)
    invoice["status"] = "uncollectible"
    invoice["auto_advance"] = False
    invoice["status_transitions"] = dict(invoice["status_transitions"], marked_uncollectible_at=ctx.now())
    _save(tx, invoice)
    rendered = render(tx, invoice)
    events.record(ctx, tx, "invoice.marked_uncollectible", rendered, previous=events.changed(before, public(invoice)))
    return rendered


def pay(ctx: Context, tx: Tx, invoice_id: str, params: Params) -> Obj:
    invoice = require(tx, "invoice", invoice_id)
    if invoice["status"] == "draft":
        # Finalized before the payment attempt, as `send` does; a request that could not pay
        # at all (no payment method) is refused first, so it leaves the draft as it was.
        if not params.get("paid_out_of_band"):
            _method_id(tx, invoice, params)
        _finalize_draft(ctx, tx, invoice)
        if invoice["status"] == "paid":  # nothing was due
            return render(tx, invoice)
    _require_status(invoice, ("open", "uncollectible"), "pay")
    if invoice.get("_payment") == "processing":
        # Settling the customer's payment later would pay the invoice a second time.
        raise InvalidRequest(
            f"This invoice ({invoice['id']}) has a payment processing; it can be paid out of band only "
            "once that payment has failed.", param="invoice",
        )
    if params.get("paid_out_of_band"):
        return _mark_paid(ctx, tx, invoice, off_stripe=True)
    return _charge(ctx, tx, invoice, params)


def _method_id(tx: Tx, invoice: Obj, params: Params) -> str:
    """The payment method Stripe resolves: the `payment_method` parameter, else the invoice's
    default, else the customer's invoice_settings default (https://docs.stripe.com/api/invoices/pay)."""
    customer = require(tx, "customer", invoice["customer"])
    method_id = (
        payment_methods.owned(tx, customer["id"], params.get("payment_method"), param="payment_method")
        or invoice.get("default_payment_method")
        or customer["invoice_settings"].get("default_payment_method")
    )
    if not method_id:
        raise InvalidRequest(
            "This customer has no attached payment source or default payment method. "
            "Pass paid_out_of_band=true to record a payment made outside Stripe.",
            param="paid_out_of_band",
        )
    return str(method_id)


def _charge(ctx: Context, tx: Tx, invoice: Obj, params: Params) -> Obj:
    """Charge the resolved payment method."""
    method = payment_methods.card_of(tx, _method_id(tx, invoice, params))
    attempt = charges.attempt(ctx, tx, invoice, method)
    invoice_payments.record(ctx, tx, invoice, attempt.intent)
    if attempt.decline is None and not attempt.requires_action:
        customer_paid(ctx, tx, invoice)
        return render(tx, invoice)
    # Stripe: the first attempt counts; later manual ones leave attempt_count (the retry schedule's) alone.
    invoice["attempted"] = True
    invoice["attempt_count"] = max(invoice["attempt_count"], 1)
    # Stripe schedules a retry only for invoices it advances itself (auto_advance true).
    invoice["next_payment_attempt"] = ctx.now() + 3 * DAY if invoice["auto_advance"] else None
    _save(tx, invoice)
    rendered = render(tx, invoice)
    intent = public(attempt.intent)
    if attempt.decline is None:
        events.record(ctx, tx, "invoice.payment_action_required", rendered)
        raise CardError(charges.REQUIRES_ACTION_MESSAGE, code="invoice_payment_intent_requires_action",
                        payment_intent=intent)
    events.record(ctx, tx, "invoice.payment_failed", rendered)
    assert attempt.charge is not None
    raise CardError(attempt.decline.message, code=attempt.decline.code, decline_code=attempt.decline.decline_code,
                    charge=attempt.charge["id"], payment_intent=intent, payment_method=public(method))


def _mark_paid(ctx: Context, tx: Tx, invoice: Obj, *, off_stripe: bool) -> Obj:
    """Move to paid, the whole amount due collected (outside Stripe or not); the invoice as rendered."""
    before = public(invoice)
    invoice["status"] = "paid"
    invoice["auto_advance"] = False
    invoice["amount_paid"] = invoice["amount_due"]
    if off_stripe:
        invoice["amount_paid_off_stripe"] = invoice["amount_due"]
    invoice["amount_remaining"] = 0
    invoice["status_transitions"] = dict(invoice["status_transitions"], paid_at=ctx.now())
    _save(tx, invoice)
    rendered = render(tx, invoice)
    events.record(ctx, tx, "invoice.paid", rendered, previous=events.changed(before, public(invoice)))
    return rendered


def customer_paid(ctx: Context, tx: Tx, invoice: Obj) -> None:
    """A successful customer payment of the whole amount due."""
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    invoice["next_payment_attempt"] = None
    _save(tx, invoice)
    events.record(ctx, tx, "invoice.payment_succeeded", render(tx, dict(invoice, status="paid",
                  amount_paid=invoice["amount_due"], amount_remaining=0)))
    _mark_paid(ctx, tx, invoice, off_stripe=False)


def payment_failed(ctx: Context, tx: Tx, invoice: Obj) -> None:
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    _save(tx, invoice)
    events.record(ctx, tx, "invoice.payment_failed", render(tx, invoice))
