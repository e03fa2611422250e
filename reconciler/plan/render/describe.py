"""One dispatch table, keyed by action type: an action -> symbol, headline, detail lines.

Text and markdown both lay out these descriptions; a test checks that the
table covers every class in ALL_ACTIONS.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.kinds import owner_kind
from reconciler.ownership import ITEM_KEY, KEYS_KEY, KEYS_SEPARATOR, is_reserved
from reconciler.plan.actions import (
    ALL_ACTIONS,
    Action,
    AddInvoiceItem,
    AddTaxId,
    ChargeInvoice,
    CreatePrice,
    CreateRevision,
    FieldChange,
    Ref,
    RemoveInvoiceItem,
    RemoveTaxId,
    UpdateInvoiceItem,
    VoidCreditNote,
    VoidInvoice,
    _Adopt,
    _Archive,
    _Create,
    _Delete,
    _Lifecycle,
    _Update,
)
from reconciler.plan.dispatch import ByActionType
from reconciler.plan.plan import Plan
from reconciler.plan.render.money import format_money

# Create parameters that are the same on every object of a kind: not worth a line.
_QUIET_PARAMS = frozenset({"auto_advance", "pending_invoice_items_behavior", "transfer_lookup_key", "invoice"})


@dataclass(frozen=True)
class Described:
    symbol: str  # "+" create, "~" update or adopt, "-" delete/archive, ">" lifecycle step
    headline: str
    details: tuple[str, ...] = ()


def value(v: Any) -> str:
    if v is None:
        return "(unset)"
    if isinstance(v, Ref):
        return str(v)
    return json.dumps(v, ensure_ascii=False, default=str)  # a Ref inside a list or mapping: kind:key


# Stripe takes these as Unix times; the specs (and the reviewer) think in days.
_DATE_FIELDS = frozenset({"due_date", "effective_at", "period.start", "period.end"})


def _shown(name: str, v: Any) -> str:
    """A parameter's value; a date field's Unix time as its day (UTC), a period as start..end."""
    if name in _DATE_FIELDS and isinstance(v, int) and not isinstance(v, bool):
        return dt.datetime.fromtimestamp(v, dt.UTC).date().isoformat()
    if name == "period" and isinstance(v, dict) and set(v) == {"start", "end"}:
        return f"{_shown('period.start', v['start'])}..{_shown('period.end', v['end'])}"
    return value(v)


def _flat(params: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name in sorted(params):
        v = params[name]
        if name in _QUIET_PARAMS or (prefix == "metadata." and is_reserved(name)):
            continue
        if isinstance(v, dict):
            out += _flat(v, f"{prefix}{name}.")
        else:
            out.append((prefix + name, v))
    return out


def _params_lines(params: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"{name} = {_shown(name, v)}" for name, v in _flat(params))


def _change_lines(changes: tuple[FieldChange, ...], currency: str | None = None) -> tuple[str, ...]:
    def show(field: str, v: Any) -> str:
        if field == "amount" and currency and isinstance(v, int) and not isinstance(v, bool):
            return format_money(v, currency)
        return _shown(field, v)

    # The ownership record (metadata.reconciler_keys) is bookkeeping: in the JSON plan, not here.
    shown = [c for c in changes if not (c.field.startswith("metadata.") and is_reserved(c.field[len("metadata."):]))]
    return tuple(f"{c.field}: {show(c.field, c.old)} → {show(c.field, c.new)}" for c in shown)


def _invoice_currency(plan: Plan, key: str) -> str | None:
    total = plan.total_of(key)
    return total.currency if total else None


def _create(a: Any, plan: Plan) -> Described:
    return Described("+", f"create {a.kind}", _params_lines(a.params))


def _revise(a: Any, plan: Plan) -> Described:
    number = f", number {a.number}" if a.number else ""
    return Described("+", f"revise invoice {a.key} ({a.revises}{number}): a new draft copying it; "
                     "Stripe voids the original when the revision is finalized")


def _money(amount: Any, currency: Any) -> str:
    """Money when the values have money's shape; otherwise shown as they are
    (a plan file is untrusted input: rendering must never fail on it)."""
    if isinstance(amount, int) and not isinstance(amount, bool) and isinstance(currency, str):
        return format_money(amount, currency)
    return f"{value(amount)} {value(currency)}"


def _create_price(a: Any, plan: Plan) -> Described:
    p = a.params
    money = _money(p.get("unit_amount"), p.get("currency"))
    rest = {k: v for k, v in p.items() if k not in ("unit_amount", "currency")}
    return Described("+", f"create price {money}", _params_lines(rest))


def _update(a: Any, plan: Plan) -> Described:
    # Headed by the spec key, as adoptions are: `cus_…` alone says nothing to a reviewer.
    # No id yet: the update of a revision the plan creates (its id exists once it does).
    return Described("~", f"update {a.kind} {a.key} ({a.stripe_id or 'the revision'})", _change_lines(a.changes))


def _destroy(a: Any, plan: Plan) -> Described:
    return Described("-", f"{a.verb} {a.kind} {a.stripe_id}")


def _unit_price(price: Any, plan: Plan) -> str:
    """`$12.00 gold-special-usd` for a spec price the plan knows; the reference as it is otherwise."""
    unit = plan.unit_prices.get(price.key) if isinstance(price, Ref) and price.kind == "price" else None
    return f"{format_money(unit[0], unit[1])} {price.key}" if unit and isinstance(price, Ref) else value(price)


def _add_item(a: AddInvoiceItem, plan: Plan) -> Described:
    p = a.params
    if "pricing" in p:
        pricing = p["pricing"]
        price = pricing.get("price") if isinstance(pricing, dict) else pricing
        what = f"{value(p.get('quantity', 1))} × {_unit_price(price, plan)}"
    else:
        what = _money(p.get("amount"), p.get("currency"))
    if "description" in p:
        what += f" {value(p['description'])}"
    if "period" in p:
        what += f" for {_shown('period', p['period'])}"
    details = _params_lines({k: v for k, v in p.items() if k == "metadata"})
    return Described("+", f"add item {a.item_key}: {what}", details)


def _update_item(a: UpdateInvoiceItem, plan: Plan) -> Described:
    currency = _invoice_currency(plan, a.key)
    return Described("~", f"update item {a.item_key} {a.stripe_id}", _change_lines(a.changes, currency))


def _remove_item(a: RemoveInvoiceItem, plan: Plan) -> Described:
    return Described("-", f"remove item {a.item_key} {a.stripe_id}")


def _add_tax_id(a: AddTaxId, plan: Plan) -> Described:
    return Described("+", f"add tax ID {value(a.params.get('type'))} {value(a.params.get('value'))}")


def _remove_tax_id(a: RemoveTaxId, plan: Plan) -> Described:
    return Described("-", f"remove tax ID {a.tax_id.rsplit('-', 1)[0]} {a.stripe_id}")


def _adopt(a: _Adopt, plan: Plan) -> Described:
    details = []
    claimed = _claimed_keys(a.params)
    if claimed:
        # Said in every format, not only the JSON params: once claimed, a key removed from the spec is deleted.
        details.append(f"claims metadata {claimed} (the tool's from now on: removed from the spec, deleted in Stripe)")
    if a.params.get("auto_advance") is False:
        details.append("auto_advance = false (so Stripe's timer does not finalize it)")
    for item_id, params in sorted(a.item_tags().items()):
        metadata = params.get("metadata") if isinstance(params, dict) else None
        item_key = metadata.get(ITEM_KEY) if isinstance(metadata, dict) else None
        item_claims = _claimed_keys(params)
        claims = f" (claims metadata {item_claims})" if item_claims else ""
        details.append(f"tag item {value(item_key)} {item_id}{claims}")
    return Described("~", f"adopt {a.kind} {a.key} ({a.stripe_id})", tuple(details))


def _claimed_keys(params: Any) -> str:
    """'crm_id, tier': the user metadata keys an adoption records as the tool's ("" for none)."""
    metadata = params.get("metadata") if isinstance(params, dict) else None
    record = metadata.get(KEYS_KEY) if isinstance(metadata, dict) else None
    return ", ".join(key for key in str(record or "").split(KEYS_SEPARATOR) if key)


