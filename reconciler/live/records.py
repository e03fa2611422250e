"""Live state as plain typed records, in the shape the planner compares.

Only managed objects (metadata carries ownership.OWNER_KEY) appear here,
except what the planner needs of the others: the lookup keys held by
unmanaged prices (Live.foreign_lookup_keys), what still uses them, and the
objects the specs adopt (Live.adoptable).
`metadata` holds the user part (reserved `reconciler_*` keys removed), every
key of it, whoever set it; `owned_keys` says which of them the tool set (the
planner diffs only those and the keys the specs name). `key` is the spec key
from the ownership tag.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from reconciler.kinds import KINDS

LiveStatus = str  # draft | open | paid | void | uncollectible (Stripe's own)
# Fields records gained after plan files and the live fingerprint were first written: left at their
# defaults they are left out of both, so the plans and idempotency keys of a state without them stay.
LATER_FIELDS = frozenset({
    "default_payment_method", "attempt_count", "hosted_invoice_url", "last_attempt",
    "from_invoice", "latest_revision", "balance", "balance_currency",
    # what the invoice document says (issue 18)
    "tax_id_objects", "custom_fields", "effective_at", "amount_tax_display", "page_size", "account_tax_ids", "period",
    # credit notes (issue 20)
    "line_id", "paid_out_of_band", "pre_payment_credit_notes_amount", "post_payment_credit_notes_amount",
    # tax rates and discounts (issue 19)
    "default_tax_rates", "discounts", "tax_rates", "discount_coupon", "automatic_tax",
})  # fmt: skip


@dataclass(frozen=True, init=False)
class TableRecord:
    """A live object of a simple kind: its field table's values (reconciler.kinds), by name.

    Built as `LiveProduct(id, key, name=...)`, positional in the table's order
    too; a field left out holds the table's default (Stripe's value when
    unset). Fields read as attributes (`product.name`).
    """

    kind: ClassVar[str]
    id: str
    key: str
    values: dict[str, Any]  # every field of the kind's table, in the table's order
    metadata: dict[str, str]
    # metadata[ownership.KEYS_KEY]: the user keys the tool set; None if never recorded
    owned_keys: frozenset[str] | None

    def __init_subclass__(cls, *, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind:
            cls.kind = kind

    def __init__(self, id: str, key: str, *args: Any, **kwargs: Any) -> None:
        table = KINDS[self.kind].fields
        extras = [f.name for f in dataclasses.fields(self)][3:]  # metadata, owned_keys, a subclass's own
        # Positional: the table's first fields, the record's own, then the later table fields, so
        # a positional record written before a later field was added still means what it said.
        order = [f.name for f in table if not f.later] + extras + [f.name for f in table if f.later]
        given = dict(zip(order, args, strict=False))
        if len(args) > len(given) or set(given) & set(kwargs):
            raise TypeError(f"{type(self).__name__}: too many or repeated arguments")
        given.update(kwargs)
        stored = dict(given.pop("values", None) or {})
        values = {f.name: given.pop(f.name, stored.get(f.name, f.default)) for f in table}
        unknown = set(given) - set(extras)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "metadata", dict(given.pop("metadata", None) or {}))
        object.__setattr__(self, "owned_keys", given.pop("owned_keys", None))
        for f in dataclasses.fields(self)[5:]:
            object.__setattr__(self, f.name, given.pop(f.name, f.default))

    def __getattr__(self, name: str) -> Any:
        # Only for names that are not attributes: the table's fields.
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")


@dataclass(frozen=True, init=False)
class LiveProduct(TableRecord, kind="product"):
    pass


@dataclass(frozen=True)
class LivePrice:
    id: str
    key: str
    product_id: str
    unit_amount: int
    currency: str
    nickname: str | None = None
    lookup_key: str | None = None
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)
    # metadata[ownership.KEYS_KEY]: the user keys the tool set; None if never recorded
    owned_keys: frozenset[str] | None = None
    created: int = 0


@dataclass(frozen=True)
class PaymentCard:
    """A saved payment method as a plan may name it: never card data beyond brand and last 4."""

    id: str
    brand: str = "card"
    last4: str = ""

    def label(self) -> str:
        """E.g. "visa •••• 4242"."""
        return f"{self.brand} •••• {self.last4}" if self.last4 else self.brand


@dataclass(frozen=True)
class PaymentAttempt:
    """The state of an open invoice's PaymentIntent after its last attempt (Stripe's evidence)."""

    status: str  # the intent's: requires_payment_method (declined), requires_action, processing, …
    code: str | None = None  # last_payment_error.code, e.g. card_declined
    decline_code: str | None = None  # e.g. insufficient_funds
    message: str | None = None
    # The latest charge (a failed one after a decline): a new attempt's idempotency key names it.
    latest_charge: str | None = None

    def failure(self) -> str | None:
        """'card_declined/insufficient_funds: Your card has insufficient funds.', or None."""
        if self.status == "requires_action":
            return "needs the customer's authentication (3-D Secure)"
        if not self.code:
            return None
        code = f"{self.code}/{self.decline_code}" if self.decline_code else self.code
        return f"{code}: {self.message}" if self.message else code


@dataclass(frozen=True, init=False)
class LiveCustomer(TableRecord, kind="customer"):
    # invoice_settings.default_payment_method (expanded on the list): set by a checkout, never by specs.
    default_payment_method: PaymentCard | None = None
    # Stripe's customer balance (negative: credit the customer holds), applied at the next finalization.
    balance: int = 0
    # The balance's currency (Stripe's customer `currency`), read only while there is a balance: it
    # applies to invoices in that currency only ("A CAD invoice doesn't apply a customer credit balance
    # denominated in USD", https://docs.stripe.com/invoicing/multi-currency-customers).
    balance_currency: str | None = None
    # Its tax IDs as (id, type, value), oldest first (`tax_ids`, expanded on the customer list).
    tax_id_objects: tuple[tuple[str, str, str], ...] = ()
    # The coupon of the customer's own discount (one finance attached in the Dashboard), if any.
    discount_coupon: str | None = None


@dataclass(frozen=True, init=False)
class LiveTaxRate(TableRecord, kind="tax_rate"):
    pass


@dataclass(frozen=True, init=False)
class LiveCoupon(TableRecord, kind="coupon"):
    pass


@dataclass(frozen=True)
class LiveItem:
    id: str
    key: str  # metadata[ownership.ITEM_KEY]; "" for an item the tool did not create
    price_id: str | None
    quantity: int
    amount: int  # line total in minor units
    currency: str
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # metadata[ownership.KEYS_KEY]: the user keys the tool set; None if never recorded
    owned_keys: frozenset[str] | None = None
    # The service period (start, end) in Unix time; Stripe gives every line one (the creation time
    # when none was sent).
    period: tuple[int, int] | None = None
    # The invoice line's own id (`il_…`), which a credit note names; not in the fingerprint.
    line_id: str = ""
    # The tax rates that apply to the line (its own, else the invoice's defaults: Stripe's line
    # `taxes`), and the coupons of its own discounts; None when not read. Empty (every line of
    # an account without taxes or discounts) is the default: such states' digests stay as they were.
    tax_rates: tuple[str, ...] | None = ()
    discounts: tuple[str, ...] | None = ()


@dataclass(frozen=True)
class LiveInvoice:
    id: str
    key: str
    customer_id: str
    status: LiveStatus
    collection_method: str
    days_until_due: int | None
    currency: str
    description: str | None = None
    footer: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # metadata[ownership.KEYS_KEY]: the user keys the tool set; None if never recorded
    owned_keys: frozenset[str] | None = None
    number: str | None = None
    total: int = 0
    amount_paid: int = 0
    amount_remaining: int = 0
    # metadata[ownership.SEND_KEY]: None, "requested" or "done"
    send_marker: str | None = None
    items: tuple[LiveItem, ...] = ()
    created: int = 0
    # status_transitions.finalized_at: when it stopped being a draft
    finalized_at: int | None = None
    # Stripe recorded an `invoice.sent` event for it within the events window:
    # someone (the tool, a colleague in the Dashboard, another integration) sent it.
    sent_event: bool = False
    # A customer's payment of it is processing (a bank debit started): it
    # cannot be paid out of band, voided or marked uncollectible until it settles.
    payment_processing: bool = False
    due_date: int | None = None  # unix time; set once a send_invoice invoice is finalized
    # The invoice's own default payment method (before the customer's, as Stripe resolves it).
    default_payment_method: PaymentCard | None = None
    attempt_count: int = 0  # Stripe's: the first attempt counts, later manual ones do not
    hosted_invoice_url: str | None = None
    # Its PaymentIntent after the last attempt, while the invoice payment is open (evidence).
    last_attempt: PaymentAttempt | None = None
    # Revisions (https://docs.stripe.com/invoicing/invoice-edits): the invoice this one
    # revises (`from_invoice.invoice`), and the newest finalized revision of this one.
    from_invoice: str | None = None
    latest_revision: str | None = None
    # What the document says (Stripe's names): (name, value) pairs; None is Stripe's null.
    custom_fields: tuple[tuple[str, str], ...] | None = None
    # The date of issue when someone set it; None when it is Stripe's own (the finalization time).
    effective_at: int | None = None
    amount_tax_display: str | None = None  # rendering.amount_tax_display
    page_size: str | None = None  # rendering.pdf.page_size
    account_tax_ids: tuple[str, ...] = ()
    # Paid outside Stripe (amount_paid_off_stripe > 0): no charge to refund, as a credit note would.
    paid_out_of_band: bool = False
    # What its credit notes took off before payment (amount remaining) and after (refund, credit, outside).
    pre_payment_credit_notes_amount: int = 0
    post_payment_credit_notes_amount: int = 0
    default_tax_rates: tuple[str, ...] = ()  # tax rate ids
    # The coupons of the invoice's discounts (read expanded); None when read without them.
    discounts: tuple[str, ...] | None = ()
    automatic_tax: bool = False  # automatic_tax.enabled: Stripe Tax computes its tax


@dataclass(frozen=True)
class LiveCreditNoteLine:
    """One line of an issued credit note: of an invoice line (`invoice_line_item`) or custom."""

    type: str  # invoice_line_item | custom_line_item
    amount: int
    invoice_line_item: str | None = None  # the invoice line's il_… id
    quantity: int | None = None
    unit_amount: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class LiveCreditNote:
    id: str
    key: str
    invoice_id: str
    status: str  # issued | void
    amount: int  # the total credited
    currency: str = ""
    customer_id: str = ""
    reason: str | None = None
    memo: str | None = None
    pre_payment_amount: int = 0  # what reduced the invoice's amount remaining
    post_payment_amount: int = 0  # refund + balance credit + out of band
    refund_amount: int = 0  # sum of its refunds
    credit_amount: int = 0  # credited to the customer's balance
    out_of_band_amount: int = 0
    number: str | None = None
    lines: tuple[LiveCreditNoteLine, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    # metadata[ownership.KEYS_KEY]: the user keys the tool set; None if never recorded
    owned_keys: frozenset[str] | None = None


LiveObject = LiveProduct | LivePrice | LiveCustomer | LiveTaxRate | LiveCoupon | LiveInvoice | LiveCreditNote
# Kind name -> its live record (tests/test_kinds.py checks it covers the registry).
RECORDS: dict[str, type[LiveObject]] = {
    "product": LiveProduct, "price": LivePrice, "customer": LiveCustomer, "tax_rate": LiveTaxRate,
    "coupon": LiveCoupon, "invoice": LiveInvoice, "credit_note": LiveCreditNote,
}  # fmt: skip
# The simple kinds' records (generic over their field tables).
TABLE_RECORDS: dict[str, type[TableRecord]] = {kind: cls for kind, cls in RECORDS.items() if issubclass(cls, TableRecord)}


@dataclass(frozen=True)
class Live:
    """All managed objects, each kind keyed by spec key.

    Two live objects claiming the same key (possible after a crash or a manual
    copy) are kept in `duplicates` so the planner can report them instead of
    silently picking one.
    """

    products: dict[str, LiveProduct] = field(default_factory=dict)
    prices: dict[str, LivePrice] = field(default_factory=dict)
    customers: dict[str, LiveCustomer] = field(default_factory=dict)
    invoices: dict[str, LiveInvoice] = field(default_factory=dict)
    credit_notes: dict[str, LiveCreditNote] = field(default_factory=dict)
    # "kind/key" -> ids of every live object claiming that key
    duplicates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # archived (inactive) managed prices, by key, so a replaced price is not re-created
    archived_prices: dict[str, tuple[LivePrice, ...]] = field(default_factory=dict)
    # Further ACTIVE managed prices of a key besides `prices[key]` (the newest
    # active one), newest first: left by a replacement interrupted between
    # creating the new price and archiving the old. The planner keeps the one
    # matching the spec and archives the rest.
    extra_active_prices: dict[str, tuple[LivePrice, ...]] = field(default_factory=dict)
    # lookup_key -> id of the price holding it, for prices the tool does NOT
    # manage (the only unmanaged objects read): a spec must not take their keys.
    foreign_lookup_keys: dict[str, str] = field(default_factory=dict)
    # From when Stripe's `invoice.sent` events are known complete (server time
    # minus stripe_facts.TRUSTED_EVENTS_WINDOW); None when they were not read. An
    # invoice finalized before it, with no send marker, cannot be proven unsent.
    events_complete_since: int | None = None
    # The newest of those events when they were read (None: none, or not read):
    # apply's send guard reads on from it instead of reading the window again.
    newest_sent_event: str | None = None
    # Invoices the tool does not manage, still in use (draft, open,
    # uncollectible), by customer id: (invoice id, status), so prune never
    # deletes a customer others still bill.
    unmanaged_invoices: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # Active prices the tool does not manage, by product id: prune never
    # archives a product others still sell.
    unmanaged_active_prices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Objects the tool does not manage that the specs adopt (`adopt: <id>`),
    # by Stripe id, with key "": the planner plans their adoption.
    adoptable: dict[str, LiveObject] = field(default_factory=dict)
    # Identity beyond metadata (planner.identity): what shows that an object the
    # specs name exists without its ownership tag (metadata wiped by someone).
    # Stripe's `invoice.sent` events read (see events_complete_since), by the
    # reconciler_id their invoice carried when it was emailed: key -> ((invoice id, customer id), ...).
    sent_keys: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # Invoices the tool does not manage whose items carry its item tag
    # (ownership.ITEM_KEY): the tool made them, then their own tag went. Key "".
    untagged_invoices: dict[str, LiveInvoice] = field(default_factory=dict)
    # Existing customers the tool does not manage that an invoice the tool made
    # bills (a managed one, an untagged one, one of `sent_keys`).
    untagged_customers: frozenset[str] = frozenset()
    # Kinds added after the first four (at the end: Live is also built positionally).
    tax_rates: dict[str, LiveTaxRate] = field(default_factory=dict)
    coupons: dict[str, LiveCoupon] = field(default_factory=dict)
    # Revised invoices of a key, oldest first: the originals a revision of the key replaced
    # (`latest_revision` set, or a newer invoice's `from_invoice`). History: never drift, never duplicates.
    revised: dict[str, tuple[LiveInvoice, ...]] = field(default_factory=dict)
    # Revisions of managed invoices that lack the tool's tag (made in the Dashboard, their
    # metadata not copied or wiped), by the key of the invoice they revise: adopted in a reviewed step.
    untagged_revisions: dict[str, LiveInvoice] = field(default_factory=dict)
    # Stripe's time when the state was read (its answers' Date header), None when unknown: the
    # planner refuses a due date Stripe would refuse as past. Not in the fingerprint (it moves).
    read_at: int | None = None
    # The account's own tax IDs (GET /v1/tax_ids), read only when a spec names `account_tax_ids`
    # (None: not read): an id not among them fails the plan before anything is written (review R11).
    account_tax_ids: frozenset[str] | None = None
