"""The inventory reader behind `reconciler import`: every object of the account.

Same lists as read_live, so the same cost: ceil(N/100) `GET` list requests
per kind (one per named customer's invoices with `customers`), one lines call
per invoice of more than 10 lines, and the `invoice.sent` evidence when some
invoice is open. Read-only: nothing here writes.

What the spec format cannot express is decided here, from Stripe's JSON
(the importer never sees it): `unexpressed` fields are left in Stripe as they
are; an `unsupported` object is skipped whole.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from reconciler.gateway import mapping
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.evidence import needs_evidence, read_evidence
from reconciler.gateway.read import invoice_record
from reconciler.kinds import KINDS, SIMPLE_KINDS
from reconciler.live.inventory import REVISED, Found, Inventory, R
from reconciler.live.records import LiveInvoice
from reconciler.live.revisions import revision_chains

Obj = Mapping[str, Any]
Notes = tuple[tuple[str, ...], str]  # (unexpressed fields, why unsupported or "")
_SUBSCRIPTION = (
    "an invoice of a subscription: Stripe's subscription billing makes and advances it, "
    "and the spec format has one-off invoices only"
)


# What rides on a kind's list for import: a customer's tax IDs (Stripe leaves them out unless expanded).
_IMPORT_EXPAND: dict[str, dict[str, Any]] = {"customer": {"expand": ["data.tax_ids"]}}


def read_inventory(
    gateway: StripeGateway, *, customers: Sequence[str] = (), invoices_created_gte: int | None = None
) -> Inventory:
    """Every product, price, customer, invoice and credit note; only the named customers'
    invoices when `customers` is given, only those created since a time with
    `invoices_created_gte` (Stripe filters both, so they cost less)."""
    where: dict[str, Any] = {"created": {"gte": invoices_created_gte}} if invoices_created_gte is not None else {}
    # Discounts with their coupons ride on the list (as the reader reads them): no request more.
    where["expand"] = ["data.discounts", "data.lines.data.discounts"]
    pages = [gateway.paginate("/v1/invoices", {**where, "customer": c}) for c in customers]
    invoices = _revised_skipped(_found(
        itertools.chain(*pages) if customers else gateway.paginate("/v1/invoices", where),
        lambda obj, key: invoice_record(gateway, obj, key),
        invoice_notes,
    ))
    simple: dict[str, Any] = {
        info.section: _found(
            (obj for obj in gateway.paginate(info.list_path, _IMPORT_EXPAND.get(info.name)) if not obj.get("deleted")),
            functools.partial(mapping.simple, info.name),
            _NOTES.get(info.name, _nothing),
        )
        for info in SIMPLE_KINDS
    }
    inventory = Inventory(
        **simple,
        prices=_found(gateway.paginate("/v1/prices"), mapping.price, price_notes),
        invoices=invoices,
        credit_notes=_found(gateway.paginate("/v1/credit_notes"), mapping.credit_note, credit_note_notes),
    )
    if not needs_evidence(found.record for found in inventory.invoices):
        return inventory
    evidence = read_evidence(gateway)
    return Inventory(
        sections=inventory.sections,
        invoices=tuple(dataclasses.replace(f, record=evidence.applied(f.record)) for f in inventory.invoices),
        events_complete_since=evidence.complete_since,
    )


def _revised_skipped(invoices: tuple[Found[LiveInvoice], ...]) -> tuple[Found[LiveInvoice], ...]:
    """Invoices a revision replaced are their key's history (reconciler.live.revisions): skipped,
    saying which revision is written instead (the key follows the newest revision)."""
    chains = revision_chains(
        [f.record for f in invoices if f.managed], {f.record.id: f.record for f in invoices if not f.managed}
    )
    replaced_by = {f.record.from_invoice: f.record.id for f in invoices if f.record.from_invoice}
    return tuple(
        dataclasses.replace(
            f, unsupported=f"{REVISED} its revision {replaced_by.get(f.record.id) or f.record.latest_revision} "
            "replaces it (the key follows the newest revision)",
        )
        if f.record.id in chains.superseded and not f.unsupported else f
        for f in invoices
    )


def _found(
    objects: Iterable[Obj], to_record: Callable[[Obj, str], R], notes: Callable[[Obj], Notes]
) -> tuple[Found[R], ...]:
    out = []
    for obj in objects:
        unexpressed, unsupported = notes(obj)
        record = to_record(obj, mapping.owner_key(obj) or "")
        out.append(Found(record, int(obj.get("created") or 0), unexpressed, unsupported))
    return tuple(out)


def _set(obj: Obj, *names: str) -> tuple[str, ...]:
    """The names among `names` whose value is set (not null, empty or false)."""
    return tuple(name for name in names if obj.get(name) not in (None, "", [], {}, False))


def _held(kind: str) -> set[str]:
    """The Stripe fields a simple kind's spec holds (its field table)."""
    return {f.param for f in KINDS[kind].fields}


