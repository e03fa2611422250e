"""An invoice's money from its stored parts: lines, discounts, rates, the customer's balance."""

from __future__ import annotations

import re
from decimal import Decimal

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import balances, coupons, money
from reconciler.sandbox.models.base import Context, Obj
from reconciler.sandbox.store import Tx


def _rates(snapshots: list[Obj]) -> tuple[money.Rate, ...]:
    return tuple(money.Rate(r["id"], Decimal(str(r["percentage"])), bool(r["inclusive"])) for r in snapshots)


def lines_of(tx: Tx, invoice: Obj, items: list[Obj]) -> list[money.Line]:
    """Each item as the arithmetic sees it: its own tax rates, else the invoice's defaults
    ("The tax rates that will apply to any line item that does not have tax_rates set")."""
    defaults = _rates(invoice.get("default_tax_rates") or [])
    return [
        money.Line(
            key=item["id"],
            amount=item["amount"],
            discountable=bool(item["discountable"]),
            discounts=tuple(coupons.terms(tx, item.get("discounts") or [])),
            rates=_rates(item["tax_rates"]) if item.get("tax_rates") else defaults,
        )
        for item in items
    ]


def apply_totals(tx: Tx, invoice: Obj, items: list[Obj]) -> None:
    """Set the invoice's totals and each line's breakdown (kept privately on the invoice, by item)."""
    breakdown, totals = money.compute(lines_of(tx, invoice, items), coupons.terms(tx, invoice.get("discounts") or []))
    invoice.update(totals)
    invoice["_lines"] = breakdown
    invoice["amount_due"] = max(totals["total"], 0)
    invoice["amount_remaining"] = invoice["amount_due"] - invoice["amount_paid"]


def starting_balance(tx: Tx, invoice: Obj) -> int:
    """A draft's starting_balance: "If the invoice has not been finalized yet, this will be the
    current customer balance" (stripe-python's Invoice.starting_balance)."""
    found = tx.get("customer", invoice["customer"])
    if found is None or found[1]:
        return 0
    return balances.usable(found[0], invoice["currency"])


def settle(ctx: Context, tx: Tx, invoice: Obj) -> bool:
    """At finalization: the customer's balance is applied and a total below the currency's
    minimum charge is carried to the balance instead; True when that leaves it paid."""
    found = tx.get("customer", invoice["customer"])
    customer = found[0] if found is not None and not found[1] else None
    start = balances.usable(customer, invoice["currency"]) if customer else 0
    due, ending = money.settle_balance(invoice["total"], start)
    carried = due if money.below_minimum(due, invoice["currency"]) else 0
    invoice["starting_balance"] = start
    invoice["amount_due"] = due - carried
    invoice["ending_balance"] = ending + carried
    invoice["amount_remaining"] = invoice["amount_due"] - invoice["amount_paid"]
    if customer is not None:
        if ending != start:
            balances.record(ctx, tx, customer, ending - start, invoice["currency"],
                            kind="applied_to_invoice", invoice=invoice["id"])
        if carried:
            balances.record(ctx, tx, customer, carried, invoice["currency"],
                            kind="invoice_too_small", invoice=invoice["id"])
    return bool(carried)


def unapply(ctx: Context, tx: Tx, invoice: Obj) -> None:
    """A voided invoice gives back the balance it took (type `unapplied_from_invoice`)."""
    change = (invoice.get("starting_balance") or 0) - (invoice.get("ending_balance") or 0)
    found = tx.get("customer", invoice["customer"])
    if change and found is not None and not found[1]:
        balances.record(ctx, tx, found[0], change, invoice["currency"],
                        kind="unapplied_from_invoice", invoice=invoice["id"])


def check_tax_location(tx: Tx, invoice: Obj) -> None:
    """Stripe Tax needs the customer's location to finalize: the shipping address if any, else the
    address; "Customers outside of the US require at least a country-level address. Customers in the
    US require a 5-digit postal code. Customers in Canada require either the province or postal code"
    (https://docs.stripe.com/tax/invoicing). Without one the finalization is refused and the draft
    stays as it was (the sandbox answers the request; it records no invoice.finalization_failed)."""
    tax = invoice.get("automatic_tax") or {}
    if not tax.get("enabled"):
        return
    found = tx.get("customer", invoice["customer"])
    customer = found[0] if found is not None and not found[1] else {}
    shipping = (customer.get("shipping") or {}).get("address")
    address = shipping if shipping and any(shipping.values()) else customer.get("address") or {}
    country = address.get("country")
    postal = str(address.get("postal_code") or "")
    if (not country or (country == "US" and not re.match(r"^\d{5}(-\d{4})?$", postal))
            or (country == "CA" and not (address.get("state") or postal))):
        raise InvalidRequest(
            "Stripe Tax cannot determine the customer's location: give the customer an address with a country "
            "(a 5-digit postal code in the US, a province or postal code in Canada).",
            code="customer_tax_location_invalid", param="customer",
        )
    # Stripe Tax computed the invoice; the sandbox's account collects tax nowhere (no registrations).
    invoice["automatic_tax"] = dict(tax, status="complete")
