"""Invoices: drafts, totals, lines and the lifecycle transitions."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest, InvoiceNotEditable
from reconciler.sandbox.models import (
    account,
    coupons,
    currencies,
    events,
    invoice_money,
    lines,
    payment_methods,
    tax_ids,
    taxrates,
    timers,
)
from reconciler.sandbox.models.base import (
    Context,
    Obj,
    Params,
    apply_metadata,
    list_page,
    new_metadata,
    public,
    refuse_absent_references,
    require,
)
from reconciler.sandbox.store import Tx

DAY = 86_400
# "Creating an invoice adds up to 250 pending invoice items with the remainder to be
# added on the next invoice" (docs.stripe.com/invoicing/multiple-currencies).
MAX_PULLED = 250
# Customer fields a draft mirrors (its `customer_<name>`).
CUSTOMER_COPIES = ("address", "email", "name", "phone", "shipping", "tax_exempt")
# What a finalized (open/uncollectible) invoice still accepts; paid/void only metadata.
# Not `description`: "For most invoices, this also includes description" (the update
# endpoint's reference), and an invoice the tool makes is one of "most invoices".
FINALIZED_EDITABLE = frozenset(
    {"auto_advance", "custom_fields", "default_payment_method", "default_source",
     "footer", "metadata", "payment_settings", "rendering", "statement_descriptor", "expand"}
)
TERMINAL_EDITABLE = frozenset({"metadata", "expand"})
# An internal create parameter (never from a request): the due date is a revision's copy.
COPIED_DUE_DATE = "_copied_due_date"
DRAFT_FIELDS = ("account_tax_ids", "collection_method", "custom_fields", "days_until_due", "effective_at",
                "default_payment_method", "description", "due_date", "footer", "statement_descriptor",
                "number")


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    if "customer" not in params:
        raise InvalidRequest(
            "Missing required param: customer.", code="parameter_missing", param="customer"
        )
    customer = require(tx, "customer", params["customer"], param="customer")
    refuse_absent_references(params)
    method = params.get("collection_method", "charge_automatically")
    days = params.get("days_until_due")
    if method == "send_invoice" and days is None and "due_date" not in params:
        raise InvalidRequest(
            "Invoices with collection_method=send_invoice require days_until_due or due_date.",
            code="parameter_missing", param="days_until_due",
        )
    if method == "charge_automatically" and (days is not None or "due_date" in params):
        raise InvalidRequest(
            "days_until_due and due_date are only valid for invoices with "
            "collection_method=send_invoice.", param="days_until_due",
        )
    now = ctx.now()
    if not params.get(COPIED_DUE_DATE):  # a revision keeps its original's, past or not
        _check_due_date(params.get("due_date"), now)
    defaults = account.settings(tx)
    # Fixed at creation: "Defaults to that of `customer` if not specified", and a
    # customer without one is billed in the account's default currency.
    currency = currencies.checked(params["currency"]) if "currency" in params else (
        customer["currency"] or account.DEFAULT_CURRENCY
    )
    invoice_id = ctx.new_id(tx, "in")
    if "discounts" in params:
        discounts = coupons.discounts_param(ctx, tx, params["discounts"], customer=customer["id"],
                                            currency=currency, invoice=invoice_id)
    else:
        discounts = coupons.inheritable(tx, customer, currency)
    invoice: Obj = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Reconciler Sandbox",
        "account_tax_ids": tax_ids.check_account_tax_ids(tx, params.get("account_tax_ids")),
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": params.get("auto_advance", False),
        "automatic_tax": automatic_tax(params.get("automatic_tax")),
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": method,
        "confirmation_secret": None,
        "created": now,
        "currency": currency,
        # "Default custom fields to be displayed on invoices for this customer."
        "custom_fields": params.get("custom_fields") or customer["invoice_settings"]["custom_fields"] or None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": customer["shipping"],
        "customer_tax_exempt": customer["tax_exempt"],
        "customer_tax_ids": tax_ids.invoice_copies(tx, customer["id"]),
        "days_until_due": days,
        "default_payment_method": payment_methods.owned(
            tx, customer["id"], params.get("default_payment_method"), param="default_payment_method"),
        "default_source": None,
        "default_tax_rates": rate_snapshots(tx, params.get("default_tax_rates"), "default_tax_rates"),
        "description": params["description"] if "description" in params else defaults["invoice_memo"],
        "discounts": discounts,
        # Stripe: days_until_due counts "from which the invoice is created".
        "due_date": params.get("due_date") or (now + days * DAY if days is not None else None),
        "effective_at": params.get("effective_at") or None,
        "ending_balance": None,
        "footer": params["footer"] if "footer" in params else (
            customer["invoice_settings"]["footer"] or defaults["invoice_footer"]
        ),
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "livemode": False,
        "metadata": new_metadata(params.get("metadata")),
        "next_payment_attempt": None,
        "number": params.get("number"),
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": payment_settings(
            {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
            params.get("payment_settings"),
        ),
        "period_end": now,
        "period_start": now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": rendering(params.get("rendering")),
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": params.get("statement_descriptor"),
        "status": "draft",
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": None,
        # threshold_reason: left out, not null, as Stripe does for invoices no threshold created
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }
    timers.schedule(ctx, tx, invoice, params)
    _save_new(tx, invoice)
    if params.get("pending_invoice_items_behavior") == "include":
        _pull_pending(ctx, tx, invoice)
    rendered = render(tx, invoice)
    events.record(ctx, tx, "invoice.created", rendered)
    return rendered


def automatic_tax(value: Any) -> Obj:
    """The invoice's `automatic_tax` from the parameter (absent: disabled)."""
    enabled = bool((value or {}).get("enabled"))
    return {"disabled_reason": None, "enabled": enabled, "liability": {"type": "self"} if enabled else None,
            "provider": "stripe" if enabled else None, "status": None}


