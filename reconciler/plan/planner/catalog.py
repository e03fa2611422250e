"""Prices: create, update, replace (a Stripe price cannot change its amount, currency or product)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.live.records import LivePrice
from reconciler.ownership import OWNER_KEY
from reconciler.plan.actions import Action, ArchivePrice, CreatePrice, CreateProduct, Ref, UpdatePrice
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.diff import create_metadata, drift_reason, drop_none, field_changes, show_change
from reconciler.spec.models import PriceSpec


@dataclass(frozen=True)
class PriceChoice:
    """What the price phase decided, for the invoice phase and the plan's tail."""

    # live price id (active or archived) -> spec key
    key_by_id: dict[str, str] = field(default_factory=dict)
    # desired price key -> the live price id items should use; absent when the
    # price is created in this plan
    id_for_key: dict[str, str] = field(default_factory=dict)
    # desired price key -> the live price id items must name explicitly, when
    # the planner keeps a price other than Live.prices[key] (which is what the
    # applier resolves a Ref to): after an interrupted replacement.
    ref_override: dict[str, str] = field(default_factory=dict)
    # Old prices' archives: planned now, emitted after the invoices.
    archives: tuple[Action, ...] = ()

    def ref(self, key: str) -> Ref | str:
        """How an item names the price of spec key `key` (a Ref, or an id when they differ)."""
        return self.ref_override.get(key) or Ref("price", key)


def plan_prices(ctx: Context) -> PriceChoice:
    live = ctx.live
    holders: dict[str, set[str]] = {}
    key_by_id: dict[str, str] = {}
    for price in _all_managed_prices(ctx):
        key_by_id[price.id] = price.key
        if price.lookup_key:
            holders.setdefault(price.lookup_key, set()).add(price.id)
    id_for_key: dict[str, str] = {}
    archives: list[Action] = []
    for key in sorted(ctx.desired.prices):
        kept, key_archives = _plan_price(ctx, key, ctx.desired.prices[key], holders)
        archives += key_archives
        if kept is not None:
            id_for_key[key] = kept
    override = {
        key: id_for_key[key] for key, price in live.prices.items() if id_for_key.get(key, price.id) != price.id
    }
    return PriceChoice(key_by_id, id_for_key, override, tuple(archives))


def _all_managed_prices(ctx: Context) -> list[LivePrice]:
    live = ctx.live
    out = list(live.prices.values())
    for group in (live.extra_active_prices, live.archived_prices):
        for prices in group.values():
            out.extend(prices)
    return out


def active_prices(ctx: Context, key: str) -> list[LivePrice]:
    """Every active managed price of `key`, newest first (more than one after
    a replacement that was interrupted before archiving the old price)."""
    first = ctx.live.prices.get(key)
    head = [first] if first is not None and first.active else []
    return head + list(ctx.live.extra_active_prices.get(key, ()))


def _plan_price(
    ctx: Context, key: str, spec: PriceSpec, holders: dict[str, set[str]]
) -> tuple[str | None, list[Action]]:
    """(the id of the live price kept for `key`, None when one is created; the archives to emit last)."""
    archives: list[Action] = []
    if spec.lookup_key and spec.lookup_key in ctx.live.foreign_lookup_keys:
        ctx.problem(
            "unmanaged",
            f"price {key}: lookup_key '{spec.lookup_key}' belongs to price {ctx.live.foreign_lookup_keys[spec.lookup_key]}, "
            "which reconciler does not manage: remove it there or choose another lookup_key",
        )
        return None, archives
    product = ctx.live.products.get(spec.product)
    product_id = product.id if product is not None else None
    currency = spec.currency.lower()
    actives = active_prices(ctx, key)
    terms = (spec.unit_amount, currency, product_id)
    if actives:
        matching = [p for p in actives if _terms(p) == terms]
        # Of several that fit, the one holding the spec's lookup key, else the newest.
        cur = next((p for p in matching if spec.lookup_key and p.lookup_key == spec.lookup_key), None)
        cur = cur or (matching[0] if matching else actives[0])
        others = [p for p in actives if p is not cur] if matching else []  # no match: all replaced below
        for other in others:
            archives.append(
                ArchivePrice(
                    key=key,
                    reason=f"another active price of {key} (a replacement was interrupted): "
                    f"{cur.id} matches the spec and stays",
                    stripe_id=other.id,
                )
            )
    else:
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
            changes = field_changes(
                [
                    ("nickname", cur.nickname, spec.nickname),
                    ("lookup_key", cur.lookup_key, spec.lookup_key),
                    ("active", cur.active, spec.active),
                ]
            ) + ctx.metadata_changes(f"price {key}", cur.metadata, cur.owned_keys, spec.metadata)
            if changes:
                # The key moves only from another price the tool manages (foreign holders stop above).
                transfer = bool(spec.lookup_key) and bool(holders.get(spec.lookup_key or "", set()) - {cur.id})
                ctx.add(
                    UpdatePrice(
                        key=key,
                        reason=drift_reason(changes),
                        stripe_id=cur.id,
                        changes=tuple(changes),
                        transfer_lookup_key=transfer,
                    )
                )
            return cur.id, archives
    params = {
        "product": Ref("product", spec.product),
        "unit_amount": spec.unit_amount,
        "currency": currency,
        "nickname": spec.nickname,
        "lookup_key": spec.lookup_key,
        # the replaced price (or another managed one) may hold the lookup key: move it, do not fail
        "transfer_lookup_key": True if spec.lookup_key and holders.get(spec.lookup_key) else None,
        "active": None if spec.active else False,
        "metadata": create_metadata({OWNER_KEY: key}, spec.metadata),
    }
    if cur is None:
        reason = "not in Stripe"
    else:
        what = ", ".join(show_change(c) for c in immutable)
        reason = f"a Stripe price cannot change {', '.join(c.field for c in immutable)}: replaces {cur.id} ({what})"
    create_id = ctx.add(
        CreatePrice(
            key=key,
            reason=reason,
            depends_on=ctx.if_planned(CreateProduct.id_for(spec.product)),
            params=drop_none(params),
        )
    )
    archives += [
        ArchivePrice(key=key, reason=f"replaced by the new price of {key}", depends_on=(create_id,), stripe_id=old.id)
        for old in actives
    ]
    return None, archives


def _terms(price: LivePrice) -> tuple[int, str, str | None]:
    """What a Stripe price can never change."""
    return price.unit_amount, price.currency.lower(), price.product_id


def _reusable_archived(
    ctx: Context, key: str, unit_amount: int, currency: str, product_id: str | None
) -> LivePrice | None:
    """The newest archived price of this key that still matches the spec's immutable fields.

    Without this, a spec with `active: false` would re-create its price on every
    run when the newest archived price is not the matching one.
    """
    matches = [p for p in ctx.live.archived_prices.get(key, ()) if _terms(p) == (unit_amount, currency, product_id)]
    return max(matches, key=lambda p: (p.created, p.id), default=None)
