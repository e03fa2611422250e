"""The whole account as `reconciler import` reads it: every object, managed or not.

Each object comes as its live record (key: its `reconciler_id` when managed,
"" otherwise) with what the spec format cannot say about it. The gateway
decides those from Stripe's JSON (gateway.inventory), so the importer never
sees a Stripe object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from reconciler.live.records import LiveCustomer, LiveInvoice, LivePrice, LiveProduct

R = TypeVar("R", LiveProduct, LivePrice, LiveCustomer, LiveInvoice)


@dataclass(frozen=True)
class Found(Generic[R]):
    """One object of the account."""

    record: R
    created: int
    # Set on the object, not expressible in a spec (e.g. "address", "discounts"):
    # left as it is in Stripe; the import report lists them.
    unexpressed: tuple[str, ...] = ()
    # Why the object cannot be represented at all ("" when it can): it is skipped, never half-imported.
    unsupported: str = ""

    @property
    def managed(self) -> bool:
        return bool(self.record.key)


@dataclass(frozen=True)
class Inventory:
    products: tuple[Found[LiveProduct], ...] = ()
    prices: tuple[Found[LivePrice], ...] = ()
    customers: tuple[Found[LiveCustomer], ...] = ()
    invoices: tuple[Found[LiveInvoice], ...] = ()
    # As Live.events_complete_since: from when Stripe's `invoice.sent` events are
    # known complete; None when no invoice needed them.
    events_complete_since: int | None = None
