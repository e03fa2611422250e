"""The spec format (v1) as pydantic models: what the engineer wants to exist.

Field names follow Stripe's own. Amounts are integers in minor units.
These models are the contract between spec loading and the planner.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from reconciler.kinds import KINDS
from reconciler.spec.billing import (
    INVOICE_PREFIX_PATTERN,
    Address,
    CustomerInvoiceSettings,
    Shipping,
    TaxExempt,
    TaxId,
)
from reconciler.spec.document import MAX_CUSTOM_FIELDS, CustomField, Period, Rendering, StripeDay

SPEC_KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
KEY_RULE = "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters"
# Stripe's ceiling for an amount in minor units: "up to eight digits"
# (99999999, i.e. $999,999.99), per its API reference for amounts.
MAX_AMOUNT = 99_999_999
InvoiceStatus = Literal["draft", "open", "sent", "paid", "void", "uncollectible"]
CollectionMethod = Literal["send_invoice", "charge_automatically"]

# Any case is accepted; the loader checks the code against ISO 4217 and the
# models keep it lowercase, as Stripe returns it.
Currency = Annotated[
    str,
    AfterValidator(str.lower),
    Field(
        description="Three-letter ISO 4217 code, any case; stored lowercase.",
        json_schema_extra={"pattern": "^[A-Za-z]{3}$"},
    ),
]
# Stripe's limits; the loader reports them with positions, the schema tells editors.
Metadata = Annotated[
    dict[str, str],
    Field(
        description="Stripe metadata: at most 46 keys (Stripe's 50 less reconciler's own), keys of 1 to 40 "
        "characters without '[', ']' or ',', "
        "values of 1 to 500 characters; keys starting with 'reconciler_' are reserved.",
        json_schema_extra={
            "maxProperties": 46,
            "propertyNames": {"minLength": 1, "maxLength": 40, "pattern": "^(?!reconciler_)[^\\[\\],]*$"},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 500},
        },
    ),
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def references(self) -> tuple[tuple[str, str], ...]:
        """(kind, spec key) of every entry this one refers to."""
        return ()


_ADOPT_HELP = (
    "The Stripe id of an existing {what} the tool does not manage yet: the next plan adopts it "
    "(tags it as managed) instead of creating one. Written by `reconciler import`."
)


def _adopt(kind: str) -> Any:
    """The `adopt:` field of a kind: an id with the kind's Stripe prefix, any id where Stripe has none."""
    prefix = KINDS[kind].id_prefix or ""
    return Field(
        default=None,
        pattern=rf"^{prefix}[A-Za-z0-9_-]+$",
        max_length=255,
        description=_ADOPT_HELP.format(what=kind.replace("_", " ")),
    )


class ProductSpec(_Spec):
    """A Stripe product."""

    name: str = Field(min_length=1, max_length=250, description="Shown to customers on invoices.")
    description: str | None = None
    active: bool = True
    unit_label: str | None = Field(default=None, description="Label for units on invoices, e.g. 'seat'.")
    metadata: Metadata = Field(default_factory=dict)
    adopt: str | None = _adopt("product")


class PriceSpec(_Spec):
    """A one-off Stripe price of a product; amount and currency cannot change once created."""

    product: str = Field(description="Key of a product in the specs.")
    unit_amount: int = Field(ge=0, le=MAX_AMOUNT, description="Minor units (cents), at most 8 digits.")
    currency: Currency
    nickname: str | None = None
    lookup_key: str | None = None
    active: bool = True
    metadata: Metadata = Field(default_factory=dict)
    adopt: str | None = _adopt("price")

    def references(self) -> tuple[tuple[str, str], ...]:
        return (("product", self.product),)


# Text limits: the maxLength of Stripe's OpenAPI spec (github.com/stripe/openapi) for the create
# parameters (docs.stripe.com/api/customers/create, /api/invoices/create); docs/spec-format.md cites each.
MAX_CUSTOMER_NAME = 256
MAX_PHONE = 20
# Stripe's changelog (API 2018-10-31): "The description field on customer endpoints has a maximum
# character length limit of 350 now"; stricter than the spec's 5000, so validate never lets through
# what Stripe refuses.
MAX_CUSTOMER_DESCRIPTION = 350
MAX_INVOICE_DESCRIPTION = 1500
MAX_FOOTER = 5000


# An IETF language tag's shape (de, en-GB, es-419, zh-Hant-TW): Stripe lists the languages it supports
# (https://docs.stripe.com/js/appendix/supported_locales; invoices' own list is not published), so only
# the shape is checked: a language Stripe adds is never refused, `klingon-xx-yy` is (review R3).
_LOCALE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?$")


def _locale_tag(value: str) -> str:
    if not _LOCALE_TAG.match(value):
        raise ValueError(f"{value!r} is not a language tag such as de, en-GB or es-419")
    return value


