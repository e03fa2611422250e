"""Invoice items: diff a draft's items into actions; describe a finalized one's changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.live.records import LiveInvoice, LiveItem
from reconciler.ownership import ITEM_KEY, KEYS_KEY
from reconciler.plan.actions import (
    METADATA_PREFIX,
    AddInvoiceItem,
    CreatePrice,
    FieldChange,
    Ref,
    RemoveInvoiceItem,
    UpdateInvoiceItem,
    UpdateProduct,
)
from reconciler.plan.planner import money_terms
from reconciler.plan.planner.catalog import PriceChoice
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.diff import create_metadata, drift_reason, norm, owned_metadata_changes, show
from reconciler.plan.render.money import format_money
from reconciler.spec.document import Period, day_of, noon_utc
from reconciler.spec.models import InvoiceItemSpec, InvoiceSpec


def item_currency(ctx: Context, item: InvoiceItemSpec) -> str:
    if item.price is not None:
        price = ctx.desired.prices.get(item.price)
        return price.currency.lower() if price is not None else ""
    return (item.currency or "").lower()


def item_total(ctx: Context, item: InvoiceItemSpec) -> int:
    """Line total in minor units: an amount item's `amount` is already the line total."""
    if item.price is not None:
        price = ctx.desired.prices.get(item.price)
        return price.unit_amount * item.quantity if price is not None else 0
    return item.amount or 0


def _match(live_items: Sequence[LiveItem], wanted: set[str]) -> tuple[dict[str, LiveItem], list[tuple[str, LiveItem, str]]]:
    """Live items matched to spec item keys, and the rest as (item_key, item, why)."""
    matched: dict[str, LiveItem] = {}
    rest: list[tuple[str, LiveItem, str]] = []
    for item in sorted(live_items, key=lambda i: (i.key, i.id)):
        if not item.key:
            rest.append((f"@{item.id}", item, "an item the specs do not manage"))
        elif item.key not in wanted:
            rest.append((item.key, item, "not in the spec"))
        elif item.key in matched:
            rest.append((f"{item.key}@{item.id}", item, f"a duplicate of item {item.key}"))
        else:
            matched[item.key] = item
    return matched, rest


def plan_draft_items(
    ctx: Context,
    prices: PriceChoice,
    key: str,
    spec: InvoiceSpec,
    live: LiveInvoice | None,
    invoice_deps: tuple[str, ...],
) -> list[str]:
    """Remove, update, then add items of a draft (removals first: the 250-item cap)."""
    keyed = sorted(spec.keyed_items(), key=lambda pair: pair[0])
    matched, rest = _match(live.items if live else (), {k for k, _ in keyed})
    ids: list[str] = []
    removals: list[str] = []
    for item_key, item, why in rest:
        unmanaged = not item.key  # only reached with --prune
        reason = f"{why} (--prune)" if unmanaged else why
        rid = ctx.add(
            RemoveInvoiceItem(
                key=key, reason=reason, depends_on=invoice_deps, item_key=item_key, stripe_id=item.id, prune=unmanaged
            )
        )
        removals.append(rid)
    adds: list[tuple[str, InvoiceItemSpec, str]] = []
    for item_key, item_spec in keyed:
        cur = matched.get(item_key)
        if cur is None:
            adds.append((item_key, item_spec, "not in Stripe"))
            continue
        price_dep = ctx.if_planned(CreatePrice.id_for(item_spec.price)) if item_spec.price else ()
        replace_why = _needs_replacement(ctx, cur, item_spec) or (
            money_terms.item_replacement(ctx, cur, item_spec, live) if live is not None else None)
        if replace_why:
            rid = ctx.add(
                RemoveInvoiceItem(
                    key=key, reason=f"{replace_why}: re-added", depends_on=invoice_deps, item_key=item_key, stripe_id=cur.id
                )
            )
            removals.append(rid)
            adds.append((item_key, item_spec, f"replaces {cur.id} ({replace_why})"))
            continue
        changes = _draft_item_changes(ctx, prices, cur, item_spec)
        if changes:
            ids.append(
                ctx.add(
                    UpdateInvoiceItem(
                        key=key,
                        reason=drift_reason(changes),
                        depends_on=invoice_deps + price_dep,
                        item_key=item_key,
                        stripe_id=cur.id,
                        changes=tuple(changes),
                    )
                )
            )
    for item_key, item_spec, reason in adds:
        price_dep = ctx.if_planned(CreatePrice.id_for(item_spec.price)) if item_spec.price else ()
        if item_spec.price and item_spec.description is None:
            # Stripe copies the product's name into the item: rename the product first.
            price_spec = ctx.desired.prices.get(item_spec.price)
            price_dep += ctx.if_planned(UpdateProduct.id_for(price_spec.product)) if price_spec else ()
        ids.append(
            ctx.add(
                AddInvoiceItem(
                    key=key,
                    reason=reason,
                    depends_on=invoice_deps + price_dep + money_terms.item_deps(ctx, item_spec) + tuple(removals),
                    item_key=item_key,
                    params=add_item_params(prices, key, spec.customer, item_key, item_spec),
                )
            )
        )
    return removals + ids


