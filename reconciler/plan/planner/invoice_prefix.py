"""A customer's invoice_prefix once an invoice of theirs was finalized (review R13).

Stripe refuses the change then ("The invoice prefix cannot be changed once
invoices have been finalized."): planned, it would fail at apply, and every
finalize of the customer waits for the customer's changes (Stripe copies them
onto the invoice), so each later run would fail the same way. The customer is
held instead (planner.hold): its update is not sent, its invoices that would
wait for it are held with it rather than finalized with details the spec no
longer wants, and the rest of the plan goes on.
"""

from __future__ import annotations

from reconciler.plan.actions import UpdateCustomer
from reconciler.plan.planner.context import Context


def hold_frozen_prefixes(ctx: Context) -> None:
    """Hold each customer whose planned update changes invoice_prefix after a finalized invoice."""
    for action in ctx.actions:
        if not isinstance(action, UpdateCustomer):
            continue
        change = next((c for c in action.changes if c.field == "invoice_prefix"), None)
        cur = ctx.live.customers.get(action.key)
        if change is None or cur is None:
            continue
        finalized = _finalized_invoices(ctx, cur.id)
        if not finalized:
            continue
        ctx.hold(
            f"customer:{action.key}",
            cur.id,
            f'customer {action.key}: invoice_prefix cannot change from "{change.old}" to "{change.new}": '
            f"invoice {finalized[0]} was finalized, and Stripe refuses a new prefix once one was: "
            f"write `invoice_prefix: {change.old}` (or leave it out); a new prefix needs a new customer",
        )


def _finalized_invoices(ctx: Context, customer_id: str) -> list[str]:
    """The customer's finalized invoices the tool read: its own (by key and number) and others' still in use."""
    found = [
        f"{key} ({inv.id}, number {inv.number})" if inv.number else f"{key} ({inv.id})"
        for key, inv in sorted(ctx.live.invoices.items())
        if inv.customer_id == customer_id and inv.status != "draft"
    ]
    found += [f"{stripe_id} ({status}, not the tool's)"
              for stripe_id, status in ctx.live.unmanaged_invoices.get(customer_id, ()) if status != "draft"]  # fmt: skip
    return found