def _once_each(values: list[str]) -> list[str]:
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} named more than once")
    return values


class CustomerSpec(_Spec):
    """A Stripe customer."""

    name: str | None = Field(default=None, max_length=MAX_CUSTOMER_NAME)
    email: str | None = Field(default=None, max_length=512, json_schema_extra={"format": "email"})
    description: str | None = Field(default=None, max_length=MAX_CUSTOMER_DESCRIPTION)
    phone: str | None = Field(default=None, max_length=MAX_PHONE)
    # Who is billed (issue 18): each the tool's only where named (kinds.Field.named_only).
    # "" removes it (Stripe's own unset, as `line2: ""` clears one line; review R22).
    address: Address | Literal[""] | None = Field(
        default=None, description='The billing address printed on invoices; "" removes it.'
    )
    shipping: Shipping | Literal[""] | None = Field(default=None, description='Where goods go; "" removes it.')
    # At least one: Stripe's update takes a list of locales and no "" to clear them (stripe-python's
    # CustomerUpdateParams), and an empty list is not sent at all, so [] could never be applied.
    preferred_locales: list[Annotated[str, AfterValidator(_locale_tag)]] | None = Field(
        default=None,
        min_length=1,
        description="Languages of the customer's invoices and emails, by preference (e.g. de, en).",
    )
    tax_exempt: TaxExempt | None = None
    invoice_prefix: str | None = Field(
        default=None, pattern=INVOICE_PREFIX_PATTERN, description="1 to 12 uppercase letters or digits."
    )
    invoice_settings: CustomerInvoiceSettings | None = None
    tax_ids: list[TaxId] | None = Field(
        default=None,
        description="The customer's tax IDs printed on its invoices ({type, value}); [] removes them all.",
    )
    metadata: Metadata = Field(default_factory=dict)
    adopt: str | None = _adopt("customer")


# Stripe's tax rate and coupon limits (docs.stripe.com/api/tax_rates/create, /api/coupons/create):
# display_name at most 50 characters, a coupon's name at most 40.
MAX_TAX_RATE_NAME = 50
# "You can add up to ten tax rates to each line item" (https://docs.stripe.com/invoicing/taxes/tax-rates).
MAX_TAX_RATES = 10
MAX_COUPON_NAME = 40
TaxType = Literal[
    "amusement_tax", "communications_tax", "gst", "hst", "igst", "jct", "lease_tax", "pst", "qst",
    "retail_delivery_fee", "rst", "sales_tax", "service_tax", "vat",
]


class TaxRateSpec(_Spec):
    """A Stripe tax rate; percentage and inclusive cannot change once created (a change replaces it)."""

    display_name: str = Field(min_length=1, max_length=MAX_TAX_RATE_NAME,
                              description="Shown to customers on invoices, e.g. 'VAT' or 'MwSt.'.")
    percentage: float = Field(ge=0, le=100, description="E.g. 19 or 7.25; a change replaces the rate.")
    inclusive: bool = Field(description="Whether the tax is inside the amounts (true) or added on top (false); "
                            "a change replaces the rate.")
    country: str | None = Field(default=None, pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. DE.")
    state: str | None = None
    jurisdiction: str | None = Field(default=None, max_length=50)
    tax_type: TaxType | None = None
    description: str | None = None
    active: bool = Field(default=True, description="false archives it: no new invoice may use it.")
    metadata: Metadata = Field(default_factory=dict)
    adopt: str | None = _adopt("tax_rate")


class CouponSpec(_Spec):
    """A Stripe coupon; only name and metadata can change (any other change replaces it)."""

    name: str | None = Field(default=None, max_length=MAX_COUPON_NAME, description="Shown to customers.")
    percent_off: float | None = Field(default=None, gt=0, le=100, description="Percent off; or amount_off.")
    amount_off: int | None = Field(default=None, ge=1, le=MAX_AMOUNT, description="Minor units off, with currency.")
    currency: Currency | None = None
    duration: Literal["once", "repeating", "forever"] = "once"
    duration_in_months: int | None = Field(default=None, ge=1, description="Only with duration repeating.")
    max_redemptions: int | None = Field(default=None, ge=1)
    redeem_by: int | None = Field(default=None, ge=1, description="Unix time after which it cannot be redeemed.")
    metadata: Metadata = Field(default_factory=dict)
    adopt: str | None = _adopt("coupon")


class AutomaticTax(_Spec):
    """Stripe Tax on one invoice (Stripe's `automatic_tax`)."""

    enabled: bool = Field(description="Stripe computes the tax when it finalizes the invoice.")


class InvoiceItemSpec(_Spec):
    """One line of an invoice: a price (times quantity) or an amount with a currency."""

    key: str | None = Field(
        default=None,
        pattern=SPEC_KEY_PATTERN,
        description="Stable identity of the item within its invoice; derived from price or description when omitted.",
    )
    price: str | None = Field(default=None, description="Key of a price in the specs.")
    quantity: int = Field(default=1, ge=1, description="Only with price; an amount is already the line total.")
    amount: int | None = Field(
        default=None,
        ge=-MAX_AMOUNT,
        le=MAX_AMOUNT,
        description="The line total in minor units (at most 8 digits); with currency, instead of price. "
        "Negative: a credit on the invoice (not discounted).",
    )
    currency: Currency | None = None
    description: str | None = Field(default=None, max_length=500)
    period: Period | None = Field(default=None, description="The service period printed on the line.")
    tax_rates: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_TAX_RATES,
        description="Keys of tax rates for this line, instead of the invoice's default_tax_rates (at most 10).",
    )
    discounts: list[str] = Field(
        default_factory=list, description="Keys of coupons for this line, applied before the invoice's discounts."
    )
    metadata: Metadata = Field(default_factory=dict)


