"""The object kinds the tool manages: one registration each, the rest derives from here.

Spec sections, `Desired` and `Live` attributes, the live fingerprint, what a
saved plan watches, `--target`, the applier's resolver, the plan codec's
references, the sandbox's id lookup and the importer iterate `KINDS`; a test
(tests/test_kinds.py) fails when one of them misses a kind. Registration order
is dependency order: a kind's spec refers only to kinds registered before it.

Every name here is persisted or sent somewhere (plan files, spec sections,
Stripe paths): renaming one is a format change, not a refactor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from reconciler.live import records
from reconciler.spec import models

# The kinds of a plan action and of a reference (`Ref`); "item" is an invoice's
# line, a sub-kind of "invoice" (see SUB_KINDS). mypy needs the literal spelt out;
# a test checks it against the registry.
Kind = Literal["product", "price", "customer", "invoice", "item"]


@dataclass(frozen=True)
class KindInfo:
    """One object kind: its stable names, where Stripe keeps it, and its classes."""

    name: str  # "price": targets (price/KEY), references (price:KEY), watch refs, messages
    section: str  # "prices": spec section and the attribute of Desired and of Live
    list_path: str  # Stripe's list endpoint, read 100 per page
    id_prefix: str  # Stripe's id prefix ("price_"): adopt ids, the sandbox's lookup by id
    spec_model: type[BaseModel]  # one spec entry
    live_record: type  # one live object as the planner compares it
    # Fields a plan file keeps only as a digest (plan/watch.py): customer data.
    personal_fields: frozenset[str] = frozenset()
    # Live attributes holding further records of one key besides `Live.<section>[key]`
    # (a price's replaced and interrupted-replacement versions): watched and targeted too.
    history: tuple[str, ...] = ()


_REGISTERED = (
    KindInfo(
        name="product", section="products", list_path="/v1/products", id_prefix="prod_",
        spec_model=models.ProductSpec, live_record=records.LiveProduct,
    ),
    KindInfo(
        name="price", section="prices", list_path="/v1/prices", id_prefix="price_",
        spec_model=models.PriceSpec, live_record=records.LivePrice,
        history=("extra_active_prices", "archived_prices"),
    ),
    KindInfo(
        name="customer", section="customers", list_path="/v1/customers", id_prefix="cus_",
        spec_model=models.CustomerSpec, live_record=records.LiveCustomer,
        personal_fields=frozenset({"name", "email", "phone", "description"}),
    ),
    KindInfo(
        name="invoice", section="invoices", list_path="/v1/invoices", id_prefix="in_",
        spec_model=models.InvoiceSpec, live_record=records.LiveInvoice,
    ),
)  # fmt: skip

KINDS: dict[str, KindInfo] = {info.name: info for info in _REGISTERED}
BY_SECTION: dict[str, KindInfo] = {info.section: info for info in _REGISTERED}
# Sub-kind -> the kind it belongs to: an invoice item lives in its invoice.
SUB_KINDS: dict[Kind, Kind] = {"item": "invoice"}


def owner_kind(kind: Kind) -> Kind:
    """The registered kind an action of `kind` acts on ("item" -> "invoice")."""
    return SUB_KINDS.get(kind, kind)


def names_list(words: list[str], last: str = "or") -> str:
    """'products, prices, customers or invoices'."""
    return ", ".join(words[:-1]) + f" {last} {words[-1]}" if len(words) > 1 else "".join(words)
