"""--prune: managed objects whose key left the specs, destroyed last.

Order: invoices, then prices, products, customers; a customer waits for its
invoices, a product for its prices.
"""

from __future__ import annotations

from reconciler.plan.actions import ArchivePrice, ArchiveProduct, DeleteCustomer, DeleteInvoice, VoidInvoice
from reconciler.plan.planner.catalog import active_prices
from reconciler.plan.planner.context import Context

_REASON = "no longer in the specs (--prune)"


def plan_prune(ctx: Context) -> None:
    desired, live = ctx.desired, ctx.live
    by_customer: dict[str, list[str]] = {}
    for key in sorted(set(live.invoices) - set(desired.invoices)):
        invoice = live.invoices[key]
        if invoice.status == "draft":
            action_id = ctx.add(DeleteInvoice(key=key, reason=_REASON, stripe_id=invoice.id))
        elif invoice.status in ("open", "uncollectible"):
            action_id = ctx.add(VoidInvoice(key=key, reason=_REASON, stripe_id=invoice.id, prune=True))
        else:
            continue  # paid and void invoices are records: left alone
        by_customer.setdefault(invoice.customer_id, []).append(action_id)
    by_product: dict[str, list[str]] = {}
    for key in sorted(set(live.prices) - set(desired.prices)):
        for price in active_prices(ctx, key):
            action_id = ctx.add(ArchivePrice(key=key, reason=_REASON, stripe_id=price.id))
            by_product.setdefault(price.product_id, []).append(action_id)
    for key in sorted(set(live.products) - set(desired.products)):
        product = live.products[key]
        if product.active:
            deps = tuple(by_product.get(product.id, ()))
            ctx.add(ArchiveProduct(key=key, reason=_REASON, depends_on=deps, stripe_id=product.id))
    for key in sorted(set(live.customers) - set(desired.customers)):
        customer = live.customers[key]
        deps = tuple(by_customer.get(customer.id, ()))
        ctx.add(DeleteCustomer(key=key, reason=_REASON, depends_on=deps, stripe_id=customer.id))
