"""What a credit note credits: its lines (by invoice line or custom) and their amounts.

Stripe: "Discount a fixed amount from an invoice line item", "Discount a quantity from
an invoice line item. The total discount is the discount quantity times the unit price
of that line item", or "adding a custom discount line item with a description,
quantity, and unit price"; "You can't combine discount types on an invoice line item"
(https://docs.stripe.com/invoicing/integration/programmatic-credit-notes).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models.base import Obj, Params, decimal_text
from reconciler.sandbox.store import Tx


@dataclass(frozen=True)
class Line:
    """One line of a credit note before it gets its id."""

    type: str  # invoice_line_item | custom_line_item
    amount: int
    quantity: int | None
    unit_amount: int | None
    unit_amount_decimal: str | None
    description: str | None
    invoice_line_item: str | None
    by: str | None  # "quantity" | "amount": how an invoice line was credited
    metadata: dict[str, str]
    # An invoice line's share of its discounts and taxes, in proportion to the amount credited.
    discount_amount: int = 0
    taxes: list[Obj] = field(default_factory=list)

    @property
    def total(self) -> int:
        """What the line credits: its amount less its discounts, plus exclusive tax."""
        exclusive = sum(int(t["amount"]) for t in self.taxes if t["tax_behavior"] == "exclusive")
        return self.amount - self.discount_amount + exclusive


def lines_of(tx: Tx, invoice: Obj, params: Params) -> list[Line]:
    """The credit note's lines from `lines` (none for a plain `amount`)."""
    given = params.get("lines")
    if given is None:
        return []
    items = {item["_line_id"]: item for item in tx.all("invoiceitem", invoice=invoice["id"])}
    credited = _credited(tx, invoice["id"])
    lines = []
    for n, raw in enumerate(given):
        where = f"lines[{n}]"
        kind = raw.get("type")
        if kind == "invoice_line_item":
            line = _by_invoice_line(raw, items, credited, where)
            credited[line.invoice_line_item or ""] = _add(credited.get(line.invoice_line_item or ""), line)
            line = _with_share(invoice, items[line.invoice_line_item or ""], line)
        elif kind == "custom_line_item":
            line = _custom(raw, where)
        else:
            raise InvalidRequest(
                f"Invalid {where}[type]: must be one of invoice_line_item or custom_line_item.",
                param=f"{where}[type]",
            )
        lines.append(line)
    return lines


@dataclass(frozen=True)
class _Credited:
    """What earlier (issued) credit notes took from one invoice line."""

    by: str
    quantity: int
    amount: int


def _add(before: _Credited | None, line: Line) -> _Credited:
    quantity = (before.quantity if before else 0) + (line.quantity or 0)
    return _Credited(line.by or "amount", quantity, (before.amount if before else 0) + line.amount)


def _credited(tx: Tx, invoice_id: str) -> dict[str, _Credited]:
    found: dict[str, _Credited] = {}
    for note in tx.all("credit_note", invoice=invoice_id, status="issued"):
        for line in note["_lines"]:
            if line["invoice_line_item"]:
                found[line["invoice_line_item"]] = _add(found.get(line["invoice_line_item"]), Line(**line))
    return found


def _by_invoice_line(raw: dict[str, Any], items: dict[str, Obj], credited: dict[str, _Credited], where: str) -> Line:
    line_id = raw.get("invoice_line_item")
    if not line_id:
        raise InvalidRequest(f"Missing required param: {where}[invoice_line_item].", code="parameter_missing",
                             param=f"{where}[invoice_line_item]")
    item = items.get(line_id)
    if item is None:
        raise InvalidRequest(f"No such invoice line item on this invoice: '{line_id}'", code="resource_missing",
                             param=f"{where}[invoice_line_item]")
    for name in ("description", "unit_amount", "unit_amount_decimal"):
        if name in raw:
            raise InvalidRequest(f"{where}[{name}] is only valid when type is custom_line_item.",
                                 param=f"{where}[{name}]")
    if ("quantity" in raw) == ("amount" in raw):
        raise InvalidRequest(f"Pass exactly one of {where}[quantity] and {where}[amount] for an invoice line item.",
                             param=f"{where}[quantity]")
    before = credited.get(line_id)
    by = "quantity" if "quantity" in raw else "amount"
    if before is not None and before.by != by:
        raise InvalidRequest(
            f"Invoice line item {line_id} was credited by {before.by} before; "
            f"it can only be credited by {before.by}.", param=f"{where}[{by}]",
        )
    unit = Decimal(item["pricing"]["unit_amount_decimal"]) if item.get("pricing") else Decimal(item["amount"])
    quantity: int | None = None
    if by == "quantity":
        quantity = _within(int(raw["quantity"]), item["quantity"] - (before.quantity if before else 0),
                           "quantity", line_id, where)
        amount = int((unit * quantity).to_integral_value(ROUND_HALF_UP))
    else:
        amount = _within(int(raw["amount"]), item["amount"] - (before.amount if before else 0),
                         "amount", line_id, where)
    return Line("invoice_line_item", amount, quantity,
                int(unit) if unit == unit.to_integral_value() else None, decimal_text(unit),
                item["description"], line_id, by, dict(raw.get("metadata") or {}))


