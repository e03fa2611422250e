"""Stripe's limits on amounts and what an invoice needs to be sent, checked on the specs.

Each rule cites its source in docs/spec-format.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.spec.currencies import amount_divisor
from reconciler.spec.entries import Entry
from reconciler.spec.errors import SpecError
from reconciler.spec.models import MAX_AMOUNT, CustomerSpec, InvoiceSpec, PriceSpec
from reconciler.spec.yamltree import YamlPath, dotted


def raw_get(raw: Any, *path: str | int) -> Any:
    """The value at `path` in a raw (unvalidated) entry, None where the path does not lead."""
    for part in path:
        if isinstance(raw, dict) and isinstance(part, str):
            raw = raw.get(part)
        elif isinstance(raw, list) and isinstance(part, int) and part < len(raw):
            raw = raw[part]
        else:
            return None
    return raw


def _line_totals(invoice: InvoiceSpec, prices: Mapping[str, Entry]) -> list[tuple[int, str | None]] | None:
    """(line total, currency) of each item; None when a price is missing or invalid (reported elsewhere)."""
    totals: list[tuple[int, str | None]] = []
    for item in invoice.items:
        if item.price is None:
            totals.append((item.amount or 0, item.currency))
            continue
        price = prices.get(item.price)
        if price is None or not isinstance(price.model, PriceSpec):
            return None
        totals.append((price.model.unit_amount * item.quantity, price.model.currency))
    return totals


def totals(entry: Entry, invoice: InvoiceSpec, prices: Mapping[str, Entry]) -> Iterator[SpecError]:
    """Line and invoice totals within Stripe's maximum amount; a zero total's reachable statuses."""
    lines = _line_totals(invoice, prices)
    if lines is None:
        return
    for index, (total, currency) in enumerate(lines):
        if total > MAX_AMOUNT and invoice.items[index].price is not None:
            yield entry.at(
                ("items", index, "quantity"),
                f"{entry.where} items[{index}]: the line total is {_amount(total, currency)}; Stripe's maximum "
                f"amount is {_amount(MAX_AMOUNT, currency)} (8 digits): lower the quantity or split the invoice",
            )
    total = sum(amount for amount, _ in lines)
    currency = lines[0][1] if lines else None
    if total > MAX_AMOUNT and all(amount <= MAX_AMOUNT for amount, _ in lines):
        yield entry.at(
            ("items",),
            f"{entry.where} items: the invoice total is {_amount(total, currency)}; Stripe's maximum amount is "
            f"{_amount(MAX_AMOUNT, currency)} (8 digits): split the invoice",
        )
    if total < 0 and invoice.status in ("void", "uncollectible"):
        # A negative total finalizes paid too, the credit going to the customer's balance (docs/plan.md Amounts).
        yield entry.at(
            ("status",),
            f"{entry.where} status: {invoice.status} is out of reach: the total is below 0 and Stripe marks such an "
            "invoice paid when it is finalized (crediting the customer's balance); write status: paid (or draft)",
        )
    if total == 0 and invoice.status in ("void", "uncollectible"):
        # Stripe marks a zero-total invoice paid when it is finalized: it can never be void or uncollectible.
        yield entry.at(
            ("status",),
            f"{entry.where} status: {invoice.status} is out of reach: the total is 0 and Stripe marks a zero-total "
            "invoice paid when it is finalized; write status: paid (or draft), or give an item an amount",
        )


def _amount(minor_units: int, currency: str | None) -> str:
    """An amount for a message: minor units and the currency as written in specs ("100000000 usd")."""
    return f"{minor_units} {currency}" if currency else str(minor_units)


def email_to_send(entry: Entry, invoice: InvoiceSpec, customers: Mapping[str, Entry]) -> Iterator[SpecError]:
    """`status: sent` emails the invoice: Stripe refuses to send one whose customer has no email."""
    customer = customers.get(invoice.customer)
    if invoice.status != "sent" or invoice.adopt or customer is None or raw_get(customer.raw, "email"):
        return  # an adopted invoice may have been sent already: whether a send is due is the plan's to say
    yield entry.at(
        ("status",),
        f"{entry.where} status: sent emails the invoice, and customer '{invoice.customer}' has no email: "
        "give the customer an email, or write status: open",
    )


def divisible(entry: Entry, sub: YamlPath, amount: int, currency: str) -> Iterator[SpecError]:
    divisor = amount_divisor(currency)
    if amount % divisor:
        yield entry.at(
            sub,
            f"{entry.where} {dotted(sub)}: Stripe requires amounts in {currency.upper()} to be multiples of "
            f"{divisor}; write {amount - amount % divisor} or {amount - amount % divisor + divisor} instead of {amount}",
        )



def due_date_rules(entry: Entry, invoice: InvoiceSpec) -> Iterator[SpecError]:
    """due_date replaces days_until_due, and like it applies only to send_invoice (Stripe's rule)."""
    if invoice.due_date is None:
        return
    if invoice.days_until_due is not None:
        yield entry.at(("due_date",), f"{entry.where} due_date: give either due_date or days_until_due, not both")
    if invoice.collection_method != "send_invoice":
        yield entry.at(
            ("due_date",),
            f"{entry.where} due_date: only allowed with collection_method send_invoice, not {invoice.collection_method}",
        )


def unique_tax_ids(entry: Entry, customer: CustomerSpec) -> Iterator[SpecError]:
    """A customer holds a tax ID once: Stripe keeps each as its own object."""
    seen: dict[tuple[str, str], int] = {}
    for index, tax_id in enumerate(customer.tax_ids or ()):
        pair = (tax_id.type, tax_id.value)
        if pair in seen:
            yield entry.at(("tax_ids", index), f"{entry.where} tax_ids[{index}]: the same tax ID as tax_ids[{seen[pair]}]")
        seen.setdefault(pair, index)