def rate_snapshots(tx: Tx, value: Any, param: str) -> list[Obj]:
    """The tax rates as embedded in the invoice (or item): each as it was when applied; its
    percentage and inclusive never change."""
    return [public(rate) for rate in taxrates.for_use(tx, value, param=param)]


def rendering(value: Any) -> Obj | None:
    """The invoice's `rendering` from the create/update parameter ("" or absent: none)."""
    if not value:
        return None
    pdf = value.get("pdf")
    return {
        "amount_tax_display": value.get("amount_tax_display") or None,
        "pdf": {"page_size": pdf.get("page_size")} if isinstance(pdf, dict) else None,
        "template": value.get("template") or None,
        "template_version": value.get("template_version") if value.get("template_version") != "" else None,
    }


def payment_settings(current: Obj, value: Any) -> Obj:
    """`payment_settings` with the parameter applied; only payment_method_types is emulated."""
    if value is None:
        return current
    if value == "":
        return {"default_mandate": None, "payment_method_options": None, "payment_method_types": None}
    unsupported = sorted(set(value) - {"payment_method_types"})
    if unsupported:
        raise InvalidRequest(
            f"The sandbox does not emulate the parameter 'payment_settings[{unsupported[0]}]' on this endpoint.",
            code="parameter_unsupported_by_sandbox", param=f"payment_settings[{unsupported[0]}]",
        )
    types = value.get("payment_method_types")
    return dict(current, payment_method_types=None if types in (None, "") else list(types))


def _save_new(tx: Tx, invoice: Obj) -> None:
    tx.insert("invoice", invoice, **_columns(invoice))


def _save(tx: Tx, invoice: Obj) -> None:
    tx.update(invoice, **_columns(invoice))


def _columns(invoice: Obj) -> dict[str, Any]:
    return {"customer": invoice["customer"], "status": invoice["status"],
            "collection_method": invoice["collection_method"]}


def _pull_pending(ctx: Context, tx: Tx, invoice: Obj) -> None:
    """Pending items of the invoice's currency ("The currency parameter dictates which
    invoice items get pulled into the invoice"), at most MAX_PULLED of them."""
    pending = [i for i in tx.all("invoiceitem", customer=invoice["customer"], invoice=None)
               if i["currency"] == invoice["currency"]]
    pulled = pending[:MAX_PULLED]
    for item in pulled:
        item["invoice"] = invoice["id"]
        tx.update(item, invoice=invoice["id"])
    if pulled:
        # Lines list pulled items first, newest first (see _ordered_items).
        invoice["_pulled"] = [item["id"] for item in reversed(pulled)]
        _save(tx, invoice)
    recompute(ctx, tx, invoice["id"], announce=False)
    invoice.update(require(tx, "invoice", invoice["id"]))


def check_currency(invoice: Obj, currency: str) -> None:
    """An item must be in the invoice's currency, which its creation fixed."""
    if currency != invoice["currency"]:
        raise InvalidRequest(
            f"The currency of this invoice item ({currency}) does not match the currency of "
            f"the invoice ({invoice['currency']}).", param="currency",
        )


def _check_due_date(value: Any, now: int) -> None:
    if value is not None and value != "" and int(value) <= now:
        # Stripe's answer, as quoted in stripe/stripe-python#925.
        raise InvalidRequest("Invalid timestamp: must be an integer Unix timestamp in the future.", param="due_date")


def follow_customer(tx: Tx, customer: Obj) -> None:
    """Drafts copy their customer's details until finalized ("Until the invoice is
    finalized, this field will equal `customer.email`", and so on)."""
    for invoice in tx.all("invoice", customer=customer["id"], status="draft"):
        copied = {f"customer_{name}": customer[name] for name in CUSTOMER_COPIES}
        copied["customer_tax_ids"] = tax_ids.invoice_copies(tx, customer["id"])
        if any(invoice.get(k) != v for k, v in copied.items()):
            invoice.update(copied)
            _save(tx, invoice)


def recompute(ctx: Context, tx: Tx, invoice_id: str, *, announce: bool = True) -> Obj:
    """Totals from the invoice's items, discounts and tax rates (models/money.py); a change
    of them is an `invoice.updated` event, as on Stripe, unless the invoice is being created."""
    invoice = require(tx, "invoice", invoice_id)
    before = dict(invoice)
    invoice_money.apply_totals(tx, invoice, tx.all("invoiceitem", invoice=invoice_id))
    previous = events.changed(public(before), public(invoice))
    if previous or before.get("_lines") != invoice["_lines"]:
        _save(tx, invoice)
        if announce:
            events.record(ctx, tx, "invoice.updated", render(tx, invoice), previous=previous)
    return invoice


