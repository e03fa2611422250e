"""Revisions: a change Stripe freezes on a finalized invoice, planned as a Stripe revision.

With `revise: true` in its spec, an open or uncollectible invoice whose items,
amounts or terms the spec changes is replaced
(https://docs.stripe.com/invoicing/invoice-edits): CreateRevision makes a draft
copying it (`from_invoice`), the usual draft steps bring that draft's fields and
items to the spec (the copied items are named by their keys: their ids exist
only once the revision does), finalizing it makes Stripe void the original, and
the spec's status is reached from there (a send is the customer's second email,
by design: the plan says so under "Customers will notice").
"""

from __future__ import annotations

import dataclasses

from reconciler.live.records import LiveInvoice
from reconciler.plan.actions import CreateRevision
from reconciler.plan.planner.context import Context
from reconciler.spec.models import InvoiceSpec

REVISABLE = ("open", "uncollectible")
REVISION_IN_PROGRESS = (
    "a revision of {original} is in progress (draft {draft}: started in the Dashboard, or by a stopped run); "
    "nothing is done to it: finish or delete it in the Dashboard, or add `revise: true` to the spec for "
    "reconciler to bring it to the spec and finalize it (Stripe then voids {original})"
)


def hold_revision_draft(ctx: Context, key: str, spec: InvoiceSpec, draft: LiveInvoice) -> bool:
    """Hold a draft revision that must not be finalized: the spec did not ask for one, or
    the invoice it revises is no longer open or uncollectible (paid meanwhile: Stripe
    revises only those, and finalizing would bill a customer who paid); True if held."""
    original = next((i for i in ctx.live.revised.get(key, ()) if i.id == draft.from_invoice), None)
    if original is not None and original.status not in REVISABLE:
        why = (f"its revision draft {draft.id} cannot be finalized: the invoice it revises, {original.id}, is "
               f"{original.status} now (Stripe revises only open or uncollectible invoices): delete draft "
               f"{draft.id}; to correct what was billed, a credit note")
        ctx.hold(f"invoice:{key}", draft.id, f"invoice {key}: {why}")
        return True
    if not spec.revise:
        message = REVISION_IN_PROGRESS.format(original=draft.from_invoice, draft=draft.id)
        ctx.hold(f"invoice:{key}", draft.id, f"invoice {key}: {message}")
        return True
    return False


def revision_draft(cur: LiveInvoice) -> LiveInvoice:
    """The draft a revision of `cur` starts as, as later steps see it: the original's fields
    and items (named by key: ids "" until the revision exists), never sent."""
    items = tuple(dataclasses.replace(item, id="") for item in cur.items)
    return dataclasses.replace(
        cur, id="", status="draft", send_marker=None, sent_event=False, number=None, items=items,
        finalized_at=None, from_invoice=cur.id, latest_revision=None, payment_processing=False,
        last_attempt=None, attempt_count=0, hosted_invoice_url=None, due_date=None,
    )


def unfilled_draft(draft: LiveInvoice) -> LiveInvoice:
    """A revision's draft with none of the invoice fields Stripe may or may not copy
    ("mostly identical fields to the original invoice", no list): compared with the
    spec, every field the spec names is a change to set on the revision."""
    return dataclasses.replace(
        draft, collection_method="", days_until_due=None, due_date=None, description=None, footer=None,
        custom_fields=None, effective_at=None, finalized_at=None, amount_tax_display=None, page_size=None,
        account_tax_ids=(), default_tax_rates=(), discounts=(), automatic_tax=False,
    )


def plan_create_revision(ctx: Context, key: str, cur: LiveInvoice, why: str, deps: tuple[str, ...]) -> str:
    """The CreateRevision action of `cur` (reason: what the spec changes); its id."""
    params = {"from_invoice": {"action": "revision", "invoice": cur.id}}
    reason = f"{why}; `revise: true`: a Stripe revision replaces it, and Stripe voids {cur.id} when it is finalized"
    return ctx.add(
        CreateRevision(key=key, reason=reason, depends_on=deps, params=params, revises=cur.id, number=cur.number or "")
    )
