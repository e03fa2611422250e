"""The spec format (v1) as pydantic models: what the engineer wants to exist.

Field names follow Stripe's own. Amounts are integers in minor units.
These models are the contract between spec loading and the planner.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SPEC_KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
InvoiceStatus = Literal["draft", "open", "sent", "paid", "void", "uncollectible"]
CollectionMethod = Literal["send_invoice", "charge_automatically"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ProductSpec(_Spec):
    name: str = Field(min_length=1, max_length=250)
    description: str | None = None
    active: bool = True
    unit_label: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class PriceSpec(_Spec):
    product: str = Field(description="Key of a product in the specs.")
    unit_amount: int = Field(ge=0, description="Minor units (cents).")
    currency: str = Field(description="ISO 4217 code; stored lowercase.")
    nickname: str | None = None
    lookup_key: str | None = None
    active: bool = True
    metadata: dict[str, str] = Field(default_factory=dict)


class CustomerSpec(_Spec):
    name: str | None = None
    email: str | None = None
    description: str | None = None
    phone: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class InvoiceItemSpec(_Spec):
    key: str | None = Field(
        default=None,
        description="Stable identity of the item within its invoice; derived from price or description when omitted.",
    )
    price: str | None = Field(default=None, description="Key of a price in the specs.")
    quantity: int = Field(default=1, ge=1)
    amount: int | None = Field(default=None, ge=0, description="Minor units; with currency, instead of price.")
    currency: str | None = None
    description: str | None = Field(default=None, max_length=500)
    metadata: dict[str, str] = Field(default_factory=dict)


class InvoiceSpec(_Spec):
    customer: str = Field(description="Key of a customer in the specs.")
    collection_method: CollectionMethod = "send_invoice"
    days_until_due: int | None = Field(default=None, ge=1, le=3650)
    status: InvoiceStatus = "draft"
    description: str | None = None
    footer: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    items: list[InvoiceItemSpec] = Field(min_length=1, max_length=250)

    def keyed_items(self) -> list[tuple[str, InvoiceItemSpec]]:
        """Items with their stable identity: explicit `key`, else price key or
        description slug, with `#2`, `#3`… for repeats. Reordering items keeps
        identities; only removing or adding changes them."""
        seen: dict[str, int] = {}
        out: list[tuple[str, InvoiceItemSpec]] = []
        for item in self.items:
            base = item.key or item.price or _slug(item.description or "") or "item"
            seen[base] = seen.get(base, 0) + 1
            out.append((base if seen[base] == 1 else f"{base}#{seen[base]}", item))
        return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


class Location(BaseModel):
    """Where a value came from: 1-based line and column."""

    model_config = ConfigDict(frozen=True)
    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Desired(BaseModel):
    """Everything the specs ask for, keyed by spec key, plus where each was defined."""

    model_config = ConfigDict(frozen=True)
    products: dict[str, ProductSpec] = Field(default_factory=dict)
    prices: dict[str, PriceSpec] = Field(default_factory=dict)
    customers: dict[str, CustomerSpec] = Field(default_factory=dict)
    invoices: dict[str, InvoiceSpec] = Field(default_factory=dict)
    # "kind/key" -> definition site, e.g. "invoices/jenny-rosen-2026-11"
    locations: dict[str, Location] = Field(default_factory=dict)
    files: list[str] = Field(default_factory=list)