def render(tx: Tx, invoice: Obj) -> Obj:
    """The invoice as the API returns it, with its first lines embedded."""
    out = public(invoice)
    out.pop("days_until_due", None)
    out.pop("threshold_reason", None)  # stored as null by sandboxes before schema 1
    out["lines"] = lines.embedded(tx, invoice)
    if invoice["status"] == "draft":
        out["starting_balance"] = invoice_money.starting_balance(tx, invoice)
    return out


def retrieve(ctx: Context, tx: Tx, invoice_id: str) -> Obj:
    return render(tx, require(tx, "invoice", invoice_id))


def list_invoices(ctx: Context, tx: Tx, params: Params) -> Obj:
    filters: dict[str, Any] = {k: params[k] for k in ("customer", "status", "collection_method") if k in params}
    return list_page(tx, "invoice", "/v1/invoices", params, filters=filters,
                     render=lambda inv: render(tx, inv))


def update(ctx: Context, tx: Tx, invoice_id: str, params: Params) -> Obj:
    before = require(tx, "invoice", invoice_id)
    status = before["status"]
    if status != "draft":
        allowed = TERMINAL_EDITABLE if status in ("paid", "void") else FINALIZED_EDITABLE
        frozen = sorted(set(params) - allowed)
        if frozen:
            raise InvoiceNotEditable(
                f"Finalized invoices can't be updated in this way: {', '.join(frozen)} "
                f"cannot be changed on a {status} invoice.", param=frozen[0],
            )
    refuse_absent_references(params)
    _check_due_date(params.get("due_date"), ctx.now())
    if params.get("account_tax_ids"):
        tax_ids.check_account_tax_ids(tx, params["account_tax_ids"])
    invoice = dict(before)
    for name in DRAFT_FIELDS:
        if name in params:
            invoice[name] = None if params[name] == "" else params[name]
    if "default_payment_method" in params:
        invoice["default_payment_method"] = payment_methods.owned(
            tx, invoice["customer"], params["default_payment_method"], param="default_payment_method")
    if "rendering" in params:
        invoice["rendering"] = rendering(params["rendering"])
    if "default_tax_rates" in params:
        invoice["default_tax_rates"] = rate_snapshots(tx, params["default_tax_rates"], "default_tax_rates")
    if "automatic_tax" in params:
        invoice["automatic_tax"] = automatic_tax(params["automatic_tax"])
    if "discounts" in params:
        invoice["discounts"] = coupons.discounts_param(
            ctx, tx, params["discounts"], customer=invoice["customer"], currency=invoice["currency"],
            invoice=invoice_id)
    invoice["payment_settings"] = payment_settings(before["payment_settings"], params.get("payment_settings"))
    if invoice["collection_method"] == "charge_automatically":
        if "days_until_due" in params or "due_date" in params:
            raise InvalidRequest(
                "days_until_due and due_date are only valid for invoices with "
                "collection_method=send_invoice.", param="days_until_due",
            )
        invoice["days_until_due"] = None
        invoice["due_date"] = None
    elif "days_until_due" in params and "due_date" not in params:
        invoice["due_date"] = invoice["created"] + params["days_until_due"] * DAY
    elif invoice.get("days_until_due") is None and invoice.get("due_date") is None:
        raise InvalidRequest(
            "Invoices with collection_method=send_invoice require days_until_due or due_date.",
            code="parameter_missing", param="days_until_due",
        )
    invoice["metadata"] = apply_metadata(before["metadata"], params.get("metadata"))
    if "auto_advance" in params or "automatically_finalizes_at" in params:
        timers.reschedule(ctx, tx, invoice, params)
    previous = events.changed(public(before), public(invoice))
    previous.pop("days_until_due", None)
    if "default_tax_rates" in params or "discounts" in params:
        invoice_money.apply_totals(tx, invoice, tx.all("invoiceitem", invoice=invoice_id))
        previous = events.changed(public(before), public(invoice))
        previous.pop("days_until_due", None)
    if invoice != before:
        _save(tx, invoice)
    rendered = render(tx, invoice)
    if previous:
        events.record(ctx, tx, "invoice.updated", rendered, previous=previous)
    return rendered


def delete(ctx: Context, tx: Tx, invoice_id: str) -> Obj:
    invoice = require(tx, "invoice", invoice_id)
    if invoice["status"] != "draft":
        raise InvalidRequest(
            "You can only delete draft invoices. This invoice is " f"{invoice['status']}.",
            param="id",
        )
    rendered = render(tx, invoice)
    for item in tx.all("invoiceitem", invoice=invoice_id):
        tx.delete(item["id"])
    timers.cancel(tx, invoice_id)
    tx.delete(invoice_id)
    events.record(ctx, tx, "invoice.deleted", rendered)
    return {"id": invoice_id, "object": "invoice", "deleted": True}
