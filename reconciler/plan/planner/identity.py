"""Identity beyond metadata: an object the specs name that exists in Stripe
without its ownership tag (someone cleared its metadata) is never created again.

Before a create is planned for a key, Stripe's own records of what the tool
did are consulted (all read anyway, see gateway.read and gateway.evidence):

- an invoice: the `invoice.sent` events, whose invoice carried the key when it
  was emailed (Live.sent_keys); an untagged invoice whose items still carry the
  tool's item tags (Stripe freezes a finalized invoice's items, and nobody
  edits item metadata to clear an invoice's) with exactly the spec's item keys,
  currency and customer (Live.untagged_invoices);
- a customer: an untagged customer that an invoice of one of its spec's
  invoices bills (a managed invoice, an untagged one found above, a sent one).

What is found holds the key (planner.hold): no create, no send, for it or
what depends on it; the conflict names the object and the way out, `adopt:
<id>` in the spec, which writes the tag back in a reviewed step.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.live.records import LiveInvoice
from reconciler.plan.planner.context import Context
from reconciler.spec.models import InvoiceSpec


def hold_untagged(ctx: Context) -> None:
    """Hold every spec key with no managed object but evidence of an untagged one."""
    claimed = _claimed(ctx)
    found: dict[str, list[tuple[str, str]]] = {}  # invoice key -> [(invoice id, how)]
    for key in sorted(ctx.desired.invoices):
        spec = ctx.desired.invoices[key]
        if key in ctx.live.invoices or spec.adopt:
            continue
        found[key] = _invoice_evidence(ctx, key, spec, claimed)
        if found[key]:
            _hold(ctx, "invoice", key, found[key], "the invoice")
    for key in sorted(ctx.desired.customers):
        if key in ctx.live.customers or ctx.desired.customers[key].adopt:
            continue
        evidence = _customer_evidence(ctx, key, found)
        if evidence:
            _hold(ctx, "customer", key, evidence, "the customer")


def _claimed(ctx: Context) -> dict[str, str]:
    """Invoice id -> the key Stripe's events say it was sent as (one no managed invoice has)."""
    managed = {invoice.id for invoice in ctx.live.invoices.values()}
    return {
        invoice_id: key
        for key, sent in ctx.live.sent_keys.items()
        for invoice_id, _ in sent
        if invoice_id not in managed
    }


def _invoice_evidence(ctx: Context, key: str, spec: InvoiceSpec, claimed: dict[str, str]) -> list[tuple[str, str]]:
    out = [
        (invoice_id, f"Stripe's invoice.sent event shows it carried reconciler_id {key} when it was emailed")
        for invoice_id, sent_as in sorted(claimed.items())
        if sent_as == key
    ]
    if out:
        return out
    wanted = {item_key for item_key, _ in spec.keyed_items()}
    for invoice in ctx.live.untagged_invoices.values():
        if invoice.id in claimed or not _same_content(ctx, invoice, spec, wanted):
            continue
        keys = ", ".join(sorted(wanted))
        out.append((invoice.id, f"its items still carry the tool's item tags ({keys}) and it bills customer {spec.customer}"))
    return out


def _same_content(ctx: Context, invoice: LiveInvoice, spec: InvoiceSpec, wanted: set[str]) -> bool:
    if {item.key for item in invoice.items} != wanted or any(not item.key for item in invoice.items):
        return False
    customer = ctx.live.customers.get(spec.customer)
    if customer is not None:
        return invoice.customer_id == customer.id
    return invoice.customer_id in ctx.live.untagged_customers


def _customer_evidence(ctx: Context, key: str, invoices: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Untagged customers billed by an invoice of one of this customer's spec invoices."""
    untagged = ctx.live.untagged_customers
    billed: dict[str, str] = {}
    for invoice_key, spec in sorted(ctx.desired.invoices.items()):
        if spec.customer != key:
            continue
        bills: list[tuple[str, str]] = []
        cur = ctx.live.invoices.get(invoice_key)
        if cur is not None:
            bills.append((cur.customer_id, cur.id))
        bills += [(customer, invoice_id) for invoice_id, customer in ctx.live.sent_keys.get(invoice_key, ())]
        bills += [(_customer_of(ctx, invoice_id), invoice_id) for invoice_id, _ in invoices.get(invoice_key, ())]
        for customer_id, invoice_id in bills:
            if customer_id in untagged:
                billed.setdefault(customer_id, f"it is billed by {invoice_id}, invoice {invoice_key} of its spec")
    return sorted(billed.items())


def _customer_of(ctx: Context, invoice_id: str) -> str:
    untagged = ctx.live.untagged_invoices.get(invoice_id)
    if untagged is not None:
        return untagged.customer_id
    sent = (customer for found in ctx.live.sent_keys.values() for i, customer in found if i == invoice_id)
    return next(sent, "")


def _hold(ctx: Context, kind: str, key: str, evidence: Iterable[tuple[str, str]], what: str) -> None:
    found = list(evidence)
    ids = [stripe_id for stripe_id, _ in found]
    how = "; ".join(f"{stripe_id} ({why})" for stripe_id, why in found)
    if len(ids) == 1:
        way_out = f"if it is {what}, write `adopt: {ids[0]}` in its spec (the tag is written back in a reviewed step)"
    else:
        way_out = f"write `adopt: <id>` in its spec with the one that is {what} (the tag is written back in a reviewed step)"
    ctx.hold(
        f"{kind}:{key}",
        ids[0],
        f"{kind} {key}: exists in Stripe without its tag: {how}; nothing is created or sent for it: {way_out}",
    )
