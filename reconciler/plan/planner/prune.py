"""--prune: managed objects whose key left the specs, destroyed last.

Order: invoices, then prices, then the simple kinds in registration order
(products, customers); a customer waits for its invoices, a product for its
prices. A simple kind is archived or deleted as its registration says. A destroy whose object others still use
is not planned; a note names what holds it:

- a customer with invoices the tool does not manage in draft, open or
  uncollectible state (deleting the customer would strand them);
- a product with active prices the tool does not manage (others still sell it).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.kinds import SIMPLE_KINDS
from reconciler.live.records import TableRecord
from reconciler.plan.actions import DESTROY_OF, ArchivePrice, DeleteInvoice, VoidInvoice
from reconciler.plan.planner.catalog import active_prices
from reconciler.plan.planner.context import Context
from reconciler.text import plural

_REASON = "no longer in the specs (--prune)"
_MAX_LISTED = 10


def plan_prune(ctx: Context) -> None:
    # Action ids of the destroys each object waits for, by its Stripe id (a customer's invoices, a product's prices).
    waits = {**_prune_invoices(ctx), **_prune_prices(ctx)}
    for info in SIMPLE_KINDS:
        if not info.destroy:
            continue
        records: Mapping[str, TableRecord] = getattr(ctx.live, info.section)
        for key in sorted(set(records) - set(getattr(ctx.desired, info.section))):
            record = records[key]
            if info.destroy == "archive" and not record.active:
                continue
            held = _held_by(ctx, info.name, record.id)
            if held:
                ctx.note(f"{info.name} {key} ({record.id}) is kept although no longer in the specs: {held} the tool does not manage")
                continue
            destroy = DESTROY_OF[info.name, info.destroy]
            ctx.add(destroy(key=key, reason=_REASON, depends_on=tuple(waits.get(record.id, ())), stripe_id=record.id))


def _held_by(ctx: Context, kind: str, stripe_id: str) -> str:
    """What others still use of the object, in words ("" if nothing): prune keeps it then."""
    live = ctx.live
    if kind == "product" and live.unmanaged_active_prices.get(stripe_id):
        return _held(live.unmanaged_active_prices[stripe_id], "active price")
    if kind == "customer" and live.unmanaged_invoices.get(stripe_id):
        return _held([f"{invoice_id} ({status})" for invoice_id, status in live.unmanaged_invoices[stripe_id]], "invoice")
    return ""


def _prune_invoices(ctx: Context) -> dict[str, list[str]]:
    """Delete drafts, void open and uncollectible ones; action ids by customer id."""
    by_customer: dict[str, list[str]] = {}
    for key in sorted(set(ctx.live.invoices) - set(ctx.desired.invoices)):
        invoice = ctx.live.invoices[key]
        if invoice.status == "draft":
            action_id = ctx.add(DeleteInvoice(key=key, reason=_REASON, stripe_id=invoice.id))
        elif invoice.status in ("open", "uncollectible"):
            action_id = ctx.add(VoidInvoice(key=key, reason=_REASON, stripe_id=invoice.id, prune=True))
        else:
            continue  # paid and void invoices are records: left alone
        by_customer.setdefault(invoice.customer_id, []).append(action_id)
    return by_customer


def _prune_prices(ctx: Context) -> dict[str, list[str]]:
    """Archive active prices; action ids by product id."""
    by_product: dict[str, list[str]] = {}
    for key in sorted(set(ctx.live.prices) - set(ctx.desired.prices)):
        for price in active_prices(ctx, key):
            action_id = ctx.add(ArchivePrice(key=key, reason=_REASON, stripe_id=price.id))
            by_product.setdefault(price.product_id, []).append(action_id)
    return by_product


def _held(items: tuple[str, ...] | list[str], noun: str) -> str:
    """'2 open invoices: in_1 (open), in_2 (draft)' — at most _MAX_LISTED named."""
    shown = ", ".join(items[:_MAX_LISTED]) + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")
    return f"{plural(len(items), noun)} ({shown})"
