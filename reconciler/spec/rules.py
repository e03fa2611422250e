"""Rules beyond field types: Stripe's limits, cross-field rules and references."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler import stripe_facts
from reconciler.ownership import KEYS_SEPARATOR, MAX_RESERVED_KEYS, RESERVED_PREFIX
from reconciler.spec import money_rules
from reconciler.spec.credit_note_rules import check_against_invoice, check_credit_note
from reconciler.spec.currencies import ISO_4217, STRIPE_SUPPORTED
from reconciler.spec.entries import KINDS, Entry
from reconciler.spec.errors import SpecError
from reconciler.spec.limits import divisible, due_date_rules, email_to_send, raw_get, totals, unique_tax_ids
from reconciler.spec.models import CouponSpec, CreditNoteSpec, CustomerSpec, InvoiceSpec, PriceSpec, TaxRateSpec
from reconciler.spec.yamltree import YamlPath, dotted
from reconciler.stripe_facts import MAX_METADATA_KEY_LENGTH, MAX_METADATA_VALUE_LENGTH

# Stripe's 50 keys less room for the tool's own (ownership.MAX_RESERVED_KEYS) and one spare.
MAX_METADATA_KEYS = stripe_facts.MAX_METADATA_KEYS - MAX_RESERVED_KEYS - 1
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(
    rf"^{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}$"
)


def is_valid_email(address: str) -> bool:
    """What `validate` accepts as an email address."""
    return _EMAIL.match(address) is not None


def check_entry(entry: Entry) -> Iterator[SpecError]:
    """Rules that need only this entry (which passed field validation)."""
    model = entry.model
    if isinstance(model, PriceSpec):
        yield from _currency(entry, ("currency",), model.currency)
        yield from divisible(entry, ("unit_amount",), model.unit_amount, model.currency)
    elif isinstance(model, CustomerSpec):
        if model.email is not None and not is_valid_email(model.email):
            yield entry.at(("email",), f"{entry.where} email: {model.email!r} is not a valid email address")
        yield from unique_tax_ids(entry, model)
    elif isinstance(model, InvoiceSpec):
        yield from _invoice(entry, model)
    elif isinstance(model, CouponSpec):
        yield from money_rules.coupon(entry, model)
        if model.currency is not None:
            yield from _currency(entry, ("currency",), model.currency)
    elif isinstance(model, TaxRateSpec):
        yield from money_rules.tax_rate(entry, model)
    elif isinstance(model, CreditNoteSpec):
        yield from check_credit_note(entry, model)


def check_raw(entry: Entry) -> Iterator[SpecError]:
    """Metadata limits and NUL characters, checked on the raw values so they show up beside type errors."""
    yield from _nul_characters(entry, (), entry.raw)
    yield from _metadata(entry, (), raw_get(entry.raw, "metadata"))
    items = raw_get(entry.raw, "items") if entry.kind == "invoices" else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        yield from _metadata(entry, ("items", index), raw_get(item, "metadata"))
        if isinstance(item, dict) and "quantity" in item and "amount" in item and "price" not in item:
            yield entry.at(
                ("items", index, "quantity"),
                f"{entry.where} items[{index}].quantity: quantity applies only to price items; amount is the line total",
            )


def check_references(entries: Mapping[str, Mapping[str, Entry]]) -> Iterator[SpecError]:
    """References between entries: price -> product, invoice -> customer, item -> price.

    Read from the raw values, so a dangling reference is reported even when the
    entry has other errors too.
    """
    for by_key in entries.values():
        adopted: dict[str, str] = {}
        for entry in by_key.values():
            yield from _unique_adopt(entry, adopted)
    lookup_keys: dict[str, str] = {}
    for entry in entries["prices"].values():
        yield from _reference(entry, ("product",), "product", entries["products"])
        yield from _unique_lookup_key(entry, lookup_keys)
    for entry in entries["invoices"].values():
        yield from _reference(entry, ("customer",), "customer", entries["customers"])
        items = raw_get(entry.raw, "items")
        for index in range(len(items) if isinstance(items, list) else 0):
            yield from _reference(entry, ("items", index, "price"), "price", entries["prices"])
            yield from _archived_price(entry, index, entries["prices"])
        yield from _money_references(entry, entries)
        if isinstance(entry.model, InvoiceSpec):
            yield from money_rules.invoice(entry, entry.model, entries["tax_rates"], entries["coupons"],
                                           _invoice_currency(entry.model, entries["prices"]))
            yield from _mixed_currencies(entry, entry.model, entries["prices"])
            yield from totals(entry, entry.model, entries["prices"])
            yield from email_to_send(entry, entry.model, entries["customers"])
    yield from _credit_notes(entries)


def _credit_notes(entries: Mapping[str, Mapping[str, Entry]]) -> Iterator[SpecError]:
    """Each credit note names an invoice of the specs, and an invoice's credit notes fit its items."""
    by_invoice: dict[str, list[Entry]] = {}
    for key in sorted(entries["credit_notes"]):
        entry = entries["credit_notes"][key]
        yield from _reference(entry, ("invoice",), "invoice", entries["invoices"])
        if isinstance(entry.model, CreditNoteSpec):
            by_invoice.setdefault(entry.model.invoice, []).append(entry)
    prices = {k: e.model for k, e in entries["prices"].items() if isinstance(e.model, PriceSpec)}
    for invoice_key, notes in sorted(by_invoice.items()):
        invoice = entries["invoices"].get(invoice_key)
        if invoice is not None and isinstance(invoice.model, InvoiceSpec):
            yield from check_against_invoice(notes, invoice, prices)


