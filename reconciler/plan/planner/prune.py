"""--prune: managed objects whose key left the specs, destroyed last.

Order: invoices, then prices, products, customers; a customer waits for its
invoices, a product for its prices. A destroy whose object others still use
is not planned; a note names what holds it:

- a customer with invoices the tool does not manage in draft, open or
  uncollectible state (deleting the customer would strand them);
- a product with active prices the tool does not manage (others still sell it).
"""

from __future__ import annotations

from reconciler.plan.actions import ArchivePrice, ArchiveProduct, DeleteCustomer, DeleteInvoice, VoidInvoice
from reconciler.plan.planner.catalog import active_prices
from reconciler.plan.planner.context import Context
from reconciler.text import plural

_REASON = "no longer in the specs (--prune)"
_MAX_LISTED = 10


def plan_prune(ctx: Context) -> None:
    by_customer = _prune_invoices(ctx)
    by_product = _prune_prices(ctx)
    live, desired = ctx.live, ctx.desired
    for key in sorted(set(live.products) - set(desired.products)):
        product = live.products[key]
        if not product.active:
            continue
        held = live.unmanaged_active_prices.get(product.id, ())
        if held:
            ctx.note(f"product {key} ({product.id}) is kept although no longer in the specs: {_held(held, 'active price')} the tool does not manage")
            continue
        deps = tuple(by_product.get(product.id, ()))
        ctx.add(ArchiveProduct(key=key, reason=_REASON, depends_on=deps, stripe_id=product.id))
    for key in sorted(set(live.customers) - set(desired.customers)):
        customer = live.customers[key]
        held_invoices = live.unmanaged_invoices.get(customer.id, ())
        if held_invoices:
            listed = [f"{invoice_id} ({status})" for invoice_id, status in held_invoices]
            ctx.note(f"customer {key} ({customer.id}) is kept although no longer in the specs: {_held(listed, 'invoice')} the tool does not manage")
            continue
        deps = tuple(by_customer.get(customer.id, ()))
        ctx.add(DeleteCustomer(key=key, reason=_REASON, depends_on=deps, stripe_id=customer.id))


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