def hold_for_unmanaged_items(ctx: Context, label: str, live: LiveInvoice) -> bool:
    """Hold an invoice that carries items the tool did not add; True if it does.

    Someone else added them (finance in the Dashboard): finalizing or sending
    would bill what nobody reviewed, deleting them was not asked for. So the
    invoice is left as it is, with a note, and the rest of the plan goes on.
    """
    unknown = sorted(item.id for item in live.items if not item.key)
    if not unknown:
        return False
    if live.status == "draft":
        what = "remove them in Stripe, or run with --prune to delete them; until then nothing is done to it"
    else:
        what = (
            "a finalized invoice cannot change: if it is wrong, void it (status: void) and issue a new invoice "
            "under a new key; until then no lifecycle step is taken"
        )
    ctx.note(f"invoice {label} has items reconciler did not add ({', '.join(unknown)}): {what}")
    return True


def add_item_params(
    prices: PriceChoice, invoice_key: str, customer_key: str, item_key: str, item: InvoiceItemSpec
) -> dict[str, Any]:
    params: dict[str, Any] = {"invoice": Ref("invoice", invoice_key), "customer": Ref("customer", customer_key)}
    if item.price is not None:
        params["pricing"] = {"price": prices.ref(item.price)}
        params["quantity"] = item.quantity
    else:
        params["amount"] = item.amount
        params["currency"] = (item.currency or "").lower()
    if item.description is not None:
        params["description"] = item.description
    if item.period is not None:
        params["period"] = period_param(item.period)
    params.update(money_terms.item_params(item))
    params["metadata"] = create_metadata({ITEM_KEY: item_key}, item.metadata)
    return params


def period_param(period: Period) -> dict[str, int]:
    """A service period as Stripe takes it: each day as 12:00 UTC (spec.document)."""
    return {"start": noon_utc(period.start), "end": noon_utc(period.end)}


def _period_change(cur: LiveItem, item: InvoiceItemSpec) -> FieldChange | None:
    """The period the spec names where Stripe's days differ (compared by day)."""
    if item.period is None:
        return None
    if cur.period is not None and (day_of(cur.period[0]), day_of(cur.period[1])) == (item.period.start, item.period.end):
        return None
    old = {"start": cur.period[0], "end": cur.period[1]} if cur.period else None
    return FieldChange("period", old, period_param(item.period))


def _shown_period(value: Any) -> str:
    if not isinstance(value, dict):
        return show(value)
    return f"{day_of(value['start']).isoformat()}..{day_of(value['end']).isoformat()}"


def _needs_replacement(ctx: Context, cur: LiveItem, item: InvoiceItemSpec) -> str | None:
    """Why Stripe cannot update this item in place (currency, price <-> amount), or None."""
    if (item.price is None) != (cur.price_id is None):
        return "an item cannot switch between a price and an amount"
    if cur.currency.lower() != item_currency(ctx, item):
        return "an item's currency cannot change"
    return None


