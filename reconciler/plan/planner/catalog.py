"""Products, prices and customers: create, update, replace a price."""

from __future__ import annotations

from reconciler.live.records import LivePrice
from reconciler.ownership import OWNER_KEY
from reconciler.plan.actions import (
    ArchivePrice,
    CreateCustomer,
    CreatePrice,
    CreateProduct,
    FieldChange,
    Ref,
    UpdateCustomer,
    UpdatePrice,
    UpdateProduct,
)
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.diff import drop_none, field_changes, metadata_changes, show
from reconciler.spec.models import PriceSpec


def drift_reason(changes: list[FieldChange]) -> str:
    return "Stripe differs from the spec: " + ", ".join(c.field for c in changes)


def plan_products(ctx: Context) -> None:
    for key in sorted(ctx.desired.products):
        spec = ctx.desired.products[key]
        cur = ctx.live.products.get(key)
        if cur is None:
            params = {
                "name": spec.name,
                "description": spec.description,
                "unit_label": spec.unit_label,
                "active": None if spec.active else False,
                "metadata": {OWNER_KEY: key, **spec.metadata},
            }
            ctx.add(CreateProduct(key=key, reason="not in Stripe", params=drop_none(params)))
            continue
        changes = field_changes(
            [
                ("name", cur.name, spec.name),
                ("description", cur.description, spec.description),
                ("unit_label", cur.unit_label, spec.unit_label),
                ("active", cur.active, spec.active),
            ]
        ) + metadata_changes(cur.metadata, spec.metadata)
        if changes:
            ctx.add(UpdateProduct(key=key, reason=drift_reason(changes), stripe_id=cur.id, changes=tuple(changes)))


def plan_prices(ctx: Context) -> None:
    live = ctx.live
    for price in live.prices.values():
        ctx.price_key_by_id[price.id] = price.key
    for archived in live.archived_prices.values():
        for price in archived:
            ctx.price_key_by_id[price.id] = price.key
    for key in sorted(ctx.desired.prices):
        _plan_price(ctx, key, ctx.desired.prices[key])


def _plan_price(ctx: Context, key: str, spec: PriceSpec) -> None:
    product = ctx.live.products.get(spec.product)
    product_id = product.id if product is not None else None
    currency = spec.currency.lower()
    cur = ctx.live.prices.get(key) or _reusable_archived(ctx, key, spec.unit_amount, currency, product_id)
    immutable = []
    if cur is not None:
        immutable = field_changes(
            [
                ("unit_amount", cur.unit_amount, spec.unit_amount),
                ("currency", cur.currency.lower(), currency),
                ("product", cur.product_id, product_id),
            ]
        )
        if not immutable:
            ctx.price_id_for_key[key] = cur.id
            changes = field_changes(
                [
                    ("nickname", cur.nickname, spec.nickname),
                    ("lookup_key", cur.lookup_key, spec.lookup_key),
                    ("active", cur.active, spec.active),
                ]
            ) + metadata_changes(cur.metadata, spec.metadata)
            if changes:
                ctx.add(UpdatePrice(key=key, reason=drift_reason(changes), stripe_id=cur.id, changes=tuple(changes)))
            return
    params = {
        "product": Ref("product", spec.product),
        "unit_amount": spec.unit_amount,
        "currency": currency,
        "nickname": spec.nickname,
        "lookup_key": spec.lookup_key,
        # the old price may still hold the lookup key: move it, do not fail
        "transfer_lookup_key": True if spec.lookup_key else None,
        "active": None if spec.active else False,
        "metadata": {OWNER_KEY: key, **spec.metadata},
    }
    if cur is None:
        reason = "not in Stripe"
    else:
        what = ", ".join(f"{c.field} {show(c.old)} → {show(c.new)}" for c in immutable)
        reason = f"a Stripe price cannot change {', '.join(c.field for c in immutable)}: replaces {cur.id} ({what})"
    create_id = ctx.add(
        CreatePrice(
            key=key,
            reason=reason,
            depends_on=ctx.if_planned(f"CreateProduct:{spec.product}"),
            params=drop_none(params),
        )
    )
    if cur is not None and cur.active:
        ctx.deferred.append(
            ArchivePrice(
                key=key,
                reason=f"replaced by the new price of {key}",
                depends_on=(create_id,),
                stripe_id=cur.id,
            )
        )


def _reusable_archived(
    ctx: Context, key: str, unit_amount: int, currency: str, product_id: str | None
) -> LivePrice | None:
    """The newest archived price of this key that still matches the spec's immutable fields.

    Without this, a spec with `active: false` would re-create its price on every
    run, since the reader files inactive prices under archived_prices.
    """
    matches = [
        p
        for p in ctx.live.archived_prices.get(key, ())
        if p.unit_amount == unit_amount and p.currency.lower() == currency and p.product_id == product_id
    ]
    return max(matches, key=lambda p: (p.created, p.id), default=None)


def plan_customers(ctx: Context) -> None:
    for key in sorted(ctx.desired.customers):
        spec = ctx.desired.customers[key]
        cur = ctx.live.customers.get(key)
        if cur is None:
            params = {
                "name": spec.name,
                "email": spec.email,
                "description": spec.description,
                "phone": spec.phone,
                "metadata": {OWNER_KEY: key, **spec.metadata},
            }
            ctx.add(CreateCustomer(key=key, reason="not in Stripe", params=drop_none(params)))
            continue
        # Stripe stores email exactly as sent, so it is compared exactly.
        changes = field_changes(
            [
                ("name", cur.name, spec.name),
                ("email", cur.email, spec.email),
                ("description", cur.description, spec.description),
                ("phone", cur.phone, spec.phone),
            ]
        ) + metadata_changes(cur.metadata, spec.metadata)
        if changes:
            ctx.add(UpdateCustomer(key=key, reason=drift_reason(changes), stripe_id=cur.id, changes=tuple(changes)))