def _with_share(invoice: Obj, item: Obj, line: Line) -> Line:
    """The line with its part of the item's discounts and taxes (models/invoice_money.py worked
    them out with the invoice's totals): the same fraction as its amount of the item's, halves up."""
    breakdown = (invoice.get("_lines") or {}).get(item["id"])
    if not breakdown or not item["amount"]:
        return line
    share = Decimal(line.amount) / Decimal(item["amount"])

    def part(amount: int) -> int:
        return int((share * amount).to_integral_value(ROUND_HALF_UP))

    discount = part(sum(d["amount"] for d in breakdown["discount_amounts"]))
    taxes = [dict(t, amount=part(t["amount"]), taxable_amount=part(t["taxable_amount"])) for t in breakdown["taxes"]]
    return dataclasses.replace(line, discount_amount=discount, taxes=taxes)


def _within(value: int, left: int, name: str, line_id: str, where: str) -> int:
    if value <= 0 or value > left:
        raise InvalidRequest(
            f"The {name} to credit ({value}) must be between 1 and the {name} not yet credited "
            f"on invoice line item {line_id} ({left}).", param=f"{where}[{name}]",
        )
    return value


def _custom(raw: dict[str, Any], where: str) -> Line:
    for name in ("invoice_line_item", "amount"):
        if name in raw:
            raise InvalidRequest(f"{where}[{name}] is only valid when type is invoice_line_item.",
                                 param=f"{where}[{name}]")
    if "unit_amount" in raw and "unit_amount_decimal" in raw:
        raise InvalidRequest("You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
                             param=f"{where}[unit_amount]")
    if "unit_amount" not in raw and "unit_amount_decimal" not in raw:
        raise InvalidRequest(f"Missing required param: {where}[unit_amount].", code="parameter_missing",
                             param=f"{where}[unit_amount]")
    unit = Decimal(str(raw.get("unit_amount", raw.get("unit_amount_decimal"))))
    quantity = int(raw.get("quantity", 1))
    if quantity <= 0 or unit <= 0:
        raise InvalidRequest(f"A custom line's quantity and unit amount must be positive ({where}).",
                             param=f"{where}[quantity]" if quantity <= 0 else f"{where}[unit_amount]")
    amount = int((unit * quantity).to_integral_value(ROUND_HALF_UP))
    return Line("custom_line_item", amount, quantity, int(unit) if unit == unit.to_integral_value() else None,
                decimal_text(unit), raw.get("description"), None, None, dict(raw.get("metadata") or {}))


def render_line(note_id: str, n: int, line: Line) -> Obj:
    """A credit_note_line_item; its id follows from the note's, so a preview's ids are stable."""
    digest = hashlib.sha256(f"{note_id}:{n}".encode()).hexdigest()[:24]
    return {
        "id": f"cnli_{digest}", "object": "credit_note_line_item", "amount": line.amount,
        "description": line.description, "discount_amount": line.discount_amount, "discount_amounts": [],
        "invoice_line_item": line.invoice_line_item, "livemode": False, "metadata": line.metadata,
        "pretax_credit_amounts": [], "quantity": line.quantity, "tax_rates": [], "taxes": line.taxes,
        "type": line.type, "unit_amount": line.unit_amount, "unit_amount_decimal": line.unit_amount_decimal,
    }


def stored(line: Line) -> dict[str, Any]:
    """The line as kept on the stored credit note (to find what was credited before)."""
    return {name: getattr(line, name) for name in Line.__dataclass_fields__}