def _step(a: Any, plan: Plan) -> Described:
    target = f" {a.stripe_id}" if a.stripe_id else ""
    return Described(">", f"{a.verb}{target}")


def _charge(a: ChargeInvoice, plan: Plan) -> Described:
    target = f" {a.stripe_id}" if a.stripe_id else ""
    return Described(">", f"charge{target} to {a.card} ({a.payment_method})")


def _void(a: VoidInvoice, plan: Plan) -> Described:
    return _destroy(a, plan) if a.prune else _step(a, plan)


Describer = Callable[[Any, Plan], Described]
_DESCRIBERS: ByActionType[Describer] = ByActionType({
    _Adopt: _adopt,
    _Create: _create,
    CreatePrice: _create_price,
    CreateRevision: _revise,
    _Update: _update,
    _Archive: _destroy,
    _Delete: _destroy,
    AddInvoiceItem: _add_item,
    UpdateInvoiceItem: _update_item,
    RemoveInvoiceItem: _remove_item,
    AddTaxId: _add_tax_id,
    RemoveTaxId: _remove_tax_id,
    _Lifecycle: _step,
    ChargeInvoice: _charge,
    VoidInvoice: _void,
    VoidCreditNote: _step,
})
# Every action class with the describer it gets (the coverage test reads this).
DESCRIBERS = _DESCRIBERS.resolved(ALL_ACTIONS)


def describe(action: Action, plan: Plan) -> Described:
    describer = _DESCRIBERS.get(type(action))
    assert describer is not None, type(action).__name__  # the coverage test holds for ALL_ACTIONS
    return describer(action, plan)


def object_of(action: Action) -> tuple[str, str]:
    """The object an action belongs to: items belong to their invoice."""
    return (owner_kind(action.kind), action.key)
