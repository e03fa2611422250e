"""What `validate` checks of credit notes offline: their lines, their invoice's items, the split.

Stripe's rules (cited in docs/lifecycle.md): a credit note credits invoice lines by
quantity or by amount, never both for one line over its credit notes; all credit notes
of an invoice together stay within its total; the part beyond the invoice's amount
remaining is split exactly into refund_amount, credit_amount and out_of_band_amount.
Offline the amount remaining is unknown, so the split is checked against the total
here and exactly by the plan, against the live invoice. On an invoice with tax or
discounts a line also credits its share of those, which only Stripe works out: the
totals of such lines are left to the plan's preview.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from reconciler.spec.entries import Entry
from reconciler.spec.errors import SpecError
from reconciler.spec.models import CreditNoteLineSpec, CreditNoteSpec, InvoiceItemSpec, InvoiceSpec, PriceSpec


def check_credit_note(entry: Entry, note: CreditNoteSpec) -> Iterator[SpecError]:
    """Rules of the entry alone: lines or amount, each line's shape, the split within the total."""
    if (note.lines is None) == (note.amount is None):
        yield entry.at((), f"{entry.where}: give either lines or amount", on_key=True)
    for index, line in enumerate(note.lines or ()):
        yield from _line_shape(entry, index, line)


def _split_within(entry: Entry, note: CreditNoteSpec, total: int) -> Iterator[SpecError]:
    if note.split() > total:
        yield entry.at(
            ("refund_amount",) if note.refund_amount else ("credit_amount",) if note.credit_amount else
            ("out_of_band_amount",),
            f"{entry.where}: refund_amount + credit_amount + out_of_band_amount is {note.split()}, more than the "
            f"credit note's total {total}",
        )


def _line_shape(entry: Entry, index: int, line: CreditNoteLineSpec) -> Iterator[SpecError]:
    here = f"{entry.where} lines[{index}]"
    sub = ("lines", index)
    if line.item is not None:
        if line.description is not None:
            yield entry.at((*sub, "description"), f"{here}: a line of an invoice item takes no description")
        if line.quantity is not None and line.amount is not None:
            yield entry.at(sub, f"{here}: give the item's quantity or amount to credit, not both")
        elif line.quantity is None and line.amount is None:
            yield entry.at(sub, f"{here}: give the item's quantity or amount to credit")
    elif line.description is None or line.amount is None:
        yield entry.at(sub, f"{here}: needs item (with quantity or amount), or a custom line's description and amount")
    elif line.amount % (line.quantity or 1):
        yield entry.at((*sub, "amount"), f"{here}: amount {line.amount} is the line total; it must be a multiple of "
                                         f"quantity {line.quantity} (Stripe credits quantity x unit amount)")


@dataclass(frozen=True)
class ItemFacts:
    """What a credit note line needs of an invoice item: its quantity and line total."""

    quantity: int
    total: int


def item_facts(invoice: InvoiceSpec, prices: Mapping[str, PriceSpec]) -> dict[str, ItemFacts] | None:
    """The invoice's items by key; None when a price is unknown (reported elsewhere)."""
    facts: dict[str, ItemFacts] = {}
    for key, item in invoice.keyed_items():
        total = _item_total(item, prices)
        if total is None:
            return None
        facts[key] = ItemFacts(item.quantity if item.price is not None else 1, total)
    return facts


def _item_total(item: InvoiceItemSpec, prices: Mapping[str, PriceSpec]) -> int | None:
    if item.price is None:
        return item.amount or 0
    price = prices.get(item.price)
    return price.unit_amount * item.quantity if price is not None else None


def credit_total(note: CreditNoteSpec, items: Mapping[str, ItemFacts] | None) -> int | None:
    """The credit note's total; None when it needs the invoice's items and they are unknown."""
    if note.lines is None:
        return note.amount
    total = 0
    for line in note.lines:
        if line.item is None or line.amount is not None:
            total += line.amount or 0
        elif items is None or line.item not in items:
            return None
        else:
            facts = items[line.item]
            # The unit price of the line, as Stripe credits a quantity: rounded half up.
            total += (facts.total * (line.quantity or 0) * 2 + facts.quantity) // (2 * facts.quantity)
    return total


