"""The whole account as `reconciler import` reads it: every object, managed or not.

Each object comes as its live record (key: its `reconciler_id` when managed,
"" otherwise) with what the spec format cannot say about it. The gateway
decides those from Stripe's JSON (gateway.inventory), so the importer never
sees a Stripe object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from reconciler.kinds import BY_SECTION
from reconciler.live.records import LiveCreditNote, LiveCustomer, LiveInvoice, LivePrice, LiveProduct, TableRecord

R = TypeVar("R", LiveProduct, LivePrice, LiveCustomer, LiveInvoice, TableRecord, LiveCreditNote)


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


# How an invoice a revision replaced is skipped: the start of its `unsupported` reason.
REVISED = "revised:"


@dataclass(frozen=True, init=False)
class Inventory:
    """Every object of the account, by spec section (`inventory.customers`), one tuple per registered kind."""

    sections: dict[str, tuple[Found[Any], ...]]
    # As Live.events_complete_since: from when Stripe's `invoice.sent` events are
    # known complete; None when no invoice needed them.
    events_complete_since: int | None = None

    def __init__(
        self, *, sections: dict[str, tuple[Found[Any], ...]] | None = None,
        events_complete_since: int | None = None, **by_section: tuple[Found[Any], ...],
    ) -> None:
        unknown = set(by_section) - set(BY_SECTION)
        if unknown:
            raise TypeError(f"Inventory has no section {', '.join(sorted(unknown))}")
        given = {**(sections or {}), **by_section}
        object.__setattr__(self, "sections", {section: tuple(given.get(section, ())) for section in BY_SECTION})
        object.__setattr__(self, "events_complete_since", events_complete_since)

    def __getattr__(self, section: str) -> tuple[Found[Any], ...]:
        sections = self.__dict__.get("sections")
        if sections is not None and section in sections:
            return sections[section]  # type: ignore[no-any-return]
        raise AttributeError(f"Inventory has no section {section!r}")
