"""Stripe JSON objects (API 2026-10-28.endive) → live records.

Pure functions over the decoded JSON; no requests. Only the user part of
metadata is kept (ownership.user_metadata); ownership keys become `key`,
`send_marker` and item keys.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from reconciler import ownership
from reconciler.gateway.errors import MalformedObject
from reconciler.kinds import INVOICE_SETTINGS_UNSET, KINDS
from reconciler.live.records import (
    TABLE_RECORDS,
    LiveCreditNote,
    LiveCreditNoteLine,
    LiveCustomer,
    LiveInvoice,
    LiveItem,
    LivePrice,
    LiveProduct,
    PaymentCard,
    TableRecord,
)

Obj = Mapping[str, Any]
_DAY = 86_400
R = TypeVar("R")


def _record_of(kind: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Turn a type error deep in a conversion into MalformedObject naming the object."""

    def decorate(convert: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(convert)
        def checked(obj: Obj, *args: Any) -> R:
            try:
                return convert(obj, *args)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise MalformedObject(kind, str(obj.get("id")), f"{type(exc).__name__}: {exc}") from None

        return checked

    return decorate


def owner_key(obj: Obj) -> str | None:
    """The spec key of a managed object, None for an object the tool does not own."""
    value = _metadata(obj).get(ownership.OWNER_KEY)
    return value if value else None


def _metadata(obj: Obj) -> dict[str, str]:
    raw = obj.get("metadata") or {}
    return {str(k): str(v) for k, v in raw.items()}


def has_item_tags(invoice: Obj) -> bool:
    """Whether an invoice's embedded lines carry the tool's item tag (ownership.ITEM_KEY)."""
    lines = (invoice.get("lines") or {}).get("data") or []
    return any((line.get("metadata") or {}).get(ownership.ITEM_KEY) for line in lines)


def id_of(value: Any) -> str | None:
    """An id, whether the field came expanded (an object) or not (a string)."""
    if isinstance(value, Mapping):
        found = value.get("id")
        return str(found) if found else None
    return str(value) if value else None


def table_values(kind: str, obj: Obj) -> dict[str, Any]:
    """A simple kind's fields (its table in reconciler.kinds) from Stripe's names; unset: the table's default."""
    values = {}
    for spec in KINDS[kind].fields:
        found = obj.get(spec.param)
        values[spec.name] = spec.default if found is None else found
    if kind == "customer" and "invoice_settings" in values:
        values["invoice_settings"] = _invoice_settings(obj.get("invoice_settings"))
    return values


def _invoice_settings(found: Any) -> dict[str, Any]:
    """A customer's invoice defaults without the payment method (a checkout's, read apart as a card)."""
    settings = found if isinstance(found, Mapping) else {}
    return {name: settings.get(name) for name in INVOICE_SETTINGS_UNSET}


def table_record(kind: str, obj: Obj, key: str, **extra: Any) -> TableRecord:
    """A simple kind's live record (its fields, the user part of metadata, the keys the tool set)."""
    try:
        return TABLE_RECORDS[kind](
            obj["id"], key, values=table_values(kind, obj), metadata=ownership.user_metadata(_metadata(obj)),
            owned_keys=ownership.owned_keys(_metadata(obj)), **extra,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedObject(kind, str(obj.get("id")), f"{type(exc).__name__}: {exc}") from None


def simple(kind: str, obj: Obj, key: str) -> TableRecord:
    """The live record of a simple kind's object (a customer's with the card it carries)."""
    return customer(obj, key) if kind == "customer" else table_record(kind, obj, key)


def product(obj: Obj, key: str) -> LiveProduct:
    return cast(LiveProduct, table_record("product", obj, key))


@_record_of("price")
def price(obj: Obj, key: str) -> LivePrice:
    return LivePrice(
        id=obj["id"],
        key=key,
        product_id=id_of(obj.get("product")) or "",
        unit_amount=int(obj.get("unit_amount") or 0),
        currency=str(obj.get("currency") or "").lower(),
        nickname=obj.get("nickname"),
        lookup_key=obj.get("lookup_key"),
        active=bool(obj.get("active", True)),
        metadata=ownership.user_metadata(_metadata(obj)),
        owned_keys=ownership.owned_keys(_metadata(obj)),
        created=int(obj.get("created") or 0),
    )


@_record_of("customer")
def customer(obj: Obj, key: str) -> LiveCustomer:
    card = payment_card((obj.get("invoice_settings") or {}).get("default_payment_method"))
    listed = (obj.get("tax_ids") or {}).get("data") or ()
    tax_ids = tuple((str(t["id"]), str(t["type"]), str(t["value"])) for t in listed)
    return cast(LiveCustomer, table_record("customer", obj, key, default_payment_method=card,
                                           balance=int(obj.get("balance") or 0), tax_id_objects=tax_ids,
                                           balance_currency=(obj.get("currency") or None) if obj.get("balance") else None,
                                           discount_coupon=coupon_of(obj.get("discount"))))


def payment_card(value: Any) -> PaymentCard | None:
    """A payment method field: brand and last 4 when it came expanded, the id alone otherwise."""
    if not value:
        return None
    if not isinstance(value, Mapping):
        return PaymentCard(id=str(value))
    card = value.get("card") or {}
    return PaymentCard(id=str(value["id"]), brand=str(card.get("brand") or value.get("type") or "card"),
                       last4=str(card.get("last4") or ""))


def item(line: Obj) -> LiveItem:
    """An invoice line. Its id is the invoice ITEM's (`ii_…`), which update and
    delete need; in this API version it sits in parent.invoice_item_details."""
    parent = line.get("parent") or {}
    details = parent.get("invoice_item_details") or {}
    item_id = id_of(details.get("invoice_item")) or line["id"]
    pricing = line.get("pricing") or {}
    price_details = pricing.get("price_details") or {}
    metadata = _metadata(line)
    quantity = line.get("quantity")
    return LiveItem(
        id=item_id,
        key=metadata.get(ownership.ITEM_KEY, ""),
        price_id=id_of(price_details.get("price")),
        quantity=int(quantity) if quantity is not None else 1,
        amount=int(line.get("amount") or 0),
        currency=str(line.get("currency") or "").lower(),
        description=line.get("description"),
        metadata=ownership.user_metadata(metadata),
        owned_keys=ownership.owned_keys(metadata),
        period=_period(line.get("period")),
        line_id=str(line["id"]) if line.get("id") != item_id else "",
        tax_rates=_line_rates(line),
        discounts=coupons_of(line.get("discounts")),
    )


def _period(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, Mapping) or value.get("start") is None or value.get("end") is None:
        return None
    return int(value["start"]), int(value["end"])


def _line_rates(line: Obj) -> tuple[str, ...] | None:
    """The tax rates a line's `taxes` name (none when it has none)."""
    taxes = line.get("taxes")
    if not isinstance(taxes, list):
        return ()
    return tuple(str((t.get("tax_rate_details") or {}).get("tax_rate") or "") for t in taxes)


def coupon_of(discount: Any) -> str | None:
    """A discount's coupon id (`source.coupon`, an id or an expanded coupon); None when the discount
    came unexpanded (an id alone)."""
    if not isinstance(discount, Mapping):
        return None
    coupon = (discount.get("source") or {}).get("coupon")
    return id_of(coupon)


def coupons_of(discounts: Any) -> tuple[str, ...] | None:
    """The coupons of a list of discounts (none when absent); None when one came without its coupon."""
    if not isinstance(discounts, list):
        return ()
    found = [coupon_of(d) for d in discounts]
    return None if any(c is None for c in found) else tuple(str(c) for c in found)


def days_until_due(obj: Obj) -> int | None:
    """The invoice's payment term in days.

    Invoice objects of this API version carry `due_date`, not `days_until_due`
    (take the latter when an emulator or older version sends it). The term
    runs from creation (the SDK's docstring) or, where due dates are set at
    finalization, from then: whichever gives a whole number of days.
    """
    explicit = obj.get("days_until_due")
    if explicit is not None:
        return int(explicit)
    due = obj.get("due_date")
    if due is None or obj.get("collection_method") != "send_invoice":
        return None
    starts = [int(obj.get("created") or 0)]
    finalized = (obj.get("status_transitions") or {}).get("finalized_at")
    if finalized:
        starts.append(int(finalized))
    best = min(starts, key=lambda start: _off_whole_day(int(due) - start))
    return max(0, round((int(due) - best) / _DAY))


def _off_whole_day(seconds: int) -> int:
    rest = seconds % _DAY
    return min(rest, _DAY - rest)


@_record_of("invoice")
def invoice(obj: Obj, key: str, lines: Sequence[Obj]) -> LiveInvoice:
    metadata = _metadata(obj)
    return LiveInvoice(
        id=obj["id"],
        key=key,
        customer_id=id_of(obj.get("customer")) or "",
        status=str(obj.get("status") or ""),
        collection_method=str(obj.get("collection_method") or ""),
        days_until_due=days_until_due(obj),
        currency=str(obj.get("currency") or "").lower(),
        description=obj.get("description"),
        footer=obj.get("footer"),
        metadata=ownership.user_metadata(metadata),
        owned_keys=ownership.owned_keys(metadata),
        number=obj.get("number"),
        total=int(obj.get("total") or 0),
        amount_paid=int(obj.get("amount_paid") or 0),
        amount_remaining=int(obj.get("amount_remaining") or 0),
        send_marker=metadata.get(ownership.SEND_KEY) or None,
        items=tuple(item(line) for line in lines),
        created=int(obj.get("created") or 0),
        finalized_at=_finalized_at(obj),
        due_date=int(obj["due_date"]) if obj.get("due_date") else None,
        default_payment_method=payment_card(obj.get("default_payment_method")),
        attempt_count=int(obj.get("attempt_count") or 0),
        hosted_invoice_url=obj.get("hosted_invoice_url"),
        default_tax_rates=tuple(str(id_of(r)) for r in obj.get("default_tax_rates") or ()),
        discounts=coupons_of(obj.get("discounts")),
        automatic_tax=bool((obj.get("automatic_tax") or {}).get("enabled")),
        from_invoice=id_of((obj.get("from_invoice") or {}).get("invoice")) or None,
        latest_revision=id_of(obj.get("latest_revision")) or None,
        **_document(obj),
        paid_out_of_band=int(obj.get("amount_paid_off_stripe") or 0) > 0,
        pre_payment_credit_notes_amount=int(obj.get("pre_payment_credit_notes_amount") or 0),
        post_payment_credit_notes_amount=int(obj.get("post_payment_credit_notes_amount") or 0),
    )


@_record_of("credit_note")
def credit_note(obj: Obj, key: str) -> LiveCreditNote:
    """A credit note with its embedded lines (Stripe embeds the first ten; more are not read:
    the planner compares a credit note's lines only when it has at most ten)."""
    metadata = _metadata(obj)
    refunded = sum(int(r.get("amount_refunded") or 0) for r in obj.get("refunds") or ())
    out_of_band = int(obj.get("out_of_band_amount") or 0)
    post = int(obj.get("post_payment_amount") or 0)
    return LiveCreditNote(
        id=obj["id"],
        key=key,
        invoice_id=id_of(obj.get("invoice")) or "",
        status=str(obj.get("status") or ""),
        amount=int(obj.get("total") or obj.get("amount") or 0),
        currency=str(obj.get("currency") or "").lower(),
        customer_id=id_of(obj.get("customer")) or "",
        reason=obj.get("reason"),
        memo=obj.get("memo"),
        pre_payment_amount=int(obj.get("pre_payment_amount") or 0),
        post_payment_amount=post,
        refund_amount=refunded,
        # Not on the object: the post-payment part that is neither refunded nor credited outside Stripe.
        credit_amount=max(0, post - refunded - out_of_band) if obj.get("customer_balance_transaction") else 0,
        out_of_band_amount=out_of_band,
        number=obj.get("number"),
        lines=tuple(_credit_line(line) for line in (obj.get("lines") or {}).get("data") or ()),
        metadata=ownership.user_metadata(metadata),
        owned_keys=ownership.owned_keys(metadata),
    )


def _credit_line(line: Obj) -> LiveCreditNoteLine:
    quantity, unit = line.get("quantity"), line.get("unit_amount")
    return LiveCreditNoteLine(
        type=str(line.get("type") or ""),
        amount=int(line.get("amount") or 0),
        invoice_line_item=line.get("invoice_line_item"),
        quantity=int(quantity) if quantity is not None else None,
        unit_amount=int(unit) if unit is not None else None,
        description=line.get("description"),
    )


def _document(obj: Obj) -> dict[str, Any]:
    """What the invoice document says beyond its lines, as LiveInvoice's fields."""
    rendering = obj.get("rendering") or {}
    pdf = rendering.get("pdf") or {}
    fields = obj.get("custom_fields")
    effective = int(obj["effective_at"]) if obj.get("effective_at") else None
    # Stripe: "Same as finalized_at unless overwritten": only an overwritten one is recorded.
    overwritten = effective is not None and effective != _finalized_at(obj)
    return {
        "custom_fields": None if fields is None else tuple((str(f["name"]), str(f["value"])) for f in fields),
        "effective_at": effective if overwritten else None,
        "amount_tax_display": rendering.get("amount_tax_display"),
        "page_size": pdf.get("page_size"),
        "account_tax_ids": tuple(str(id_of(t)) for t in obj.get("account_tax_ids") or ()),
    }


def _finalized_at(obj: Obj) -> int | None:
    found = (obj.get("status_transitions") or {}).get("finalized_at")
    return int(found) if found else None
