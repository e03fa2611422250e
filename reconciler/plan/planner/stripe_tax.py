"""Stripe Tax (`automatic_tax`): where the plan cannot compute tax itself, and what Stripe needs to.

Stripe computes the tax of such an invoice when it finalizes it, from the customer's location:
"We use your customer's shipping address if it's non-empty … We use your customer's billing
address if it's non-empty" (https://docs.stripe.com/tax/customer-locations), and "Customers
outside of the US require at least a country-level address. Customers in the US require a 5-digit
postal code. Customers in Canada require either the province or postal code"
(https://docs.stripe.com/tax/invoicing). Without one, finalization fails: the plan says so first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.plan.planner.context import Context
from reconciler.spec.models import InvoiceSpec

_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


def _dumped(value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        return dict(value.model_dump())
    return dict(value) if isinstance(value, Mapping) else None


def tax_location(customer_spec: Any, live_customer: Any) -> Mapping[str, Any] | None:
    """The address Stripe Tax will use once the plan ran: the shipping address if any, else the
    billing address (the spec's where it names them, else Stripe's)."""
    for name in ("shipping", "address"):
        named = getattr(customer_spec, name, None) if customer_spec is not None else None
        value = _dumped(named) if named is not None else (
            _dumped(live_customer.values.get(name)) if live_customer is not None else None)
        if name == "shipping" and value:
            value = _dumped(value.get("address"))
        if value and any(value.values()):
            return value
    return None


def location_problem(address: Mapping[str, Any] | None) -> str | None:
    """Why Stripe Tax cannot place a customer at `address`, or None."""
    if not address or not address.get("country"):
        return "it has no address with a country"
    country = str(address["country"])
    if country == "US" and not _US_ZIP.match(str(address.get("postal_code") or "")):
        return "a US address needs a 5-digit postal code"
    if country == "CA" and not (address.get("state") or address.get("postal_code")):
        return "a Canadian address needs a province or a postal code"
    return None


def check_location(ctx: Context, key: str, spec: InvoiceSpec) -> None:
    """A plan error for an invoice Stripe Tax would fail to finalize (it would stay a draft)."""
    if not spec.automatic_tax or not spec.automatic_tax.enabled or spec.status == "draft":
        return
    why = location_problem(tax_location(ctx.desired.customers.get(spec.customer), ctx.live.customers.get(spec.customer)))
    if why:
        ctx.problem("transition", f"invoice {key}: automatic_tax is enabled and Stripe Tax cannot place customer "
                                  f"{spec.customer}: {why}, so finalizing would fail; give the customer an address "
                                  "Stripe Tax accepts, or write status: draft")
