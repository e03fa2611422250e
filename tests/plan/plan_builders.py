"""Plain-data builders for planner tests: defaults plus overrides.

`converged(desired)` builds the Live state Stripe would hold right after a
successful apply of `desired` (ids derived from keys, Stripe's defaults filled
in), so "plan after apply is empty" can be tested without any I/O.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.live.records import Live, LiveCustomer, LiveInvoice, LiveItem, LivePrice, LiveProduct
from reconciler.ownership import SEND_DONE
from reconciler.spec.models import CustomerSpec, Desired, InvoiceItemSpec, InvoiceSpec, PriceSpec, ProductSpec


def product(**over: Any) -> ProductSpec:
    return ProductSpec(**{"name": "Gold Special", **over})


def price(**over: Any) -> PriceSpec:
    return PriceSpec(**{"product": "gold-special", "unit_amount": 1000, "currency": "usd", **over})


def customer(**over: Any) -> CustomerSpec:
    return CustomerSpec(**{"name": "Jenny Rosen", "email": "jenny.rosen@example.com", **over})


def item(**over: Any) -> InvoiceItemSpec:
    return InvoiceItemSpec(**{"price": "gold-special-usd", **over})


def amount_item(**over: Any) -> InvoiceItemSpec:
    return InvoiceItemSpec(**{"description": "Setup fee", "amount": 5000, "currency": "usd", **over})


def invoice(**over: Any) -> InvoiceSpec:
    base: dict[str, Any] = {
        "customer": "jenny-rosen",
        "collection_method": "send_invoice",
        "days_until_due": 30,
        "status": "draft",
        "items": [item(quantity=2)],
    }
    return InvoiceSpec(**{**base, **over})


def desired(**over: Any) -> Desired:
    """The quickstart: one product, price, customer and invoice (override any kind)."""
    base: dict[str, Any] = {
        "products": {"gold-special": product()},
        "prices": {"gold-special-usd": price()},
        "customers": {"jenny-rosen": customer()},
        "invoices": {"jenny-rosen-2026-11": invoice()},
    }
    return Desired(**{**base, **over})


_LIVE_STATUS = {"draft": "draft", "open": "open", "sent": "open", "paid": "paid", "void": "void", "uncollectible": "uncollectible"}


def converged(d: Desired, **over: Any) -> Live:
    """Live state as Stripe stores `d` after apply (what a reader would return)."""
    products = {
        k: LiveProduct(f"prod_{k}", k, s.name, s.description, s.active, s.unit_label, dict(s.metadata), _owned(s.metadata))
        for k, s in d.products.items()
    }
    active_prices = {}
    archived: dict[str, tuple[LivePrice, ...]] = {}
    for k, s in d.prices.items():
        p = LivePrice(
            f"price_{k}", k, f"prod_{s.product}", s.unit_amount, s.currency.lower(),
            s.nickname, s.lookup_key, s.active, dict(s.metadata), _owned(s.metadata), created=1,
        )  # fmt: skip
        if s.active:
            active_prices[k] = p
        else:
            archived[k] = (p,)
    customers = {
        k: LiveCustomer(f"cus_{k}", k, s.name, s.email, s.description, s.phone, dict(s.metadata), _owned(s.metadata))
        for k, s in d.customers.items()
    }
    invoices = {k: live_invoice_for(d, k) for k in d.invoices}
    # Events complete since the epoch: every live invoice's sends would show.
    live = Live(products, active_prices, customers, invoices, archived_prices=archived, events_complete_since=0)
    return replace(live, **over)


def live_invoice_for(d: Desired, key: str, **over: Any) -> LiveInvoice:
    s = d.invoices[key]
    items = []
    for item_key, it in s.keyed_items():
        if it.price is not None:
            p = d.prices[it.price]
            # Stripe fills a price item's description with the product name.
            desc = it.description or d.products[p.product].name
            items.append(
                LiveItem(f"ii_{key}_{item_key}", item_key, f"price_{it.price}", it.quantity,
                         p.unit_amount * it.quantity, p.currency.lower(), desc, dict(it.metadata), _owned(it.metadata))
            )  # fmt: skip
        else:
            items.append(
                LiveItem(f"ii_{key}_{item_key}", item_key, None, 1, it.amount or 0,
                         (it.currency or "").lower(), it.description, dict(it.metadata), _owned(it.metadata))
            )  # fmt: skip
    status = _LIVE_STATUS[s.status]
    total = sum(i.amount for i in items)
    inv = LiveInvoice(
        id=f"in_{key}",
        key=key,
        customer_id=f"cus_{s.customer}",
        status=status,
        collection_method=s.collection_method,
        days_until_due=s.days_until_due if s.collection_method == "send_invoice" else None,
        currency=items[0].currency,
        description=s.description,
        footer=s.footer,
        metadata=dict(s.metadata),
        owned_keys=_owned(s.metadata),
        finalized_at=None if status == "draft" else 1000,
        number=None if status == "draft" else f"NUM-{key}",
        total=total,
        amount_paid=total if status == "paid" else 0,
        amount_remaining=0 if status in ("paid", "void") else total,
        send_marker=SEND_DONE if s.status == "sent" else None,
        items=tuple(items),
    )
    return replace(inv, **over)


def _owned(metadata: dict[str, str]) -> frozenset[str] | None:
    """The ownership record the tool writes with the spec's metadata (none when empty)."""
    return frozenset(metadata) or None


def with_invoice(live: Live, key: str, **over: Any) -> Live:
    """`live` with one invoice's fields overridden."""
    return replace(live, invoices={**live.invoices, key: replace(live.invoices[key], **over)})


def ids(plan: Any) -> list[str]:
    return [a.id for a in plan.actions]