def _beyond(kind: str, obj: Obj, *names: str) -> tuple[str, ...]:
    """The Stripe fields among `names` that are set and that the kind's spec does not hold."""
    held = _held(kind)
    return _set(obj, *(name for name in names if name not in held))


def _nothing(obj: Obj) -> Notes:
    return (), ""


def product_notes(obj: Obj) -> Notes:
    unexpressed = _beyond(
        "product", obj, "images", "url", "statement_descriptor", "tax_code", "shippable", "package_dimensions",
        "marketing_features", "default_price",
    )  # fmt: skip
    return unexpressed, ""


def price_notes(obj: Obj) -> Notes:
    unexpressed = _set(obj, "currency_options")
    if obj.get("tax_behavior") not in (None, "unspecified"):
        unexpressed += ("tax_behavior",)
    if obj.get("type") == "recurring" or obj.get("recurring"):
        return unexpressed, "a recurring price (it bills subscriptions): the spec format has one-off prices only"
    if obj.get("billing_scheme") == "tiered":
        return unexpressed, "a tiered price: the spec format has one unit amount per price"
    if obj.get("custom_unit_amount"):
        return unexpressed, "a price the customer chooses (custom_unit_amount): the spec format has fixed amounts"
    if obj.get("transform_quantity"):
        return unexpressed, "a price that transforms quantities (transform_quantity): the spec format cannot say so"
    if obj.get("unit_amount") is None:
        return unexpressed, "a price without a whole unit_amount (a decimal amount): the spec format has integers"
    return unexpressed, ""


def customer_notes(obj: Obj) -> Notes:
    unexpressed = _beyond("customer", obj, "discount", "default_source")
    if obj.get("balance"):
        unexpressed += ("balance",)
    return unexpressed, ""


# A simple kind's Stripe fields the spec format cannot say (left in Stripe as they are; the report names them).
_NOTES: dict[str, Callable[[Obj], Notes]] = {"product": product_notes, "customer": customer_notes}


def invoice_notes(obj: Obj) -> Notes:
    unexpressed = _set(obj, "statement_descriptor", "on_behalf_of")
    # Coupon discounts and tax rates are written to the spec (issue 19); anything else is listed.
    if any(mapping.coupon_of(d) is None for d in obj.get("discounts") or ()):
        unexpressed += ("discounts",)
    if obj.get("total_taxes") and not _rated(obj):
        unexpressed += ("taxes",)
    if (obj.get("automatic_tax") or {}).get("enabled"):
        unexpressed += ("automatic_tax",)
    if obj.get("shipping_cost") or obj.get("shipping_details"):
        unexpressed += ("shipping",)
    parent = obj.get("parent") or {}
    if str(obj.get("billing_reason") or "").startswith("subscription") or parent.get("subscription_details"):
        return unexpressed, _SUBSCRIPTION
    if parent.get("quote_details"):
        return unexpressed, "an invoice made from a quote: the spec format cannot say so"
    lines = (obj.get("lines") or {}).get("data") or []
    if any(((line.get("parent") or {}).get("subscription_item_details")) for line in lines):
        return unexpressed, _SUBSCRIPTION
    return unexpressed, ""


def _rated(obj: Obj) -> bool:
    """Whether every tax on the invoice comes from a tax rate (which the spec names)."""
    taxes = obj.get("total_taxes") or ()
    return all((t.get("tax_rate_details") or {}).get("tax_rate") for t in taxes)


def credit_note_notes(obj: Obj) -> Notes:
    unexpressed = _set(obj, "shipping_cost", "effective_at")
    if obj.get("discount_amount") or obj.get("total_taxes"):
        unexpressed += ("discounts and taxes",)
    if (obj.get("lines") or {}).get("has_more"):
        return unexpressed, "a credit note of more than 10 lines: the import reads the 10 Stripe embeds"
    return unexpressed, ""