class InvoiceSpec(_Spec):
    """A one-off Stripe invoice and the point of its lifecycle it should reach."""

    def charges(self) -> bool:
        """`status: paid` is reached by charging the customer's saved payment method."""
        return self.status == "paid" and self.collection_method == "charge_automatically" and not self.paid_out_of_band

    customer: str = Field(description="Key of a customer in the specs.")
    collection_method: CollectionMethod = "send_invoice"
    days_until_due: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="With send_invoice, it or due_date is required; not allowed with charge_automatically.",
    )
    status: InvoiceStatus = Field(default="draft", description="Desired lifecycle state.")
    assume_unsent: bool = Field(
        default=False,
        description="With status sent: send an invoice finalized before Stripe's events window, whose sending "
        "the tool cannot rule out. Never overrides proof that it was sent.",
    )
    revise: bool = Field(
        default=False,
        description="A change to what Stripe freezes on a finalized (open or uncollectible) invoice becomes a "
        "Stripe revision: a new invoice that replaces this one, which Stripe voids.",
    )
    paid_out_of_band: bool | None = Field(
        default=None,
        description="With status paid: true records a payment made outside Stripe (either collection method). "
        "Left out: a charge_automatically invoice is charged to the customer's default payment method, a "
        "send_invoice invoice is recorded as paid out of band (its meaning before this field existed).",
    )
    description: str | None = Field(default=None, max_length=MAX_INVOICE_DESCRIPTION)
    footer: str | None = Field(default=None, max_length=MAX_FOOTER)
    due_date: dt.date | None = Field(
        default=None,
        description="With send_invoice, instead of days_until_due: the day payment is due (a future day "
        "when the invoice is created; Stripe refuses a past one).",
    )
    custom_fields: list[CustomField] | None = Field(
        default=None, max_length=MAX_CUSTOM_FIELDS, description="Up to 4 name/value pairs printed on the invoice."
    )
    effective_at: StripeDay | None = Field(
        default=None, description="The date of issue printed on the invoice (Stripe: the finalization day)."
    )
    rendering: Rendering | None = None
    account_tax_ids: Annotated[list[Annotated[str, Field(pattern=r"^txi_[A-Za-z0-9]+$")]], AfterValidator(_once_each)] | None = Field(
        default=None,
        description="Stripe ids (txi_…) of the account's own tax IDs to print on the invoice; [] prints none.",
    )
    metadata: Metadata = Field(default_factory=dict)
    items: list[InvoiceItemSpec] = Field(min_length=1, max_length=250, description="1 to 250 items.")
    automatic_tax: AutomaticTax | None = Field(
        default=None, description="{enabled: true}: Stripe Tax computes the tax at finalization (no tax rates then)."
    )
    default_tax_rates: list[str] = Field(
        default_factory=list, max_length=MAX_TAX_RATES,
        description="Keys of tax rates for every line without tax_rates of its own (at most 10).",
    )
    discounts: list[str] = Field(
        default_factory=list,
        description="Keys of coupons for the invoice. Always sent, [] as none: the customer's own discount in "
        "Stripe is never inherited silently.",
    )
    adopt: str | None = _adopt("invoice")

    def references(self) -> tuple[tuple[str, str], ...]:
        money = [("tax_rate", k) for k in self.default_tax_rates] + [("coupon", k) for k in self.discounts]
        for item in self.items:
            money += [("tax_rate", k) for k in item.tax_rates or ()] + [("coupon", k) for k in item.discounts]
        return (("customer", self.customer), *(("price", item.price) for item in self.items if item.price), *money)

    def keyed_items(self) -> list[tuple[str, InvoiceItemSpec]]:
        """Items with their stable identity: explicit `key`, else price key or
        description slug, with `#2`, `#3`… for repeats. Reordering items keeps
        identities; only removing or adding changes them."""
        keys = numbered([item.key or item_base_key(item.price, item.description) for item in self.items])
        return list(zip(keys, self.items, strict=False))