def _nul_characters(entry: Entry, sub: YamlPath, value: Any) -> Iterator[SpecError]:
    """A NUL in a string ("\\0" in YAML): Stripe and most tools cut the text there."""
    if isinstance(value, str):
        if "\0" in value:
            where = f" {dotted(sub)}" if sub else ""
            yield entry.at(sub, f"{entry.where}{where}: contains a NUL character (\\0); remove it")
    elif isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(key, str) and "\0" in key:
                yield entry.at((*sub, key), f"{entry.where} {dotted(sub) or 'key'}: a key contains a NUL character "
                                            "(\\0); remove it", on_key=True)
            yield from _nul_characters(entry, (*sub, key), inner)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _nul_characters(entry, (*sub, index), inner)


def _reference(entry: Entry, sub: YamlPath, kind: str, defined: Mapping[str, Entry]) -> Iterator[SpecError]:
    target = raw_get(entry.raw, *sub)
    if not isinstance(target, str) or target in defined:
        return
    field = dotted(sub)
    if not defined:
        yield entry.at(sub, f"{entry.where} {field}: no {kind} '{target}' is defined (there are no {kind}s)")
        return
    closest = difflib.get_close_matches(target, list(defined), n=1, cutoff=0.0)
    hint = f" (closest: '{closest[0]}')" if closest else ""
    yield entry.at(sub, f"{entry.where} {field}: no {kind} '{target}' is defined{hint}")


def _unique_lookup_key(entry: Entry, seen: dict[str, str]) -> Iterator[SpecError]:
    """Stripe gives a lookup key to one price at a time: two specs would take it from each other forever."""
    lookup_key = raw_get(entry.raw, "lookup_key")
    if not isinstance(lookup_key, str) or not lookup_key:
        return
    if lookup_key in seen:
        yield entry.at(
            ("lookup_key",),
            f"{entry.where} lookup_key: '{lookup_key}' is already the lookup_key of price '{seen[lookup_key]}'",
        )
    else:
        seen[lookup_key] = entry.key


def _unique_adopt(entry: Entry, seen: dict[str, str]) -> Iterator[SpecError]:
    """One Stripe object can be adopted under one key only: two would take its tag from each other."""
    target = raw_get(entry.raw, "adopt")
    if not isinstance(target, str) or not target:
        return
    if target in seen:
        other = f"{KINDS[entry.kind][0]} '{seen[target]}'"
        yield entry.at(("adopt",), f"{entry.where} adopt: {target} is already adopted by {other}")
    else:
        seen[target] = entry.key


def _archived_price(entry: Entry, index: int, prices: Mapping[str, Entry]) -> Iterator[SpecError]:
    if raw_get(entry.raw, "adopt"):
        return  # an invoice that exists in Stripe already holds its items: none is added
    target = raw_get(entry.raw, "items", index, "price")
    price = prices.get(target) if isinstance(target, str) else None
    if price is not None and raw_get(price.raw, "active") is False:
        yield entry.at(
            ("items", index, "price"),
            f"{entry.where} items[{index}].price: price '{target}' is archived (active: false); "
            "Stripe refuses inactive prices on new items",
        )