def _draft_item_changes(ctx: Context, prices: PriceChoice, cur: LiveItem, item: InvoiceItemSpec) -> list[FieldChange]:
    changes: list[FieldChange] = []
    if item.price is not None:
        if cur.price_id != prices.id_for_key.get(item.price):
            changes.append(FieldChange("price", cur.price_id, prices.ref(item.price)))
        if cur.quantity != item.quantity:
            changes.append(FieldChange("quantity", cur.quantity, item.quantity))
    elif cur.amount != item.amount:
        changes.append(FieldChange("amount", cur.amount, item.amount))
    wanted = expected_description(ctx, item)
    if wanted is not None and norm(cur.description) != wanted:
        changes.append(FieldChange("description", norm(cur.description), wanted))
    period = _period_change(cur, item)
    changes += [period] if period else []
    return changes + ctx.metadata_changes(f"item {cur.key}", cur.metadata, cur.owned_keys, item.metadata)


def expected_description(ctx: Context, item: InvoiceItemSpec) -> str | None:
    """The description the item should show; None: whatever Stripe has.

    Without one, Stripe shows a price item's product name, so that is what a
    description removed from the spec must return to (Stripe keeps the old
    one otherwise). An amount item without one is left as it is.
    """
    if item.description is not None or item.price is None:
        return item.description
    price = ctx.desired.prices.get(item.price)
    product = ctx.desired.products.get(price.product) if price is not None else None
    return product.name if product is not None else None


def finalized_item_changes(ctx: Context, prices: PriceChoice, live: LiveInvoice, spec: InvoiceSpec) -> list[str]:
    """What differs between a finalized invoice's items and the spec, one phrase each.

    Prices are compared by spec key, so replacing a price (new amount) does not
    count as a change to invoices already issued with the old one.
    """
    keyed = dict(spec.keyed_items())
    matched, rest = _match(live.items, set(keyed))
    out = []
    for item_key, stray, _ in rest:
        if not stray.key:
            continue  # someone else's item: the invoice is held (hold_for_unmanaged_items)
        if stray.key in keyed:
            out.append(f"item {stray.key} duplicated ({stray.id})")
        else:
            out.append(f"item {item_key} removed")
    for item_key in sorted(keyed):
        item, cur = keyed[item_key], matched.get(item_key)
        if cur is None:
            out.append(f"item {item_key} added")
            continue
        diffs: list[tuple[str, Any, Any]] = []
        live_key = prices.key_by_id.get(cur.price_id) if cur.price_id else None
        live_price = Ref("price", live_key) if live_key else cur.price_id
        diffs.append(("price", live_price, Ref("price", item.price) if item.price else None))
        if item.price is not None:
            diffs.append(("quantity", cur.quantity, item.quantity))
        else:
            diffs.append(("amount", cur.amount, item.amount))
        diffs.append(("currency", cur.currency.lower(), item_currency(ctx, item)))
        if item.description is not None:
            diffs.append(("description", norm(cur.description), item.description))
        period = _period_change(cur, item)
        if period is not None:
            diffs.append(("period", period.old, period.new))
        # Values only: a finalized item cannot be written, so its record is left as it is.
        meta = owned_metadata_changes(cur.metadata, cur.owned_keys, item.metadata)
        diffs += [(c.field, c.old, c.new) for c in meta if c.field != METADATA_PREFIX + KEYS_KEY]
        currency = cur.currency.lower()
        out += [
            f"item {item_key} {f} {_shown(f, o, currency)} → {_shown(f, n, item_currency(ctx, item))}"
            for f, o, n in diffs
            if o != n
        ]
        out += [f"item {item_key} {phrase}" for phrase in money_terms.finalized_item_changes(ctx, cur, item, live)]
    return out


def _shown(field: str, value: Any, currency: str) -> str:
    """An amount as money (`$50.00 USD`, not `5000`): a refusal is read by people, not by Stripe."""
    if field == "amount" and isinstance(value, int) and not isinstance(value, bool) and currency:
        return format_money(value, currency)
    if field == "period":
        return _shown_period(value)
    return show(value)