CreditNoteReason = Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory"]


class CreditNoteLineSpec(_Spec):
    """One line of a credit note: part of an invoice item (`item` with `quantity` or `amount`),
    or a custom line (`description`, `amount`, `quantity`)."""

    item: str | None = Field(default=None, description="Key of an item of the credited invoice.")
    quantity: int | None = Field(
        default=None, ge=1, description="With item: how many of its units to credit. Custom: the line's quantity."
    )
    amount: int | None = Field(
        default=None, ge=1, le=MAX_AMOUNT,
        description="With item: the amount of it to credit. Custom: the line total (quantity x unit amount).",
    )
    description: str | None = Field(default=None, min_length=1, max_length=500, description="A custom line's text.")


class CreditNoteSpec(_Spec):
    """A Stripe credit note on an invoice the specs manage. Once issued only memo, metadata
    and status (void) change; anything else means voiding it and issuing a new one."""

    invoice: str = Field(description="Key of an invoice in the specs.")
    lines: list[CreditNoteLineSpec] | None = Field(default=None, min_length=1, max_length=250)
    amount: int | None = Field(default=None, ge=1, le=MAX_AMOUNT, description="Instead of lines: the amount.")
    reason: CreditNoteReason | None = None
    memo: str | None = Field(default=None, max_length=5000, description="Shown on the credit note PDF.")
    refund_amount: int = Field(default=0, ge=0, le=MAX_AMOUNT, description="Refunded to the invoice's payment.")
    credit_amount: int = Field(default=0, ge=0, le=MAX_AMOUNT, description="Credited to the customer's balance.")
    out_of_band_amount: int = Field(default=0, ge=0, le=MAX_AMOUNT, description="Credited outside Stripe.")
    email_type: Literal["credit_note", "none"] | None = Field(
        default=None, description="credit_note (Stripe's default) emails the customer the credit note; none does not."
    )
    status: Literal["issued", "void"] = "issued"
    metadata: Metadata = Field(default_factory=dict)
    adopt: str | None = _adopt("credit_note")

    def references(self) -> tuple[tuple[str, str], ...]:
        return (("invoice", self.invoice),)

    def split(self) -> int:
        """refund_amount + credit_amount + out_of_band_amount: what exceeds the invoice's amount remaining."""
        return self.refund_amount + self.credit_amount + self.out_of_band_amount


def item_base_key(price_key: str | None, description: str | None) -> str:
    """An item's identity when it has no explicit key: its price key, else a slug of its description.

    The planner gives an adopted invoice's live items their identity by this same rule.
    """
    return price_key or _slug(description or "") or "item"


def numbered(bases: list[str]) -> list[str]:
    """Each base once as it is, its repeats as `base#2`, `base#3`… in order."""
    seen: dict[str, int] = {}
    out = []
    for base in bases:
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


# Kind name -> its spec model (tests/test_kinds.py checks it covers the registry).
SPEC_MODELS: dict[str, type[_Spec]] = {
    "product": ProductSpec, "price": PriceSpec, "customer": CustomerSpec, "tax_rate": TaxRateSpec,
    "coupon": CouponSpec, "invoice": InvoiceSpec, "credit_note": CreditNoteSpec,
}  # fmt: skip


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
    tax_rates: dict[str, TaxRateSpec] = Field(default_factory=dict)
    coupons: dict[str, CouponSpec] = Field(default_factory=dict)
    invoices: dict[str, InvoiceSpec] = Field(default_factory=dict)
    credit_notes: dict[str, CreditNoteSpec] = Field(default_factory=dict)
    # "kind/key" -> definition site, e.g. "invoices/jenny-rosen-2026-11"
    locations: dict[str, Location] = Field(default_factory=dict)
    files: list[str] = Field(default_factory=list)

    def names_account_tax_ids(self) -> bool:
        """Whether some invoice names `account_tax_ids`: only then are the account's read to check them."""
        return any(spec.account_tax_ids for spec in self.invoices.values())

    def adopt_ids(self) -> frozenset[str]:
        """The Stripe ids the specs adopt (`adopt:`): the reader keeps these unmanaged objects."""
        # Every section (each a dict of spec entries), whatever kinds are registered.
        sections = [value for value in vars(self).values() if isinstance(value, dict)]
        adopts = (getattr(spec, "adopt", None) for section in sections for spec in section.values())
        return frozenset(adopt for adopt in adopts if isinstance(adopt, str) and adopt)
