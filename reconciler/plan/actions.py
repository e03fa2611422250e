"""Typed plan actions: the contract between planner, renderers and applier.

An action is frozen data. Rendering and executing live elsewhere, in tables
keyed by action type (see renderers and reconciler.apply); a test checks that
each table covers every class in ALL_ACTIONS.

Parameters that name another object which may not exist yet are `Ref`s; the
applier resolves them to Stripe ids from live state or from the result of the
action that creates the object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from reconciler.kinds import Kind

Section = Literal["adopt", "create", "update", "lifecycle", "destroy"]


@dataclass(frozen=True)
class Ref:
    """A reference to a managed object by kind and spec key, resolved at apply time."""

    kind: Kind
    key: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


def refs_in(value: Any) -> list[Ref]:
    """Every Ref inside a parameter value (nested dicts and lists)."""
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in refs_in(v)]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in refs_in(v)]
    return []


@dataclass(frozen=True)
class FieldChange:
    """One field of an update. Metadata is diffed per key: field "metadata.<key>";
    new=None on a metadata key means "unset it" (Stripe: send "" for the key).
    On an invoice item, field "price" carries Refs and maps to pricing[price]."""

    field: str
    old: Any
    new: Any


METADATA_PREFIX = "metadata."


def changes_to_params(changes: tuple[FieldChange, ...]) -> dict[str, Any]:
    """Stripe update parameters for a list of field changes.

    None means "unset": Stripe takes "" for that (per metadata key, too).
    `days_until_due` cannot be blanked; Stripe drops it on its own when the
    collection method becomes charge_automatically, so None is left out.
    """
    params: dict[str, Any] = {}
    for change in changes:
        name, new = change.field, change.new
        if name.startswith(METADATA_PREFIX):
            params.setdefault("metadata", {})[name[len(METADATA_PREFIX) :]] = "" if new is None else new
        elif name == "price":
            params["pricing"] = {"price": new}
        elif new is None:
            if name != "days_until_due":
                params[name] = ""
        else:
            params[name] = new
    return params


@dataclass(frozen=True)
class Action:
    """Base: one step of a plan."""

    # The action's stable name: the plan file's "type", the first part of its
    # id and of its idempotency keys. Persisted and sent to Stripe, so it never
    # follows a rename of the class (a test pins every one).
    name: ClassVar[str]
    kind: ClassVar[Kind]
    verb: ClassVar[str]  # "create", "update", "archive", "finalize", ...
    section: ClassVar[Section]
    # The fields that, after the name, make up the id (see id_for).
    identity: ClassVar[tuple[str, ...]] = ("key",)

    key: str  # spec key of the object (for items: the invoice key)
    reason: str
    depends_on: tuple[str, ...] = ()  # ids of actions that must succeed first

    @property
    def id(self) -> str:
        """Stable identity within a plan, e.g. 'CreatePrice:gold-special-usd'."""
        return ":".join([self.name, *(str(getattr(self, f)) for f in self.identity)])

    @classmethod
    def id_for(cls, *parts: str) -> str:
        """The id an action of this class has for these identity parts, e.g.
        `CreateProduct.id_for("gold")`: a dependency named this way cannot
        misspell the name, and the wrong number of parts raises at once."""
        if len(parts) != len(cls.identity):
            raise TypeError(f"{cls.name} ids take {', '.join(cls.identity)}; got {len(parts)} part(s)")
        return ":".join([cls.name, *parts])


@dataclass(frozen=True)
class _Create(Action):
    params: dict[str, Any] = field(default_factory=dict)  # Stripe create params; values may be Ref


@dataclass(frozen=True)
class _Update(Action):
    stripe_id: str = ""
    changes: tuple[FieldChange, ...] = ()

    def stripe_params(self) -> dict[str, Any]:
        """The update request's parameters (values may be Ref)."""
        return changes_to_params(self.changes)


@dataclass(frozen=True)
class _OnExisting(Action):
    stripe_id: str = ""  # "" when the object is created earlier in the same plan


# adoption: an existing object the tool does not manage yet (the spec's `adopt:`)
@dataclass(frozen=True)
class _Adopt(Action):
    """Tag an existing object as managed under the spec key: one metadata update
    (ownership.OWNER_KEY, and KEYS_KEY for the spec's own metadata keys). Nothing
    else about the object changes; other differences are separate actions."""

    verb: ClassVar[str] = "adopt"
    section: ClassVar[Section] = "adopt"
    stripe_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # the update's parameters


@dataclass(frozen=True)
class AdoptProduct(_Adopt):
    name: ClassVar[str] = "AdoptProduct"
    kind: ClassVar[Kind] = "product"