def check_against_invoice(
    entries: list[Entry], invoice_entry: Entry, prices: Mapping[str, PriceSpec]
) -> Iterator[SpecError]:
    """The credit notes of one invoice against its items and total; entries passed field validation."""
    invoice = invoice_entry.model
    assert isinstance(invoice, InvoiceSpec)
    items = item_facts(invoice, prices)
    # Lines of an invoice with tax or discounts credit their share of those too, as Stripe works it out:
    # their totals are then known only to Stripe (the plan's preview checks them).
    exact = not _taxed_or_discounted(invoice)
    credited: dict[str, tuple[str, int]] = {}  # item key -> (by, quantity or amount) over the issued notes
    sum_total = 0
    for entry in entries:
        note = entry.model
        assert isinstance(note, CreditNoteSpec)
        if note.refund_amount and _paid_out_of_band(invoice):
            yield entry.at(("refund_amount",), f"{entry.where} refund_amount: invoice '{note.invoice}' is paid "
                           "outside Stripe, so there is no payment to refund; credit the customer's balance "
                           "(credit_amount) or record it as credited outside Stripe (out_of_band_amount)")
        if note.status == "void":
            continue
        for index, line in enumerate(note.lines or ()):
            if line.item is None:
                continue
            yield from _line_against_item(entry, index, line, items, credited)
        total = credit_total(note, items)
        if total is not None and (exact or note.lines is None):
            yield from _split_within(entry, note, total)
        if total is not None and items is not None and exact:
            invoice_total = sum(f.total for f in items.values())
            crossed = sum_total <= invoice_total < sum_total + total  # said once, where it happens
            sum_total += total
            if crossed:
                yield entry.at((), f"{entry.where}: the issued credit notes of invoice '{note.invoice}' come to "
                               f"{sum_total}, more than its total {invoice_total}", on_key=True)


def _line_against_item(
    entry: Entry, index: int, line: CreditNoteLineSpec, items: Mapping[str, ItemFacts] | None,
    credited: dict[str, tuple[str, int]],
) -> Iterator[SpecError]:
    note = entry.model
    assert isinstance(note, CreditNoteSpec) and line.item is not None
    here = f"{entry.where} lines[{index}].item"
    if items is None:
        return
    facts = items.get(line.item)
    if facts is None:
        known = ", ".join(sorted(items)) or "none"
        yield entry.at(("lines", index, "item"), f"{here}: invoice '{note.invoice}' has no item '{line.item}' "
                       f"(its items: {known})")
        return
    by, value = ("quantity", line.quantity or 0) if line.quantity is not None else ("amount", line.amount or 0)
    before = credited.get(line.item)
    if before is not None and before[0] != by:
        yield entry.at(("lines", index, by), f"{here}: item '{line.item}' is credited by {before[0]} in another "
                       f"credit note; Stripe credits a line by quantity or by amount, never both")
        return
    so_far = (before[1] if before else 0) + value
    limit = facts.quantity if by == "quantity" else facts.total
    if so_far > limit:
        yield entry.at(("lines", index, by), f"{here}: credits {by} {so_far} of item '{line.item}' over the issued "
                       f"credit notes; the item has {limit}")
    credited[line.item] = (by, so_far)


def _taxed_or_discounted(invoice: InvoiceSpec) -> bool:
    return bool(invoice.default_tax_rates or invoice.discounts
                or any(item.tax_rates or item.discounts for item in invoice.items))


def _paid_out_of_band(invoice: InvoiceSpec) -> bool:
    """`status: paid` reached without charging the customer: recorded as paid outside Stripe."""
    return invoice.status == "paid" and not invoice.charges()
