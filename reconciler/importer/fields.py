"""One live record -> the fields of its spec entry, in the v1 format.

Pure functions. A field is written when it differs from the spec default, so
the entry reads like one written by hand. Values the spec format would refuse
raise Unrepresentable (the object is skipped whole, with the reason); metadata
keys it would refuse are left out of the spec (and in Stripe) with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.kinds import KINDS, KindInfo
from reconciler.live.records import (
    LiveCreditNote,
    LiveCustomer,
    LiveInvoice,
    LiveItem,
    LivePrice,
    LiveProduct,
    TableRecord,
)
from reconciler.live.sendproof import sent_state
from reconciler.ownership import KEYS_SEPARATOR
from reconciler.spec.countries import ISO_3166_ALPHA_2
from reconciler.spec.currencies import ISO_4217
from reconciler.spec.document import day_of
from reconciler.spec.models import (
    MAX_AMOUNT,
    MAX_CUSTOMER_DESCRIPTION,
    MAX_CUSTOMER_NAME,
    MAX_FOOTER,
    MAX_INVOICE_DESCRIPTION,
    MAX_PHONE,
)
from reconciler.spec.rules import MAX_METADATA_KEYS, is_valid_email
from reconciler.stripe_facts import MAX_METADATA_VALUE_LENGTH

Entry = dict[str, Any]
MAX_ITEMS = 250
MAX_DESCRIPTION = 500
MAX_NAME = 250


class Unrepresentable(Exception):
    """The object cannot be written as a spec; the message says why."""


def spec_metadata(metadata: Mapping[str, str], owned: frozenset[str] | None, *, managed: bool) -> tuple[dict[str, str], str]:
    """The metadata a spec entry carries, and a note on what was left out ("" if nothing).

    An adopted object's spec names all its metadata: on adoption those keys
    become the tool's. A managed object's names only the keys the tool owns
    (the others stay someone else's).
    """
    if managed:
        metadata = {k: v for k, v in metadata.items() if k in (owned or frozenset())}
    bad = sorted(k for k in metadata if any(c in k for c in ",[]") or not metadata[k] or len(metadata[k]) > 500)
    kept = {k: v for k, v in sorted(metadata.items()) if k not in bad}
    if len(kept) > MAX_METADATA_KEYS or len(KEYS_SEPARATOR.join(kept)) > MAX_METADATA_VALUE_LENGTH:
        return {}, f"metadata ({len(kept)} keys: more than a spec may name, {MAX_METADATA_KEYS})"
    return kept, f"metadata {', '.join(repr(k) for k in bad)} (not a spec key)" if bad else ""


def simple_entry(info: KindInfo, record: TableRecord, metadata: dict[str, str]) -> Entry:
    """A simple kind's entry: each field of its table that is set to other than Stripe's default."""
    _CHECKS.get(info.name, _fine)(record)
    entry: Entry = {}
    for f in info.fields:
        value = _compact(record.values[f.name]) if f.named_only else record.values[f.name]
        if value not in (None, "") and value != f.default:
            entry[f.name] = value
    tax_ids = getattr(record, "tax_id_objects", ())
    if tax_ids:  # read as objects of their own (expanded on the list), written as the spec says them
        entry["tax_ids"] = [{"type": tax_type, "value": value} for _, tax_type, value in tax_ids]
    return _with_metadata(entry, metadata)


def _compact(value: Any) -> Any:
    """A nested Stripe value as a spec writes it: unset keys (null, "", empty) left out, at every depth."""
    if isinstance(value, dict):
        kept = {k: _compact(v) for k, v in value.items()}
        kept = {k: v for k, v in kept.items() if v not in (None, "", [], {})}
        return kept or None
    return value


def _fine(record: TableRecord) -> None:
    pass


def _product(record: TableRecord) -> None:
    if not 1 <= len(record.name) <= MAX_NAME:
        raise Unrepresentable(f"its name has {len(record.name)} characters; a spec allows 1 to {MAX_NAME}")


def _customer(record: TableRecord) -> None:
    if record.email and not is_valid_email(record.email):
        raise Unrepresentable(f"its email {record.email!r} is not an address a spec accepts")
    for name, limit in (("name", MAX_CUSTOMER_NAME), ("description", MAX_CUSTOMER_DESCRIPTION), ("phone", MAX_PHONE)):
        value = record.values.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise Unrepresentable(f"its {name} has {len(value)} characters; a spec allows at most {limit}")
    country = (record.values.get("address") or {}).get("country")
    if country and country not in ISO_3166_ALPHA_2:
        raise Unrepresentable(f"its address's country {country!r} is not an ISO 3166-1 alpha-2 code")


# What a simple kind's spec refuses that its live object may hold (the spec loader's own rules).
_CHECKS: dict[str, Callable[[TableRecord], None]] = {"product": _product, "customer": _customer}


def product_entry(product: LiveProduct, metadata: dict[str, str]) -> Entry:
    return simple_entry(KINDS["product"], product, metadata)


def price_entry(price: LivePrice, product_key: str, metadata: dict[str, str]) -> Entry:
    if not 0 <= price.unit_amount <= MAX_AMOUNT:
        raise Unrepresentable(f"its unit_amount {price.unit_amount} is outside 0..{MAX_AMOUNT}")
    _check_currency(price.currency)
    entry: Entry = {"product": product_key, "unit_amount": price.unit_amount, "currency": price.currency}
    _put(entry, "nickname", price.nickname)
    _put(entry, "lookup_key", price.lookup_key)
    if not price.active:
        entry["active"] = False
    return _with_metadata(entry, metadata)


def customer_entry(customer: LiveCustomer, metadata: dict[str, str]) -> Entry:
    return simple_entry(KINDS["customer"], customer, metadata)


def invoice_status(invoice: LiveInvoice, events_complete_since: int | None) -> str:
    """The spec status of a live invoice: `sent` exactly when the tool can tell
    it was sent (its marker, or Stripe's `invoice.sent` event), else `open`."""
    if invoice.status != "open":
        return invoice.status
    sendable = invoice.collection_method == "send_invoice"
    return "sent" if sendable and sent_state(invoice, events_complete_since) == "sent" else "open"


def invoice_entry(
    invoice: LiveInvoice, customer_key: str, status: str, items: list[Entry], metadata: dict[str, str]
) -> Entry:
    if not 1 <= len(items) <= MAX_ITEMS:
        raise Unrepresentable(f"it has {len(items)} items; a spec has 1 to {MAX_ITEMS}")
    entry: Entry = {"customer": customer_key, "collection_method": invoice.collection_method}
    if invoice.collection_method == "send_invoice":
        days = invoice.days_until_due
        if days is None or not 1 <= days <= 3650:
            raise Unrepresentable(f"its payment term ({days} days) is not one a spec can give (1..3650 days)")
        entry["days_until_due"] = days
    entry["status"] = status
    for name, text, limit in (("description", invoice.description, MAX_INVOICE_DESCRIPTION),
                              ("footer", invoice.footer, MAX_FOOTER)):
        if text and len(text) > limit:
            raise Unrepresentable(f"its {name} has {len(text)} characters; a spec allows at most {limit}")
    _put(entry, "description", invoice.description)
    _put(entry, "footer", invoice.footer)
    entry.update(_document(invoice))
    entry = _with_metadata(entry, metadata)
    entry["items"] = items
    return entry


def _document(invoice: LiveInvoice) -> Entry:
    """What the invoice document says beyond its lines (issue 18), as a spec writes it."""
    entry: Entry = {}
    if invoice.custom_fields:
        entry["custom_fields"] = [{"name": name, "value": value} for name, value in invoice.custom_fields]
    if invoice.effective_at is not None:  # set by someone: Stripe's own is the finalization time
        entry["effective_at"] = day_of(invoice.effective_at)
    rendering: Entry = {}
    if invoice.amount_tax_display:
        rendering["amount_tax_display"] = invoice.amount_tax_display
    if invoice.page_size:
        rendering["pdf"] = {"page_size": invoice.page_size}
    if rendering:
        entry["rendering"] = rendering
    if invoice.account_tax_ids:
        entry["account_tax_ids"] = list(invoice.account_tax_ids)
    return entry


def item_entry(item: LiveItem, price_key: str | None, product_name: str | None, metadata: dict[str, str]) -> Entry:
    """A price item (its price's spec key) or an amount item (line total and currency)."""
    entry: Entry = {}
    if price_key is not None:
        if item.quantity < 1:
            raise Unrepresentable(f"item {item.id} has quantity {item.quantity}; a spec item has at least 1")
        entry["price"] = price_key
        if item.quantity != 1:
            entry["quantity"] = item.quantity
        if item.description and item.description != product_name:
            entry["description"] = item.description  # else Stripe's own: the product's name
    else:
        if not -MAX_AMOUNT <= item.amount <= MAX_AMOUNT:
            raise Unrepresentable(f"item {item.id} has amount {item.amount}; a spec item has -{MAX_AMOUNT}..{MAX_AMOUNT}")
        _check_currency(item.currency)
        _put(entry, "description", item.description)
        entry["amount"] = item.amount
        entry["currency"] = item.currency
    if len(entry.get("description") or "") > MAX_DESCRIPTION:
        raise Unrepresentable(f"item {item.id} has a description longer than {MAX_DESCRIPTION} characters")
    if item.period is not None and item.period[0] != item.period[1]:
        # A period of one instant is Stripe's own (the item's creation time); a real one is a spec's.
        entry["period"] = {"start": day_of(item.period[0]), "end": day_of(item.period[1])}
    return _with_metadata(entry, metadata)


def credit_note_entry(
    note: LiveCreditNote, invoice_key: str, item_keys: Mapping[str, str], metadata: dict[str, str]
) -> Entry:
    """Its invoice's key, lines by that invoice's item keys (or custom), or its amount; the split."""
    entry: Entry = {"invoice": invoice_key}
    lines: list[Entry] = []
    for line in note.lines:
        if line.type == "invoice_line_item":
            item_key = item_keys.get(line.invoice_line_item or "")
            if item_key is None:
                raise Unrepresentable(f"it credits invoice line {line.invoice_line_item}, which is no item of the spec")
            lines.append({"item": item_key, "quantity": line.quantity} if line.quantity is not None
                         else {"item": item_key, "amount": line.amount})
        else:
            custom: Entry = {"description": line.description or "Credit", "amount": line.amount}
            if (line.quantity or 1) != 1:
                custom["quantity"] = line.quantity
            lines.append(custom)
    if lines:
        entry["lines"] = lines
    else:
        entry["amount"] = note.amount
    _put(entry, "reason", note.reason)
    _put(entry, "memo", note.memo)
    for name in ("refund_amount", "credit_amount", "out_of_band_amount"):
        if getattr(note, name):
            entry[name] = getattr(note, name)
    if note.status == "void":
        entry["status"] = "void"
    return _with_metadata(entry, metadata)


def _check_currency(code: str) -> None:
    if code not in ISO_4217:
        raise Unrepresentable(f"its currency {code!r} is not an ISO 4217 code")


def _put(entry: Entry, name: str, value: Any) -> None:
    if value not in (None, ""):
        entry[name] = value


def _with_metadata(entry: Entry, metadata: dict[str, str]) -> Entry:
    if metadata:
        entry["metadata"] = metadata
    return entry
