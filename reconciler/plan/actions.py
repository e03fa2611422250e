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

from reconciler.kinds import SIMPLE_KINDS, Kind

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
    """Base: one step of a plan.

    A class states its stable names once, as class keywords that the bases it
    derives from complete: `class CreateCoupon(_Create, name="CreateCoupon",
    kind="coupon")` (verb and section come from _Create).
    """

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

    def __init_subclass__(
        cls, *, name: str | None = None, kind: Kind | None = None, verb: str | None = None,
        section: Section | None = None, **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.name = name
        if kind is not None:
            cls.kind = kind
        if verb is not None:
            cls.verb = verb
        if section is not None:
            cls.section = section

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

    # Typed views of what only some actions carry, so callers need no getattr.
    @property
    def existing_id(self) -> str:
        """The Stripe id written to; "" for a create, or an object created earlier in the plan."""
        return ""

    @property
    def item(self) -> str:
        """The invoice item's key for an item action, else ""."""
        return ""

    def given_params(self) -> dict[str, Any]:
        """The parameters the planner wrote whole (create, adopt, add item); values may be Ref."""
        return {}

    def field_changes(self) -> tuple[FieldChange, ...]:
        """The field changes of an update."""
        return ()

    def named_refs(self) -> list[Ref]:
        """Every other object the action names, in its parameters and field changes."""
        return refs_in(self.given_params()) + refs_in([[c.old, c.new] for c in self.field_changes()])


@dataclass(frozen=True)
class _Create(Action, verb="create", section="create"):
    params: dict[str, Any] = field(default_factory=dict)  # Stripe create params; values may be Ref

    def given_params(self) -> dict[str, Any]:
        return self.params


@dataclass(frozen=True)
class _Update(Action, verb="update", section="update"):
    stripe_id: str = ""
    changes: tuple[FieldChange, ...] = ()

    @property
    def existing_id(self) -> str:
        return self.stripe_id

    def field_changes(self) -> tuple[FieldChange, ...]:
        return self.changes

    def stripe_params(self) -> dict[str, Any]:
        """The update request's parameters (values may be Ref)."""
        return changes_to_params(self.changes)


@dataclass(frozen=True)
class _OnExisting(Action):
    stripe_id: str = ""  # "" when the object is created earlier in the same plan

    @property
    def existing_id(self) -> str:
        return self.stripe_id


@dataclass(frozen=True)
class _Archive(_OnExisting, verb="archive", section="destroy"):
    """Set active=false (Stripe keeps the object; it can no longer be used)."""


@dataclass(frozen=True)
class _Delete(_OnExisting, verb="delete", section="destroy"):
    """Delete the object."""


@dataclass(frozen=True)
class _Lifecycle(_OnExisting, kind="invoice", section="lifecycle"):
    """One step of an invoice's lifecycle (finalize, send, pay, ...)."""


# adoption: an existing object the tool does not manage yet (the spec's `adopt:`)
@dataclass(frozen=True)
class _Adopt(Action, verb="adopt", section="adopt"):
    """Tag an existing object as managed under the spec key: one metadata update
    (ownership.OWNER_KEY, and KEYS_KEY for the spec's own metadata keys). Nothing
    else about the object changes; other differences are separate actions."""

    stripe_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # the update's parameters

    @property
    def existing_id(self) -> str:
        return self.stripe_id

    def given_params(self) -> dict[str, Any]:
        return self.params

    def item_tags(self) -> dict[str, Any]:
        """Invoice item id -> the item update's parameters, tagged before the object itself."""
        return {}


@dataclass(frozen=True)
class AdoptProduct(_Adopt, name="AdoptProduct", kind="product"):
    pass


@dataclass(frozen=True)
class AdoptPrice(_Adopt, name="AdoptPrice", kind="price"):
    pass


@dataclass(frozen=True)
class AdoptCustomer(_Adopt, name="AdoptCustomer", kind="customer"):
    pass


@dataclass(frozen=True)
class AdoptInvoice(_Adopt, name="AdoptInvoice", kind="invoice"):
    """A draft's items are tagged too (ownership.ITEM_KEY), before the invoice
    itself, so the invoice's tag is the last write: an interrupted adoption is
    planned again. A finalized invoice's items cannot be written at all; the
    planner tells them apart by content (see planner.adopt)."""

    # invoice item id -> the item update's parameters (drafts only)
    item_params: dict[str, Any] = field(default_factory=dict)

    def item_tags(self) -> dict[str, Any]:
        return self.item_params


# products
@dataclass(frozen=True)
class CreateProduct(_Create, name="CreateProduct", kind="product"):
    pass


@dataclass(frozen=True)
class UpdateProduct(_Update, name="UpdateProduct", kind="product"):
    pass


@dataclass(frozen=True)
class ArchiveProduct(_Archive, name="ArchiveProduct", kind="product"):
    pass


# prices
@dataclass(frozen=True)
class CreatePrice(_Create, name="CreatePrice", kind="price"):
    pass


@dataclass(frozen=True)
class UpdatePrice(_Update, name="UpdatePrice", kind="price"):
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
class ArchivePrice(_Archive, name="ArchivePrice", kind="price"):
    """Set active=false. Used for prune and for the old price of a replacement."""

    identity: ClassVar[tuple[str, ...]] = ("key", "stripe_id")


# customers
@dataclass(frozen=True)
class CreateCustomer(_Create, name="CreateCustomer", kind="customer"):
    pass


@dataclass(frozen=True)
class UpdateCustomer(_Update, name="UpdateCustomer", kind="customer"):
    pass


@dataclass(frozen=True)
class DeleteCustomer(_Delete, name="DeleteCustomer", kind="customer"):
    pass


# invoices
@dataclass(frozen=True)
class CreateInvoice(_Create, name="CreateInvoice", kind="invoice"):
    """Always a draft with auto_advance=false and ownership metadata."""


@dataclass(frozen=True)
class CreateRevision(_Create, name="CreateRevision", kind="invoice", verb="revise"):
    """A Stripe revision of a finalized (open or uncollectible) invoice: a new draft
    copying it (`from_invoice`), which later steps bring to the spec and finalize;
    Stripe voids the original then. Created with the tool's tag and no send marker
    (the copy of the original's would say it was already emailed)."""

    revises: str = ""  # the original's Stripe id
    number: str = ""  # the original's number, for the reviewer

    @property
    def existing_id(self) -> str:
        return self.revises


@dataclass(frozen=True)
class UpdateInvoice(_Update, name="UpdateInvoice", kind="invoice"):
    pass


@dataclass(frozen=True)
class DeleteInvoice(_Delete, name="DeleteInvoice", kind="invoice"):
    """Delete a draft (prune only)."""


# invoice items (key = invoice key, item_key = identity within it)
@dataclass(frozen=True)
class _ItemAction(Action, kind="item"):
    identity: ClassVar[tuple[str, ...]] = ("key", "item_key")
    item_key: str = ""

    @property
    def item(self) -> str:
        return self.item_key


@dataclass(frozen=True)
class AddInvoiceItem(_ItemAction, name="AddInvoiceItem", verb="add item", section="create"):
    params: dict[str, Any] = field(default_factory=dict)

    def given_params(self) -> dict[str, Any]:
        return self.params


@dataclass(frozen=True)
class UpdateInvoiceItem(_ItemAction, name="UpdateInvoiceItem", verb="update item", section="update"):
    stripe_id: str = ""
    changes: tuple[FieldChange, ...] = ()

    @property
    def existing_id(self) -> str:
        return self.stripe_id

    def field_changes(self) -> tuple[FieldChange, ...]:
        return self.changes

    def stripe_params(self) -> dict[str, Any]:
        """The update request's parameters (values may be Ref)."""
        return changes_to_params(self.changes)


@dataclass(frozen=True)
class RemoveInvoiceItem(_ItemAction, name="RemoveInvoiceItem", verb="remove item", section="update"):
    stripe_id: str = ""
    # True for an item the tool did not add, removed by --prune: then it
    # belongs to the plan's "destroy" section, see section_of().
    prune: bool = False

    @property
    def existing_id(self) -> str:
        return self.stripe_id


# a customer's tax IDs (key = customer key, tax_id = type and a digest of the value, planner.tax_ids):
# Stripe never updates one, so a changed value is a removal and an addition.
@dataclass(frozen=True)
class AddTaxId(Action, name="AddTaxId", kind="customer", verb="add tax ID", section="create"):
    identity: ClassVar[tuple[str, ...]] = ("key", "tax_id")
    tax_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # {"type", "value"}

    def given_params(self) -> dict[str, Any]:
        return self.params


@dataclass(frozen=True)
class RemoveTaxId(Action, name="RemoveTaxId", kind="customer", verb="remove tax ID", section="update"):
    identity: ClassVar[tuple[str, ...]] = ("key", "tax_id")
    tax_id: str = ""
    stripe_id: str = ""  # the tax ID's own id (txi_…)


# invoice lifecycle (stripe_id "" when the invoice is created in this plan)
@dataclass(frozen=True)
class FinalizeInvoice(_Lifecycle, name="FinalizeInvoice", verb="finalize"):
    pass


@dataclass(frozen=True)
class SendInvoice(_Lifecycle, name="SendInvoice", verb="send"):
    """Emails the customer: guarded so it happens at most once per invoice."""

    # The spec's `assume_unsent: true`: send although the invoice was finalized
    # before the events window, where no proof it was never sent exists. A
    # send marker or an `invoice.sent` event still stops the send.
    assume_unsent: bool = False


@dataclass(frozen=True)
class RecordSend(_Lifecycle, name="RecordSend", verb="record send"):
    """Completes the send marker of a send a stopped run made (Stripe holds its
    `invoice.sent` event): writes `done`, emails nobody. Without it the
    `requested` marker would outlive the event, and the proof with it."""


@dataclass(frozen=True)
class PayInvoice(_Lifecycle, name="PayInvoice", verb="pay"):
    """Mark paid out of band (paid_out_of_band=true)."""


@dataclass(frozen=True)
class ChargeInvoice(_Lifecycle, name="ChargeInvoice", verb="charge"):
    """Charge the customer's saved payment method through `pay`: one attempt per apply."""

    payment_method: str = ""  # the pm_… Stripe resolves (invoice's default, else the customer's)
    card: str = ""  # "visa •••• 4242": what the reviewer sees
    # The charge of the last failed attempt ("" before any): part of the idempotency key, so a
    # reviewed new attempt gets a new key while a re-run of the same attempt replays it.
    after_charge: str = ""


@dataclass(frozen=True)
class VoidInvoice(_Lifecycle, name="VoidInvoice", verb="void"):
    # True when voided by --prune (the invoice is no longer in the specs):
    # then it belongs to the plan's "destroy" section, see section_of().
    prune: bool = False


@dataclass(frozen=True)
class MarkUncollectible(_Lifecycle, name="MarkUncollectible", verb="mark uncollectible"):
    pass


# credit notes (always on an invoice already finalized in Stripe: its id and line ids are known)
@dataclass(frozen=True)
class CreateCreditNote(_Create, name="CreateCreditNote", kind="credit_note"):
    """Issue a credit note: Stripe emails it to the customer unless email_type is none,
    and refunds `refund_amount` to the invoice's payment."""


@dataclass(frozen=True)
class UpdateCreditNote(_Update, name="UpdateCreditNote", kind="credit_note"):
    """memo and metadata: all an issued credit note lets change."""


@dataclass(frozen=True)
class VoidCreditNote(_OnExisting, name="VoidCreditNote", kind="credit_note", verb="void", section="lifecycle"):
    """Void an issued credit note (Stripe undoes its effect on the invoice and the balance)."""


@dataclass(frozen=True)
class AdoptCreditNote(_Adopt, name="AdoptCreditNote", kind="credit_note"):
    pass


_DECLARED: tuple[type[Action], ...] = (
    CreateProduct, UpdateProduct, ArchiveProduct,
    CreatePrice, UpdatePrice, ArchivePrice,
    CreateCustomer, UpdateCustomer, DeleteCustomer,
    CreateInvoice, UpdateInvoice, DeleteInvoice, CreateRevision,
    AddInvoiceItem, UpdateInvoiceItem, RemoveInvoiceItem, AddTaxId, RemoveTaxId,
    FinalizeInvoice, SendInvoice, RecordSend, PayInvoice, ChargeInvoice, VoidInvoice, MarkUncollectible,
    AdoptProduct, AdoptPrice, AdoptCustomer, AdoptInvoice,
    CreateCreditNote, UpdateCreditNote, VoidCreditNote, AdoptCreditNote,
)  # fmt: skip
_DESTROY_BASE: dict[str, type[Action]] = {"archive": _Archive, "delete": _Delete}


def _generic_actions() -> tuple[type[Action], ...]:
    """Create, Update, Adopt and (if --prune may remove it) Archive or Delete of every simple kind
    that declares none above: `CreateTaxRate` (name "CreateTaxRate", kind "tax_rate"), and so on."""
    made: list[type[Action]] = []
    declared = {(cls.kind, cls.verb) for cls in _DECLARED}
    for info in SIMPLE_KINDS:
        camel = "".join(part.title() for part in info.name.split("_"))
        bases: list[tuple[str, type[Action]]] = [("Create", _Create), ("Update", _Update), ("Adopt", _Adopt)]
        if info.destroy:
            bases.append((info.destroy.title(), _DESTROY_BASE[info.destroy]))
        for word, base in bases:
            if (info.name, base.verb) not in declared:
                name = f"{word}{camel}"
                cls = type(name, (base,), {"__module__": __name__, "__qualname__": name}, name=name, kind=info.name)
                made.append(dataclass(frozen=True)(cls))
    return tuple(made)


ALL_ACTIONS: tuple[type[Action], ...] = _DECLARED + _generic_actions()
# Kind -> its action of each verb: how generic code (the simple kinds' phase, prune, adopt) names one.
CREATE_OF: dict[str, type[_Create]] = {cls.kind: cls for cls in ALL_ACTIONS if issubclass(cls, _Create)}
UPDATE_OF: dict[str, type[_Update]] = {cls.kind: cls for cls in ALL_ACTIONS if issubclass(cls, _Update)}
ADOPT_OF: dict[str, type[_Adopt]] = {cls.kind: cls for cls in ALL_ACTIONS if issubclass(cls, _Adopt)}
# (kind, "archive" | "delete") -> the action --prune (or a replacement) destroys an object with.
DESTROY_OF: dict[tuple[str, str], type[_OnExisting]] = {
    (cls.kind, cls.verb): cls for cls in ALL_ACTIONS if issubclass(cls, (_Archive, _Delete))
}


def section_of(action: Action) -> Section:
    """The plan section an action counts in (a pruned void or item removal is a destroy)."""
    if isinstance(action, (VoidInvoice, RemoveInvoiceItem)) and action.prune:
        return "destroy"
    return action.section
