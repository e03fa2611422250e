"""What an invoice document says beyond its lines: due date, custom fields, date of issue,
rendering and the account's tax IDs; and which of them Stripe lets change after finalization.

Stripe's rule (docs.stripe.com/api/invoices/update): "Draft invoices are fully editable. Once an
invoice is finalized, monetary values, as well as collection_method, become uneditable", for most
invoices the description too, and `account_tax_ids` is "Only editable when the invoice is a draft".
So custom fields, footer and rendering stay an ordinary update on an open or uncollectible invoice;
the due date and the date of issue are treated as frozen (printed on a legal document already
issued: where Stripe is silent, the tool does not rewrite it); a paid or void invoice takes only
metadata. Each field is compared only where the spec names it: left out, it is Stripe's (or a
colleague's) to fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.live.records import LiveInvoice
from reconciler.plan.actions import Action, FieldChange
from reconciler.spec.document import day_of, noon_utc
from reconciler.spec.models import InvoiceSpec

# The verbs of a customer's tax ID actions (planner.billing): a change of its tax IDs.
TAX_ID_VERBS = frozenset({"add tax ID", "remove tax ID"})
# Fields an open or uncollectible invoice still takes (besides metadata and footer).
EDITABLE_WHEN_FINALIZED = frozenset({"custom_fields", "rendering"})


def create_params(spec: InvoiceSpec) -> dict[str, Any]:
    """The document fields of a new invoice, as Stripe's create parameters (unset ones left out)."""
    params: dict[str, Any] = {}
    if spec.due_date is not None:
        params["due_date"] = noon_utc(spec.due_date)
    if spec.custom_fields:
        params["custom_fields"] = _custom_fields(spec)
    if spec.effective_at is not None:
        params["effective_at"] = noon_utc(spec.effective_at)
    rendering = _rendering(spec)
    if rendering:
        params["rendering"] = rendering
    if spec.account_tax_ids:
        params["account_tax_ids"] = list(spec.account_tax_ids)
    return params


def document_changes(cur: LiveInvoice, spec: InvoiceSpec) -> list[FieldChange]:
    """The document fields the spec names where Stripe differs, with Stripe's values as `new`."""
    changes: list[FieldChange] = []
    if spec.due_date is not None and (cur.due_date is None or day_of(cur.due_date) != spec.due_date):
        changes.append(FieldChange("due_date", cur.due_date, noon_utc(spec.due_date)))
    if spec.custom_fields is not None:
        live = [{"name": name, "value": value} for name, value in cur.custom_fields or ()]
        wanted = _custom_fields(spec)
        if live != wanted:
            changes.append(FieldChange("custom_fields", live or None, wanted or None))
    if spec.effective_at is not None:
        issued = cur.effective_at or cur.finalized_at
        if issued is None or day_of(issued) != spec.effective_at:
            changes.append(FieldChange("effective_at", issued, noon_utc(spec.effective_at)))
    wanted_rendering = _rendering(spec)
    live_rendering = _live_rendering(cur, wanted_rendering)
    if live_rendering != wanted_rendering:
        changes.append(FieldChange("rendering", live_rendering, wanted_rendering))
    if spec.account_tax_ids is not None and list(cur.account_tax_ids) != list(spec.account_tax_ids):
        changes.append(FieldChange("account_tax_ids", list(cur.account_tax_ids) or None,
                                   list(spec.account_tax_ids) or None))  # fmt: skip
    return changes


def unknown_account_tax_ids(spec: InvoiceSpec, known: frozenset[str] | None) -> str:
    """Why Stripe would refuse the spec's account_tax_ids ("No such tax ID"), or "" (also when not read)."""
    missing = [tax_id for tax_id in spec.account_tax_ids or () if known is not None and tax_id not in known]
    if not missing:
        return ""
    return (
        f"account_tax_ids: no tax ID {', '.join(missing)} in the account (it has "
        f"{', '.join(sorted(known or ())) or 'none'}): Stripe would refuse the invoice; add it to the account "
        "(the Dashboard's tax settings, or POST /v1/tax_ids) or write one of the account's"
    )


def past_due_date(spec: InvoiceSpec, now: int | None) -> str:
    """Why Stripe would refuse the spec's due date on a new or draft invoice now, or ""."""
    if spec.due_date is None or now is None or noon_utc(spec.due_date) > now:
        return ""
    return (
        f"due_date {spec.due_date.isoformat()} is not in the future (Stripe refuses it: \"Invalid timestamp: must be "
        "an integer Unix timestamp in the future.\"); write a later due_date, or days_until_due"
    )


def shown_change(change: FieldChange) -> str:
    """A frozen field's change for a refusal, dates as dates."""
    if change.field in ("due_date", "effective_at"):
        old = day_of(change.old).isoformat() if isinstance(change.old, int) else "(unset)"
        return f"{change.field} {old} → {day_of(change.new).isoformat()}"
    return f"{change.field} {change.old!r} → {change.new!r}"


def _custom_fields(spec: InvoiceSpec) -> list[dict[str, str]]:
    return [{"name": f.name, "value": f.value} for f in spec.custom_fields or ()]


def _rendering(spec: InvoiceSpec) -> dict[str, Any]:
    """The rendering settings the spec names, in Stripe's shape."""
    if spec.rendering is None:
        return {}
    out: dict[str, Any] = {}
    if spec.rendering.amount_tax_display is not None:
        out["amount_tax_display"] = spec.rendering.amount_tax_display
    if spec.rendering.pdf is not None:
        out["pdf"] = {"page_size": spec.rendering.pdf.page_size}
    return out


def _live_rendering(cur: LiveInvoice, wanted: dict[str, Any]) -> dict[str, Any]:
    """Stripe's rendering settings, only those the spec names."""
    out: dict[str, Any] = {}
    if "amount_tax_display" in wanted:
        out["amount_tax_display"] = cur.amount_tax_display
    if "pdf" in wanted:
        out["pdf"] = {"page_size": cur.page_size}
    return out


# The customer details Stripe copies onto an invoice when it is finalized (the invoice's customer_name,
# customer_email, customer_address, customer_phone, customer_shipping, customer_tax_exempt,
# customer_tax_ids: "Until the invoice is finalized, this field will equal customer.<field>").
_COPIED = {"name": "name", "email": "email", "address": "address", "phone": "phone", "shipping": "shipping",
           "tax_exempt": "tax exemption", "tax_ids": "tax IDs"}  # fmt: skip


def new_details(actions: Sequence[Action], customer_key: str) -> str:
    """'address and tax IDs': what this plan changes of the customer that Stripe copies onto an invoice
    at finalization, in the order above; "" when it changes none of them."""
    fields = {
        change.field.split(".")[0]
        for action in actions
        if action.kind == "customer" and action.key == customer_key
        for change in action.field_changes()
    } | {"tax_ids" for action in actions if action.key == customer_key and action.kind == "customer"
         and action.verb in TAX_ID_VERBS}  # fmt: skip
    words = [word for name, word in _COPIED.items() if name in fields]
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)