@dataclass(frozen=True)
class AdoptPrice(_Adopt):
    name: ClassVar[str] = "AdoptPrice"
    kind: ClassVar[Kind] = "price"


@dataclass(frozen=True)
class AdoptCustomer(_Adopt):
    name: ClassVar[str] = "AdoptCustomer"
    kind: ClassVar[Kind] = "customer"


@dataclass(frozen=True)
class AdoptInvoice(_Adopt):
    """A draft's items are tagged too (ownership.ITEM_KEY), before the invoice
    itself, so the invoice's tag is the last write: an interrupted adoption is
    planned again. A finalized invoice's items cannot be written at all; the
    planner tells them apart by content (see planner.adopt)."""

    name: ClassVar[str] = "AdoptInvoice"
    kind: ClassVar[Kind] = "invoice"
    # invoice item id -> the item update's parameters (drafts only)
    item_params: dict[str, Any] = field(default_factory=dict)


# products
@dataclass(frozen=True)
class CreateProduct(_Create):
    name: ClassVar[str] = "CreateProduct"
    kind: ClassVar[Kind] = "product"
    verb: ClassVar[str] = "create"
    section: ClassVar[Section] = "create"


@dataclass(frozen=True)
class UpdateProduct(_Update):
    name: ClassVar[str] = "UpdateProduct"
    kind: ClassVar[Kind] = "product"
    verb: ClassVar[str] = "update"
    section: ClassVar[Section] = "update"


@dataclass(frozen=True)
class ArchiveProduct(_OnExisting):
    name: ClassVar[str] = "ArchiveProduct"
    kind: ClassVar[Kind] = "product"
    verb: ClassVar[str] = "archive"
    section: ClassVar[Section] = "destroy"


# prices
@dataclass(frozen=True)
class CreatePrice(_Create):
    name: ClassVar[str] = "CreatePrice"
    kind: ClassVar[Kind] = "price"
    verb: ClassVar[str] = "create"
    section: ClassVar[Section] = "create"


@dataclass(frozen=True)
class UpdatePrice(_Update):
    name: ClassVar[str] = "UpdatePrice"
    kind: ClassVar[Kind] = "price"
    verb: ClassVar[str] = "update"
    section: ClassVar[Section] = "update"

    # True when the new lookup_key is held by another managed price (the one
    # this price replaced, or another key's): then it moves instead of failing.
    # Never set for a key held by a price the tool does not manage.
    transfer_lookup_key: bool = False

    def stripe_params(self) -> dict[str, Any]:
        params = changes_to_params(self.changes)
        if self.transfer_lookup_key and params.get("lookup_key"):
            params["transfer_lookup_key"] = True
        return params


@dataclass(frozen=True)
class ArchivePrice(_OnExisting):
    """Set active=false. Used for prune and for the old price of a replacement."""

    name: ClassVar[str] = "ArchivePrice"
    kind: ClassVar[Kind] = "price"
    verb: ClassVar[str] = "archive"
    section: ClassVar[Section] = "destroy"
    identity: ClassVar[tuple[str, ...]] = ("key", "stripe_id")


# customers
@dataclass(frozen=True)
class CreateCustomer(_Create):
    name: ClassVar[str] = "CreateCustomer"
    kind: ClassVar[Kind] = "customer"
    verb: ClassVar[str] = "create"
    section: ClassVar[Section] = "create"


@dataclass(frozen=True)
class UpdateCustomer(_Update):
    name: ClassVar[str] = "UpdateCustomer"
    kind: ClassVar[Kind] = "customer"
    verb: ClassVar[str] = "update"
    section: ClassVar[Section] = "update"


@dataclass(frozen=True)
class DeleteCustomer(_OnExisting):
    name: ClassVar[str] = "DeleteCustomer"
    kind: ClassVar[Kind] = "customer"
    verb: ClassVar[str] = "delete"
    section: ClassVar[Section] = "destroy"


# invoices
@dataclass(frozen=True)
class CreateInvoice(_Create):
    """Always a draft with auto_advance=false and ownership metadata."""

    name: ClassVar[str] = "CreateInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "create"
    section: ClassVar[Section] = "create"


@dataclass(frozen=True)
class UpdateInvoice(_Update):
    name: ClassVar[str] = "UpdateInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "update"
    section: ClassVar[Section] = "update"


@dataclass(frozen=True)
class DeleteInvoice(_OnExisting):
    """Delete a draft (prune only)."""

    name: ClassVar[str] = "DeleteInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "delete"
    section: ClassVar[Section] = "destroy"


# invoice items (key = invoice key, item_key = identity within it)
@dataclass(frozen=True)
class _ItemAction(Action):
    kind: ClassVar[Kind] = "item"
    identity: ClassVar[tuple[str, ...]] = ("key", "item_key")
    item_key: str = ""


