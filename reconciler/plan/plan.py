"""The Plan: ordered actions, their summary, what they were computed from, and its safety check."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reconciler.live.account import Account
from reconciler.plan.actions import Action, section_of
from reconciler.plan.amounts import Amounts
from reconciler.plan.amounts import from_json as amounts_from_json
from reconciler.plan.amounts import to_json as amounts_to_json
from reconciler.plan.codec import action_from_json, action_to_json
from reconciler.plan.errors import PlanFileError, TooMuchDestroy
from reconciler.plan.watch import Watched, fingerprint_of
from reconciler.stripe_facts import API_VERSION

FORMAT_VERSION = 2
SECTIONS = ("adopt", "create", "update", "lifecycle", "destroy")
_TOP_LEVEL = {
    "format_version", "api_version", "account", "prune", "targets", "summary", "warnings", "managed",
    "invoice_totals", "objects", "actions", "notes", "conflicts", "made_from",
}  # fmt: skip
# Top-level fields older plan files lack (absent: none).
_OPTIONAL = {"conflicts", "made_from"}
_DIGEST = re.compile(r"[0-9a-f]{64}")
# Destroy limits (DESIGN.md, CLI contract): more than DESTROY_LIMIT objects in one
# plan, or more than DESTROY_SHARE of the managed objects of a kind once the kind
# has at least SHARE_FLOOR of them (below that one object is already a large
# share: octoDNS's MIN_EXISTING_RECORDS plays the same part).
DESTROY_LIMIT = 10
DESTROY_SHARE = 0.20
SHARE_FLOOR = 10
_DESTROY_VERBS = frozenset({"void", "delete", "archive"})


@dataclass(frozen=True)
class InvoiceTotal:
    """Display-only: the total an invoice will have once its items are in place."""

    invoice: str
    amount: int
    currency: str
    # Its figures spelt out (discounts, taxes, balance, amount due) where they say more than the
    # total; None for an invoice whose items simply add up to what is due.
    amounts: Amounts | None = None


@dataclass(frozen=True)
class Conflict:
    """An object the plan holds: a person must decide (the lifecycle table's error
    cells, evidence that an untagged object already exists). Nothing is planned for
    it, nor for what depends on it; the rest of the plan goes on."""

    object: str  # "invoice:acme-2026-11"
    stripe_id: str | None  # the live object, when there is one
    message: str  # what happened and what to write in the spec

    def to_json(self) -> dict[str, Any]:
        return {"object": self.object, "id": self.stripe_id, "message": self.message}


@dataclass(frozen=True)
class CustomerNotice:
    """Display-only: something a customer will notice (an email, a voided or settled invoice)."""

    invoice: str
    effect: str  # "emailed" | "voided" | "marked paid" | "charged" | "marked uncollectible" | "credited"
    customer: str  # spec key
    recipient: str | None  # "Name <email>" as Stripe will have it
    amount: int | None
    currency: str | None
    due: str | None  # "2026-12-01", "30 days after it is finalized", or None
    card: str | None = None  # effect "charged": the card, "visa •••• 4242"
    # effect "credited": what a credit note changes for the customer, as Stripe's preview says
    detail: str | None = None


@dataclass(frozen=True)
class MadeFrom:
    specs: str  # sha256 of the specs the plan was made from (their content, not their paths)
    live: str  # live_fingerprint() of the live state it read


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    # live_fingerprint() of the whole Live the plan was computed from; in memory
    # only (it salts the idempotency keys of field updates, see apply.idempotency).
    fingerprint: str = field(default="", compare=False)
    invoice_totals: tuple[InvoiceTotal, ...] = ()  # for invoices created or whose items change
    # Whether the plan was made with --prune: re-planning a saved plan (apply
    # --plan) must use the same setting to compare like with like.
    prune: bool = False
    # What a reviewer should know that is no action: a send the tool will not
    # make because it cannot prove the invoice was never sent, a step that
    # waits for a processing payment, a destroy kept because others use the object.
    notes: tuple[str, ...] = ()
    account: Account | None = None  # the account the plan was made against
    targets: tuple[str, ...] = ()  # "kind/key" given with --target; () is everything
    watched: tuple[Watched, ...] = ()  # the live objects the actions act on and depend on
    managed: dict[str, int] = field(default_factory=dict)  # managed objects per kind when planned
    notices: tuple[CustomerNotice, ...] = field(default=(), compare=False)  # display only; not in the file
    # price key -> (unit_amount, currency) of the spec's prices, so item lines show what one costs
    # (`2 × $12.00 gold-special-usd`); display only, not in the file (a plan read back shows the key alone).
    unit_prices: dict[str, tuple[int, str]] = field(default_factory=dict, compare=False)
    # Objects held for a person to decide, first in every format; `plan` exits 3 when there are any.
    conflicts: tuple[Conflict, ...] = ()
    # What the plan was computed from: sha256 of the specs and of the live state it read.
    # Only for saying why a saved plan is refused (specs changed, Stripe changed, or neither:
    # the file was edited); never a reason to refuse (other specs may change meanwhile).
    made_from: MadeFrom | None = None

    def __post_init__(self) -> None:
        problem = dependency_problem(self.actions)
        if problem:
            raise ValueError(problem)  # a planner bug, never a user error

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(SECTIONS, 0)
        for action in self.actions:
            counts[section_of(action)] += 1
        if not counts["adopt"]:
            del counts["adopt"]  # only plans that adopt show it: older readers of the summary keep working
        return counts

    @property
    def is_empty(self) -> bool:
        return not self.actions

    def total_of(self, invoice_key: str) -> InvoiceTotal | None:
        return next((t for t in self.invoice_totals if t.invoice == invoice_key), None)

    # -- safety ---------------------------------------------------------------

    def destroys(self) -> tuple[Action, ...]:
        """Actions that void, delete or archive an object (an item removed by --prune included)."""
        return tuple(a for a in self.actions if a.verb in _DESTROY_VERBS or section_of(a) == "destroy")

    def unsafe_reason(self) -> str | None:
        """Why the destroy limits call this plan unsafe, or None."""
        destroys = self.destroys()
        if len(destroys) > DESTROY_LIMIT:
            return f"this plan destroys {len(destroys)} objects, more than {DESTROY_LIMIT} at once"
        for kind, count in sorted(Counter(a.kind for a in destroys).items()):
            managed = self.managed.get(kind, 0)
            if managed >= SHARE_FLOOR and count > DESTROY_SHARE * managed:
                return (
                    f"this plan destroys {count} of {managed} managed {kind}s "
                    f"({count * 100 // managed}%, more than {DESTROY_SHARE:.0%} of a kind)"
                )
        return None

    def warnings(self) -> list[str]:
        """What every format shows before the actions."""
        why = self.unsafe_reason()
        if why is None:
            return []
        return [f"{why}: apply refuses it unless given --allow-destroy {len(self.destroys())}"]

    def raise_if_unsafe(self, *, allow_destroy: int = 0) -> None:
        """TooMuchDestroy unless the destroy limits hold or `allow_destroy` covers every destroy."""
        why = self.unsafe_reason()
        count = len(self.destroys())
        if why is not None and allow_destroy < count:
            raise TooMuchDestroy(why, count, allow_destroy)

    # -- the plan file --------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "api_version": API_VERSION,
            "account": {"id": self.account.id, "livemode": self.account.livemode} if self.account else None,
            "prune": self.prune,
            "targets": list(self.targets),
            "summary": self.summary,
            "warnings": self.warnings(),
            "managed": dict(sorted(self.managed.items())),
            "invoice_totals": [
                {"invoice": t.invoice, "amount": t.amount, "currency": t.currency,
                 **({"amounts": amounts_to_json(t.amounts)} if t.amounts is not None else {})}
                for t in self.invoice_totals
            ],
            "objects": {
                w.ref: {"id": w.stripe_id, "fingerprint": w.fingerprint, "fields": w.fields, "actions": list(w.actions)}
                for w in self.watched
            },
            "actions": [action_to_json(a) for a in self.actions],
            "notes": list(self.notes),
            "conflicts": [c.to_json() for c in self.conflicts],
            **({"made_from": {"specs": self.made_from.specs, "live": self.made_from.live}} if self.made_from else {}),
        }

    @classmethod
    def from_json(cls, data: object) -> Plan:
        """Rebuild a plan from `to_json()` output; PlanFileError for anything malformed."""
        if not isinstance(data, dict):
            raise PlanFileError("expected a JSON object at the top level")
        version = data.get("format_version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise PlanFileError(f"format_version {version!r} is not supported (this tool reads {FORMAT_VERSION})")
        unknown = sorted(set(data) - _TOP_LEVEL)
        if unknown:
            raise PlanFileError(f"unknown top-level field {unknown[0]!r}")
        missing = sorted(_TOP_LEVEL - set(data) - _OPTIONAL)
        if missing:
            raise PlanFileError(f"missing top-level field {missing[0]!r}")
        if data["api_version"] != API_VERSION:
            raise PlanFileError(f"api_version {data['api_version']!r} differs from this tool's {API_VERSION!r}")
        if not isinstance(data["prune"], bool):
            raise PlanFileError("prune: expected true or false")
        if not isinstance(data["actions"], list):
            raise PlanFileError("actions: expected a list")
        actions = tuple(action_from_json(item, i) for i, item in enumerate(data["actions"]))
        problem = dependency_problem(actions)
        if problem:
            raise PlanFileError(problem)
        plan = cls(
            actions,
            invoice_totals=_totals(data["invoice_totals"]),
            prune=data["prune"],
            account=_account(data["account"]),
            targets=_strings(data["targets"], "targets"),
            watched=_watched(data["objects"]),
            managed=_managed(data["managed"]),
            notes=_notes(data["notes"]),
            conflicts=_conflicts(data.get("conflicts", [])),
            made_from=_made_from(data.get("made_from")),
        )
        for name, derived in (("summary", plan.summary), ("warnings", plan.warnings())):
            if data[name] != derived:
                raise PlanFileError(f"{name} {data[name]!r} does not match the actions ({derived!r})")
        return plan


def _made_from(data: Any) -> MadeFrom | None:
    if data is None:
        return None
    ok = isinstance(data, dict) and set(data) == {"specs", "live"}
    if not ok or not all(isinstance(v, str) and _DIGEST.fullmatch(v) for v in data.values()):
        raise PlanFileError("made_from: expected {specs, live}, each a sha256 in hex")
    return MadeFrom(data["specs"], data["live"])


def _account(data: Any) -> Account | None:
    if data is None:
        return None  # a plan made without an account (library use); apply --plan refuses it
    ok = isinstance(data, dict) and set(data) == {"id", "livemode"}
    if not ok or not isinstance(data["id"], str) or not isinstance(data["livemode"], bool):
        raise PlanFileError("account: expected {id, livemode}")
    return Account(data["id"], data["livemode"])


def _strings(data: Any, where: str) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
        raise PlanFileError(f"{where}: expected a list of strings")
    return tuple(data)


def _managed(data: Any) -> dict[str, int]:
    if not isinstance(data, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in data.values()):
        raise PlanFileError("managed: expected an object of counts")
    return {str(k): v for k, v in data.items()}


def _watched(data: Any) -> tuple[Watched, ...]:
    if not isinstance(data, dict):
        raise PlanFileError("objects: expected an object")
    out = []
    for ref, entry in data.items():
        where = f"objects[{ref!r}]"
        if not isinstance(entry, dict) or set(entry) != {"id", "fingerprint", "fields", "actions"}:
            raise PlanFileError(f"{where}: expected {{id, fingerprint, fields, actions}}")
        if not (entry["id"] is None or isinstance(entry["id"], str)) or not isinstance(entry["fields"], dict):
            raise PlanFileError(f"{where}: expected an id (or null) and an object of fields")
        watched = Watched(ref, entry["id"], entry["fields"], _strings(entry["actions"], f"{where}.actions"))
        expected = fingerprint_of(watched.fields) if watched.stripe_id is not None else None
        if entry["fingerprint"] != expected or (watched.stripe_id is None and watched.fields):
            raise PlanFileError(f"{where}: fingerprint does not match its fields (edited plan file)")
        out.append(watched)
    return tuple(out)


def _totals(data: Any) -> tuple[InvoiceTotal, ...]:
    if not isinstance(data, list):
        raise PlanFileError("invoice_totals: expected a list")
    totals = []
    for i, item in enumerate(data):
        ok = (
            isinstance(item, dict)
            and set(item) - {"amounts"} == {"invoice", "amount", "currency"}
            and isinstance(item["invoice"], str)
            and isinstance(item["amount"], int)
            and not isinstance(item["amount"], bool)
            and isinstance(item["currency"], str)
        )
        if not ok:
            raise PlanFileError(f"invoice_totals[{i}]: expected {{invoice, amount, currency}}")
        try:
            amounts = amounts_from_json(item["amounts"]) if "amounts" in item else None
        except ValueError as exc:
            raise PlanFileError(f"invoice_totals[{i}].amounts: {exc}") from None
        totals.append(InvoiceTotal(item["invoice"], item["amount"], item["currency"], amounts))
    return tuple(totals)


def _notes(data: Any) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(note, str) for note in data):
        raise PlanFileError("notes: expected a list of strings")
    return tuple(data)


def _conflicts(data: Any) -> tuple[Conflict, ...]:
    ok = isinstance(data, list) and all(
        isinstance(c, dict) and set(c) == {"object", "id", "message"} and isinstance(c["object"], str)
        and (c["id"] is None or isinstance(c["id"], str)) and isinstance(c["message"], str)
        for c in data
    )
    if not ok:
        raise PlanFileError("conflicts: expected a list of {object, id, message}")
    return tuple(Conflict(c["object"], c["id"], c["message"]) for c in data)


def dependency_problem(actions: tuple[Action, ...]) -> str | None:
    """Why the actions are not in executable order (unique ids, deps earlier), or None."""
    seen: set[str] = set()
    for action in actions:
        if action.id in seen:
            return f"action {action.id!r} appears twice"
        for dep in action.depends_on:
            if dep not in seen:
                return f"action {action.id!r} depends on unknown or later action {dep!r}"
        seen.add(action.id)
    return None