def _paid_out_of_band(entry: Entry, invoice: InvoiceSpec) -> Iterator[SpecError]:
    """`paid_out_of_band` says how `status: paid` is reached; with any other status it means nothing."""
    if invoice.paid_out_of_band is None:
        return
    if invoice.status != "paid":
        yield entry.at(
            ("paid_out_of_band",),
            f"{entry.where} paid_out_of_band: only meaningful with status paid, not {invoice.status}: remove it",
        )
    elif invoice.paid_out_of_band is False and invoice.collection_method == "send_invoice":
        yield entry.at(
            ("paid_out_of_band",),
            f"{entry.where} paid_out_of_band: false needs collection_method charge_automatically (a send_invoice "
            "invoice has no saved card to charge: status paid records a payment made outside Stripe); "
            "write paid_out_of_band: true, or remove it",
        )


def _invoice(entry: Entry, invoice: InvoiceSpec) -> Iterator[SpecError]:
    if invoice.status == "sent" and invoice.collection_method != "send_invoice":
        yield entry.at(
            ("status",),
            f"{entry.where} status: sent needs collection_method send_invoice (a charge_automatically invoice is "
            "charged, not emailed); write status: open, or collection_method: send_invoice with days_until_due",
        )
    if invoice.collection_method == "send_invoice" and invoice.days_until_due is None and invoice.due_date is None:
        yield entry.at(
            (),
            f"{entry.where}: days_until_due (1..3650) or due_date is required when collection_method is send_invoice",
            on_key=True,
        )
    if invoice.collection_method == "charge_automatically" and invoice.days_until_due is not None:
        yield entry.at(
            ("days_until_due",),
            f"{entry.where} days_until_due: only allowed with collection_method send_invoice, not charge_automatically",
        )
    yield from due_date_rules(entry, invoice)
    if invoice.assume_unsent and invoice.status != "sent":
        yield entry.at(
            ("assume_unsent",),
            f"{entry.where} assume_unsent: only meaningful with status sent (it allows a send), "
            f"not {invoice.status}: remove it",
        )
    yield from _paid_out_of_band(entry, invoice)
    keys_seen: dict[str, int] = {}
    for index, item in enumerate(invoice.items):
        here = f"{entry.where} items[{index}]"
        sub: YamlPath = ("items", index)
        if item.price is not None and (item.amount is not None or item.currency is not None):
            yield entry.at(sub, f"{here}: give either price or amount with currency, not both")
        elif item.price is None and item.amount is None and item.currency is None:
            yield entry.at(sub, f"{here}: needs either price or amount with currency")
        elif item.price is None and item.currency is None:
            yield entry.at((*sub, "amount"), f"{here}: amount needs a currency")
        elif item.price is None and item.amount is None:
            yield entry.at((*sub, "currency"), f"{here}: currency needs an amount")
        if item.currency is not None:
            yield from _currency(entry, (*sub, "currency"), item.currency)
            if item.amount is not None:
                yield from divisible(entry, (*sub, "amount"), item.amount, item.currency)
        if item.key is not None:
            if item.key in keys_seen:
                yield entry.at(
                    (*sub, "key"), f"{here}.key: '{item.key}' is already the key of items[{keys_seen[item.key]}]"
                )
            else:
                keys_seen[item.key] = index


def _money_references(entry: Entry, entries: Mapping[str, Mapping[str, Entry]]) -> Iterator[SpecError]:
    """An invoice's and its items' tax rates and coupons name entries of the specs."""
    lists: list[tuple[YamlPath, str, str]] = [(("default_tax_rates",), "tax_rate", "tax_rates"),
                                              (("discounts",), "coupon", "coupons")]
    items = raw_get(entry.raw, "items")
    for index in range(len(items) if isinstance(items, list) else 0):
        lists += [(("items", index, "tax_rates"), "tax_rate", "tax_rates"),
                  (("items", index, "discounts"), "coupon", "coupons")]
    for sub, kind, section in lists:
        keys = raw_get(entry.raw, *sub)
        for n in range(len(keys) if isinstance(keys, list) else 0):
            yield from _reference(entry, (*sub, n), kind, entries[section])


