"""The object kinds the tool manages, as data: one registration each, the rest derives from here.

This module is the bottom layer: it imports nothing of the tool, so the spec
models, the live records, the gateway, the planner, the importer and the CLI
can all read it (and `--help` loads nothing else through it).

A kind with a field table (`fields`) is a *simple* kind: its live record, its
Stripe mapping, its create/update/archive actions and their writes, its plan
phase, its import entry and its fingerprint row are generic over the table
(product and customer today). Prices (replacement) and invoices (items,
lifecycle) keep hand-written code and an empty table.

Registration order is dependency order: a kind's spec refers only to kinds
registered before it. Every name here is persisted or sent somewhere (plan
files, spec sections, Stripe paths and parameters): renaming one is a format
change, not a refactor. A test (tests/test_kinds.py) fails when a place
misses a kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# The kinds of a plan action and of a reference (`Ref`); "item" is an invoice's
# line, a sub-kind of "invoice" (see SUB_KINDS). mypy needs the literal spelt out;
# a test checks it against the registry.
Kind = Literal["product", "price", "customer", "tax_rate", "coupon", "invoice", "credit_note", "item"]


@dataclass(frozen=True)
class Field:
    """One field of a simple kind: the same name in the spec and on the live record."""

    name: str
    # Stripe's parameter and response name, when it is not `name`.
    stripe: str = ""
    # Stripe's value when the field is not sent: a create leaves it out, the live record defaults to it.
    default: Any = None
    # Planned back to the spec when Stripe differs (False: written at creation only, never compared).
    compared: bool = True
    # Sent in an update. A compared field that is not updatable is immutable: a change replaces the object.
    updatable: bool = True
    # Customer data: a saved plan keeps only a digest of it (plan/watch.py).
    personal: bool = False
    # Added after plan files and the live fingerprint were first written: left out of both while it
    # holds its default, so the plans and idempotency keys of a state without it stay as they were.
    later: bool = False
    # The tool's only where a spec names it (and of a mapping, only the keys the spec names): left
    # out, the field is someone else's (a customer in the portal, a checkout) and is never unset.
    named_only: bool = False

    @property
    def param(self) -> str:
        """The name Stripe uses for it, in requests and in answers."""
        return self.stripe or self.name

    @property
    def immutable(self) -> bool:
        return self.compared and not self.updatable


@dataclass(frozen=True)
class KindInfo:
    """One object kind: its stable names, where Stripe keeps it, and (simple kinds) its fields."""

    name: str  # "price": targets (price/KEY), references (price:KEY), watch refs, action kinds
    section: str  # "prices": spec section and the attribute of Desired and of Live
    list_path: str  # Stripe's list endpoint, read 100 per page; create is POST here, update POST {list_path}/{id}
    # Stripe's id prefix ("price_"): the pattern of `adopt:` ids. None where Stripe lets the user choose
    # the id (coupons): then any id may be adopted.
    id_prefix: str | None
    # The simple kinds' field table, in the live record's order (which the live fingerprint's rows keep).
    fields: tuple[Field, ...] = ()
    # How --prune removes an object no longer in the specs: "archive" (active=false), "delete", or "" (never).
    destroy: Literal["archive", "delete", ""] = ""
    # Live attributes holding further records of one key besides `Live.<section>[key]`
    # (a price's replaced and interrupted-replacement versions): watched and targeted too.
    history: tuple[str, ...] = ()
    # The fields an imported object's key is made of, the first one set (a customer: name, else email).
    key_from: tuple[str, ...] = ()
    # Registered after the first plan files (every kind from now on): while the specs and the account
    # hold none, it is left out of the live fingerprint, the specs digest, the managed counts, the load
    # summary and the import report, so the plans and idempotency keys of everyone not using it stay
    # byte-identical.
    later: bool = False
    # Stripe lets the caller choose the id (coupons): the tool sends one made of the spec key and
    # a digest of the immutable fields (planner/simple.py `chosen_id`), never a random one.
    chosen_id: bool = False

    @property
    def simple(self) -> bool:
        """Served by the generic code (a field table), not by a hand-written phase."""
        return bool(self.fields)

    @property
    def personal_fields(self) -> frozenset[str]:
        """Fields a plan file keeps only as a digest (plan/watch.py): customer data."""
        return frozenset(f.name for f in self.fields if f.personal)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# A customer's invoice_settings as the tool reads it (its default_payment_method is read apart, as a
# card, and is never the specs'), when nothing is set.
INVOICE_SETTINGS_UNSET: dict[str, Any] = {"custom_fields": None, "footer": None, "rendering_options": None}

_REGISTERED = (
    KindInfo(
        name="product", section="products", list_path="/v1/products", id_prefix="prod_",
        fields=(
            Field("name", default=""),
            Field("description"),
            Field("active", default=True),
            Field("unit_label"),
        ),
        destroy="archive", key_from=("name",),
    ),
    KindInfo(name="price", section="prices", list_path="/v1/prices", id_prefix="price_",
             history=("extra_active_prices", "archived_prices")),
    KindInfo(
        name="customer", section="customers", list_path="/v1/customers", id_prefix="cus_",
        # Stripe stores email exactly as sent, so it is compared exactly.
        fields=(
            Field("name", personal=True),
            Field("email", personal=True),
            Field("description", personal=True),
            Field("phone", personal=True),
            # Who is billed and what their invoices say (issue 18): the tool's only where a spec names them.
            Field("address", personal=True, later=True, named_only=True),
            Field("shipping", personal=True, later=True, named_only=True),
            Field("preferred_locales", default=[], later=True, named_only=True),
            Field("tax_exempt", default="none", later=True, named_only=True),
            Field("invoice_prefix", later=True, named_only=True),
            Field("invoice_settings", default=INVOICE_SETTINGS_UNSET, later=True, named_only=True),
            # Sent with a create only (Stripe's tax_id_data); afterwards each tax ID is an object of its
            # own, read as LiveCustomer.tax_id_objects and planned by planner.tax_ids.
            Field("tax_ids", stripe="tax_id_data", compared=False, personal=True, later=True, named_only=True),
        ),
        destroy="delete", key_from=("name", "email"),
    ),
    KindInfo(
        name="tax_rate", section="tax_rates", list_path="/v1/tax_rates", id_prefix="txr_",
        # "percentage" and "inclusive" are no parameters of the update (docs.stripe.com/api/tax_rates/update).
        fields=(
            Field("display_name", default=""),
            Field("percentage", updatable=False),
            Field("inclusive", updatable=False),
            Field("country"),
            Field("state"),
            Field("jurisdiction"),
            Field("tax_type"),
            Field("description"),
            Field("active", default=True),
        ),
        destroy="archive", key_from=("display_name",), later=True,
    ),
    KindInfo(
        name="coupon", section="coupons", list_path="/v1/coupons", id_prefix=None,
        # "Other coupon details (currency, duration, amount_off) are, by design, not editable"
        # (docs.stripe.com/api/coupons/update): only name and metadata change.
        fields=(
            Field("name"),
            Field("percent_off", updatable=False),
            Field("amount_off", updatable=False),
            Field("currency", updatable=False),
            Field("duration", default="once", updatable=False),
            Field("duration_in_months", updatable=False),
            Field("max_redemptions", updatable=False),
            Field("redeem_by", updatable=False),
        ),
        destroy="delete", key_from=("name",), chosen_id=True, later=True,
    ),
    KindInfo(name="invoice", section="invoices", list_path="/v1/invoices", id_prefix="in_"),
    KindInfo(name="credit_note", section="credit_notes", list_path="/v1/credit_notes", id_prefix="cn_",
             later=True),
)  # fmt: skip

KINDS: dict[str, KindInfo] = {info.name: info for info in _REGISTERED}
BY_SECTION: dict[str, KindInfo] = {info.section: info for info in _REGISTERED}
SIMPLE_KINDS: tuple[KindInfo, ...] = tuple(info for info in _REGISTERED if info.simple)
# Sub-kind -> the kind it belongs to: an invoice item lives in its invoice.
SUB_KINDS: dict[Kind, Kind] = {"item": "invoice"}


def owner_kind(kind: Kind) -> Kind:
    """The registered kind an action of `kind` acts on ("item" -> "invoice")."""
    return SUB_KINDS.get(kind, kind)


def names_list(words: list[str], last: str = "or") -> str:
    """'products, prices, customers or invoices'."""
    return ", ".join(words[:-1]) + f" {last} {words[-1]}" if len(words) > 1 else "".join(words)
