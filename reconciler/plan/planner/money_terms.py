"""Tax rates and discounts on invoices and items: what the tool sends, and how Stripe's differ.

The tool always states an invoice's discounts when it creates one (`""`: none), so a customer's
own discount in Stripe ("If not specified, inherits the discount from the invoice's customer",
docs.stripe.com/api/invoices/create) never reaches a managed invoice unseen.
"""

from __future__ import annotations

from typing import Any, Literal

from reconciler.live.records import LiveInvoice, LiveItem
from reconciler.plan.actions import CREATE_OF, FieldChange, Ref
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.diff import show
from reconciler.spec.models import InvoiceItemSpec, InvoiceSpec


def _replacing(ctx: Context, kind: MoneyKind, key: str) -> bool:
    """Whether this plan creates `key` anew while Stripe holds it (a replacement): discounts and
    rates naming the old object then differ from the spec's."""
    return CREATE_OF[kind].id_for(key) in ctx.ids


MoneyKind = Literal["tax_rate", "coupon"]


def _keys_by_id(ctx: Context, kind: MoneyKind, *, replaced_too: bool = False) -> dict[str, str]:
    section = ctx.live.tax_rates if kind == "tax_rate" else ctx.live.coupons
    return {record.id: key for key, record in section.items() if replaced_too or not _replacing(ctx, kind, key)}


def _as_refs(ctx: Context, kind: MoneyKind, ids: tuple[str, ...], *, replaced_too: bool = False) -> list[Ref | str]:
    """Stripe ids as the spec names them: a managed object's key (one this plan replaces only
    with `replaced_too`), else its id."""
    keys = _keys_by_id(ctx, kind, replaced_too=replaced_too)
    return [Ref(kind, keys[i]) if i in keys else i for i in ids]


def rate_refs(keys: list[str] | tuple[str, ...]) -> list[Ref]:
    return [Ref("tax_rate", key) for key in keys]


def discount_param(keys: list[str] | tuple[str, ...]) -> list[dict[str, Ref]] | str:
    """Stripe's `discounts`: one coupon each; "" for none (an invoice then inherits nothing)."""
    return [{"coupon": Ref("coupon", key)} for key in keys] or ""


def money_deps(ctx: Context, rates: list[str] | tuple[str, ...], coupons: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The planned creations of the rates and coupons named: a write naming them waits for them."""
    return ctx.if_planned(*(CREATE_OF["tax_rate"].id_for(k) for k in rates),
                          *(CREATE_OF["coupon"].id_for(k) for k in coupons))


def invoice_params(spec: InvoiceSpec) -> dict[str, Any]:
    params: dict[str, Any] = {"discounts": discount_param(spec.discounts)}
    if spec.automatic_tax is not None:
        params["automatic_tax"] = {"enabled": spec.automatic_tax.enabled}
    if spec.default_tax_rates:
        params["default_tax_rates"] = rate_refs(spec.default_tax_rates)
    return params


def invoice_deps(ctx: Context, spec: InvoiceSpec) -> tuple[str, ...]:
    return money_deps(ctx, spec.default_tax_rates, spec.discounts)


def item_params(item: InvoiceItemSpec) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if item.tax_rates:
        params["tax_rates"] = rate_refs(item.tax_rates)
    if item.discounts:
        params["discounts"] = discount_param(item.discounts)
    return params


def item_deps(ctx: Context, item: InvoiceItemSpec) -> tuple[str, ...]:
    return money_deps(ctx, item.tax_rates or (), item.discounts)


def invoice_changes(ctx: Context, cur: LiveInvoice, spec: InvoiceSpec, *, finalized: bool = False) -> list[FieldChange]:
    """The invoice's default tax rates and discounts where Stripe's differ from the spec's. A
    finalized invoice keeps the rates and discounts it was issued with: a rate or coupon the
    plan replaces is still the one its key names there, and one replaced earlier (archived or
    deleted, no longer any key's) cannot be compared, so that list is left alone."""
    changes = []
    if spec.automatic_tax is not None and cur.automatic_tax != spec.automatic_tax.enabled:
        changes.append(FieldChange("automatic_tax", {"enabled": cur.automatic_tax}, {"enabled": spec.automatic_tax.enabled}))
    wanted_rates = rate_refs(spec.default_tax_rates)
    live_rates = _as_refs(ctx, "tax_rate", cur.default_tax_rates, replaced_too=finalized)
    if live_rates != wanted_rates and not (finalized and _unknown(live_rates)):
        changes.append(FieldChange("default_tax_rates", live_rates or None, wanted_rates or ""))
    if cur.discounts is not None:  # None: read without their coupons, not compared
        live_coupons = _as_refs(ctx, "coupon", cur.discounts, replaced_too=finalized)
        wanted = [Ref("coupon", k) for k in spec.discounts]
        if live_coupons != wanted and not (finalized and _unknown(live_coupons)):
            old = [{"coupon": c} for c in live_coupons] or None
            changes.append(FieldChange("discounts", old, discount_param(spec.discounts)))
    return changes


def _unknown(refs: list[Ref | str] | list[Ref]) -> bool:
    return any(not isinstance(r, Ref) for r in refs)


def item_replacement(ctx: Context, cur: LiveItem, item: InvoiceItemSpec, invoice: LiveInvoice) -> str | None:
    """Why an item must be re-added for its tax rates or discounts, or None. Stripe's lines show
    the rates that apply (its own, else the invoice's defaults): an item the spec gives no rates
    of its own matches when it follows the invoice's."""
    applied = _as_refs(ctx, "tax_rate", cur.tax_rates or ())
    wanted = rate_refs(item.tax_rates) if item.tax_rates else _as_refs(ctx, "tax_rate", invoice.default_tax_rates)
    if cur.tax_rates is not None and applied != wanted:
        return "its tax rates differ"
    if cur.discounts is not None and _as_refs(ctx, "coupon", cur.discounts) != [Ref("coupon", k) for k in item.discounts]:
        return "its discounts differ"
    return None


def finalized_item_changes(ctx: Context, cur: LiveItem, item: InvoiceItemSpec, invoice: LiveInvoice) -> list[str]:
    """A finalized item's rates and discounts where they differ from the spec's, one phrase each
    (frozen, as its amount is); an object replaced since, or one no key names, is not compared."""
    out = []
    if cur.tax_rates is not None:
        applied = _as_refs(ctx, "tax_rate", cur.tax_rates, replaced_too=True)
        wanted: list[Ref | str] = list(rate_refs(item.tax_rates)) if item.tax_rates else _as_refs(
            ctx, "tax_rate", invoice.default_tax_rates, replaced_too=True)
        if applied != wanted and not _unknown(applied) and not _unknown(wanted):
            out.append(f"tax_rates {show(applied)} → {show(wanted)}")
    if cur.discounts is not None:
        live = _as_refs(ctx, "coupon", cur.discounts, replaced_too=True)
        spec = [Ref("coupon", k) for k in item.discounts]
        if live != spec and not _unknown(live):
            out.append(f"discounts {show(live)} → {show(spec)}")
    return out
