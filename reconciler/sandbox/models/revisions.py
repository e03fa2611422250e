"""Invoice revisions: `POST /v1/invoices` with `from_invoice[action]=revision`.

Stripe (https://docs.stripe.com/invoicing/invoice-edits, the API variant):
"Stripe lets you revise a finalized invoice in open or uncollectible status.
You can't, however, revise an invoice in void or paid status." The request
"creates a new draft invoice that's linked back to the original as a revision.
It also duplicates all of the invoice line items associated with the invoice"
and "doesn't pull in pending invoice items"; the draft "has mostly identical
fields to the original invoice". Finalizing it "finalizes the new invoice and
voids the old one" (the Dashboard variant of the same page), and the original's
`latest_revision` is "the ID of the most recent non-draft revision of this
invoice" (stripe-python's Invoice).

Where Stripe's pages are silent the sandbox chooses, and docs/sandbox.md says so:
the copy includes metadata (the invoice's and each item's: "mostly identical"),
the invoice's default tax rates, discounts, account tax IDs and a date of issue
someone set (`effective_at`; Stripe's own, the finalization, is the revision's own);
a revision is numbered `<first number>-<n>` at finalization, n counting the
revisions of the chain; the customer cannot change ("you can't switch the
customer", the Dashboard variant); finalizing a revision whose original is no
longer open or uncollectible (paid meanwhile) is refused, so a customer who
paid is never billed again by the revision.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import events, invoices
from reconciler.sandbox.models.base import Context, Obj, Params, apply_metadata, public, require
from reconciler.sandbox.store import Tx

REVISABLE = ("open", "uncollectible")
# Fields a revision takes from the original (besides lines, customer and currency);
# its `customer_*` follow the customer again, as any draft's.
COPIED = ("collection_method", "days_until_due", "default_payment_method", "description", "due_date", "footer",
          "statement_descriptor")
# Copied as the original holds them, unless the request sets them: the rates as the snapshots
# the original was issued with, the discounts as the same discount objects (no coupon redeemed again).
COPIED_AS_IS = ("account_tax_ids", "custom_fields", "default_tax_rates", "discounts", "payment_settings", "rendering")
# Create params that are copied instead when revising (a revision is of this invoice).
NOT_WITH_REVISION = ("currency", "pending_invoice_items_behavior")


def original_of(tx: Tx, params: Params) -> Obj:
    """The invoice a `from_invoice` create revises, checked revisable."""
    link = params["from_invoice"]
    if not isinstance(link, dict) or link.get("action") != "revision" or not link.get("invoice"):
        raise InvalidRequest("from_invoice needs action=revision and an invoice.", param="from_invoice")
    original = require(tx, "invoice", link["invoice"], param="from_invoice[invoice]")
    if original["status"] not in REVISABLE:
        raise InvalidRequest(
            f"You can only revise open or uncollectible invoices. This invoice ({original['id']}) is "
            f"{original['status']}.", param="from_invoice[invoice]",
        )
    if "customer" in params and params["customer"] != original["customer"]:
        raise InvalidRequest("A revision keeps the customer of the invoice it revises.", param="customer")
    for name in NOT_WITH_REVISION:
        if name in params:
            raise InvalidRequest(f"{name} cannot be set on a revision: it is the original's.", param=name)
    return original


def revision_params(original: Obj, params: Params) -> Params:
    """The create params of the revision: the original's fields, the request's on top."""
    merged: dict[str, Any] = {"customer": original["customer"], "currency": original["currency"]}
    for name in COPIED:
        if original.get(name) is not None:
            merged[name] = original[name]
    if merged.get("days_until_due") is not None:
        merged.pop("due_date", None)  # the term runs again from the revision's creation
    elif merged.get("due_date") is not None:
        merged[invoices.COPIED_DUE_DATE] = True  # the original's date, kept even once past
    merged.update({k: v for k, v in params.items() if k not in ("from_invoice", "metadata")})
    if merged.get("collection_method") == "charge_automatically":
        merged.pop("days_until_due", None)
        merged.pop("due_date", None)
    elif "days_until_due" in params:
        merged.pop("due_date", None)
    if "days_until_due" in params or "due_date" in params:
        merged.pop(invoices.COPIED_DUE_DATE, None)  # the request's own: checked as any
    merged["metadata"] = apply_metadata(dict(original["metadata"]), params.get("metadata"))
    return merged


def create(ctx: Context, tx: Tx, params: Params) -> Obj:
    """A draft revision of `params["from_invoice"]["invoice"]`, its lines copied."""
    original = original_of(tx, params)
    revision = require(tx, "invoice", invoices.create(ctx, tx, revision_params(original, params))["id"])
    for name in COPIED_AS_IS:
        if name not in params:
            revision[name] = copy.deepcopy(original[name])
    if "effective_at" not in params and original["effective_at"] != original["status_transitions"]["finalized_at"]:
        # A date of issue someone set ("same as finalized_at unless overwritten"); Stripe's own
        # (the original's finalization) is not copied: the revision's is its own finalization.
        revision["effective_at"] = original["effective_at"]
    link(ctx, tx, revision, original)
    return invoices.render(tx, revision)


def link(ctx: Context, tx: Tx, revision: Obj, original: Obj) -> None:
    """After create: the `from_invoice` link, and the original's lines duplicated."""
    revision["from_invoice"] = {"action": "revision", "invoice": original["id"]}
    revision["_revision_of"] = original.get("_revision_of") or original["id"]
    revision["_revision_n"] = int(original.get("_revision_n") or 0) + 1
    invoices._save(tx, revision)
    for item in tx.all("invoiceitem", invoice=original["id"]):
        copy = dict(item, id=ctx.new_id(tx, "ii"), invoice=revision["id"], date=ctx.now(),
                    metadata=dict(item["metadata"]), _line_id=ctx.new_id(tx, "il"))
        tx.insert("invoiceitem", copy, customer=copy["customer"], invoice=revision["id"])
        events.record(ctx, tx, "invoiceitem.created", public(copy))
    invoices.recompute(ctx, tx, revision["id"], announce=False)
    revision.update(require(tx, "invoice", revision["id"]))


def check_finalizable(tx: Tx, revision: Obj) -> Obj | None:
    """The original a draft revision replaces (None for any other draft), still revisable."""
    source = revision.get("from_invoice")
    if not source:
        return None
    original = require(tx, "invoice", source["invoice"])
    if original["status"] not in REVISABLE:
        raise InvalidRequest(
            f"This revision cannot be finalized: the invoice it revises ({original['id']}) is "
            f"{original['status']}, and only an open or uncollectible invoice can be replaced.",
            param="invoice",
        )
    return original


def number(tx: Tx, revision: Obj) -> str | None:
    """A revision's number: the first invoice's, with the revision's place in the chain."""
    first = require(tx, "invoice", revision["_revision_of"])
    return f"{first['number']}-{revision['_revision_n']}" if first.get("number") else None


def replace_original(ctx: Context, tx: Tx, revision: Obj, original: Obj) -> None:
    """At the revision's finalization: the original is voided and points at it."""
    before = public(original)
    original["status"] = "void"
    original["auto_advance"] = False
    original["latest_revision"] = revision["id"]
    original["status_transitions"] = dict(original["status_transitions"], voided_at=ctx.now())
    invoices._save(tx, original)
    events.record(ctx, tx, "invoice.voided", invoices.render(tx, original),
                  previous=events.changed(before, public(original)))