@dataclass(frozen=True)
class AddInvoiceItem(_ItemAction):
    name: ClassVar[str] = "AddInvoiceItem"
    verb: ClassVar[str] = "add item"
    section: ClassVar[Section] = "create"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateInvoiceItem(_ItemAction):
    name: ClassVar[str] = "UpdateInvoiceItem"
    verb: ClassVar[str] = "update item"
    section: ClassVar[Section] = "update"
    stripe_id: str = ""
    changes: tuple[FieldChange, ...] = ()

    def stripe_params(self) -> dict[str, Any]:
        """The update request's parameters (values may be Ref)."""
        return changes_to_params(self.changes)


@dataclass(frozen=True)
class RemoveInvoiceItem(_ItemAction):
    name: ClassVar[str] = "RemoveInvoiceItem"
    verb: ClassVar[str] = "remove item"
    section: ClassVar[Section] = "update"
    stripe_id: str = ""
    # True for an item the tool did not add, removed by --prune: then it
    # belongs to the plan's "destroy" section, see section_of().
    prune: bool = False


# invoice lifecycle (stripe_id "" when the invoice is created in this plan)
@dataclass(frozen=True)
class FinalizeInvoice(_OnExisting):
    name: ClassVar[str] = "FinalizeInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "finalize"
    section: ClassVar[Section] = "lifecycle"


@dataclass(frozen=True)
class SendInvoice(_OnExisting):
    """Emails the customer: guarded so it happens at most once per invoice."""

    name: ClassVar[str] = "SendInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "send"
    section: ClassVar[Section] = "lifecycle"

    # The spec's `assume_unsent: true`: send although the invoice was finalized
    # before the events window, where no proof it was never sent exists. A
    # send marker or an `invoice.sent` event still stops the send.
    assume_unsent: bool = False


@dataclass(frozen=True)
class RecordSend(_OnExisting):
    """Completes the send marker of a send a stopped run made (Stripe holds its
    `invoice.sent` event): writes `done`, emails nobody. Without it the
    `requested` marker would outlive the event, and the proof with it."""

    name: ClassVar[str] = "RecordSend"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "record send"
    section: ClassVar[Section] = "lifecycle"


@dataclass(frozen=True)
class PayInvoice(_OnExisting):
    """Mark paid out of band (paid_out_of_band=true)."""

    name: ClassVar[str] = "PayInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "pay"
    section: ClassVar[Section] = "lifecycle"


@dataclass(frozen=True)
class ChargeInvoice(_OnExisting):
    """Charge the customer's saved payment method through `pay`: one attempt per apply."""

    name: ClassVar[str] = "ChargeInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "charge"
    section: ClassVar[Section] = "lifecycle"

    payment_method: str = ""  # the pm_… Stripe resolves (invoice's default, else the customer's)
    card: str = ""  # "visa •••• 4242": what the reviewer sees
    # The charge of the last failed attempt ("" before any): part of the idempotency key, so a
    # reviewed new attempt gets a new key while a re-run of the same attempt replays it.
    after_charge: str = ""


@dataclass(frozen=True)
class VoidInvoice(_OnExisting):
    name: ClassVar[str] = "VoidInvoice"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "void"
    section: ClassVar[Section] = "lifecycle"

    # True when voided by --prune (the invoice is no longer in the specs):
    # then it belongs to the plan's "destroy" section, see section_of().
    prune: bool = False


@dataclass(frozen=True)
class MarkUncollectible(_OnExisting):
    name: ClassVar[str] = "MarkUncollectible"
    kind: ClassVar[Kind] = "invoice"
    verb: ClassVar[str] = "mark uncollectible"
    section: ClassVar[Section] = "lifecycle"


ALL_ACTIONS: tuple[type[Action], ...] = (
    CreateProduct, UpdateProduct, ArchiveProduct,
    CreatePrice, UpdatePrice, ArchivePrice,
    CreateCustomer, UpdateCustomer, DeleteCustomer,
    CreateInvoice, UpdateInvoice, DeleteInvoice,
    AddInvoiceItem, UpdateInvoiceItem, RemoveInvoiceItem,
    FinalizeInvoice, SendInvoice, RecordSend, PayInvoice, ChargeInvoice, VoidInvoice, MarkUncollectible,
    AdoptProduct, AdoptPrice, AdoptCustomer, AdoptInvoice,
)  # fmt: skip


def section_of(action: Action) -> Section:
    """The plan section an action counts in (a pruned void or item removal is a destroy)."""
    if isinstance(action, (VoidInvoice, RemoveInvoiceItem)) and action.prune:
        return "destroy"
    return action.section