def _invoice_currency(invoice: InvoiceSpec, prices: Mapping[str, Entry]) -> str | None:
    """The first item's currency (the items' own rule reports a mix)."""
    item = invoice.items[0]
    if item.price is None:
        return item.currency
    price = prices.get(item.price)
    return price.model.currency if price and isinstance(price.model, PriceSpec) else None


def _mixed_currencies(entry: Entry, invoice: InvoiceSpec, prices: Mapping[str, Entry]) -> Iterator[SpecError]:
    first: tuple[int, str] | None = None
    for index, item in enumerate(invoice.items):
        currency = item.currency
        if item.price is not None:
            price = prices.get(item.price)
            currency = price.model.currency if price and isinstance(price.model, PriceSpec) else None
        if currency is None or currency not in ISO_4217:
            continue
        if first is None:
            first = (index, currency)
        elif currency != first[1]:
            sub: YamlPath = ("items", index, "price" if item.price is not None else "currency")
            yield entry.at(
                sub,
                f"{entry.where} items[{index}]: currency {currency} differs from {first[1]} of items[{first[0]}]; "
                "all items of an invoice must share one currency",
            )


def _currency(entry: Entry, sub: YamlPath, code: str) -> Iterator[SpecError]:
    if code in STRIPE_SUPPORTED:
        return
    if code in ISO_4217:
        yield entry.at(
            sub,
            f"{entry.where} {dotted(sub)}: Stripe does not support the currency '{code}' "
            "(docs.stripe.com/currencies lists those it does)",
        )
        return
    close = difflib.get_close_matches(code, sorted(STRIPE_SUPPORTED), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    yield entry.at(sub, f"{entry.where} {dotted(sub)}: '{code}' is not an ISO 4217 currency code{hint}")


def _metadata(entry: Entry, sub: YamlPath, metadata: Any) -> Iterator[SpecError]:
    if not isinstance(metadata, dict):
        return
    here = f"{entry.where} {dotted((*sub, 'metadata'))}"
    if len(metadata) > MAX_METADATA_KEYS:
        yield entry.at(
            (*sub, "metadata"),
            f"{here}: at most {MAX_METADATA_KEYS} keys, got {len(metadata)} "
            f"(Stripe allows 50; reconciler keeps {50 - MAX_METADATA_KEYS} for its own)",
        )
    record = KEYS_SEPARATOR.join(sorted(str(k) for k in metadata))
    if len(record) > MAX_METADATA_VALUE_LENGTH:
        yield entry.at(
            (*sub, "metadata"),
            f"{here}: the key names joined by commas are {len(record)} characters; at most "
            f"{MAX_METADATA_VALUE_LENGTH} (reconciler records them in one metadata value)",
        )
    for key, value in metadata.items():
        at: YamlPath = (*sub, "metadata", key)
        if key == "":
            yield entry.at(at, f"{here}: a key must not be empty", on_key=True)
        if value == "":
            # Stripe stores "" as "no such key": the plan would set it on every run.
            yield entry.at(
                at, f"{here}: value of '{key}' is empty; Stripe treats an empty value as unset: remove the key instead"
            )
        if key.startswith(RESERVED_PREFIX):
            reason = f"keys starting with '{RESERVED_PREFIX}' belong to reconciler"
            yield entry.at(at, f"{here}: key '{key}' is reserved ({reason})", on_key=True)
        if len(key) > MAX_METADATA_KEY_LENGTH:
            length = f"{len(key)} characters; at most {MAX_METADATA_KEY_LENGTH}"
            yield entry.at(at, f"{here}: key '{key}' is {length}", on_key=True)
        if "[" in key or "]" in key:
            yield entry.at(at, f"{here}: key '{key}' must not contain '[' or ']'", on_key=True)
        if KEYS_SEPARATOR in str(key):
            yield entry.at(
                at, f"{here}: key '{key}' must not contain ',' (reconciler records its keys comma-separated)", on_key=True
            )
        if isinstance(value, str) and len(value) > MAX_METADATA_VALUE_LENGTH:
            yield entry.at(
                at, f"{here}: value of '{key}' is {len(value)} characters; at most {MAX_METADATA_VALUE_LENGTH}"
            )
