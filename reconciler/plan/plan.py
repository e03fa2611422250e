"""The Plan: ordered actions, their summary, and what they were computed from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.ownership import API_VERSION
from reconciler.plan.actions import Action, section_of
from reconciler.plan.codec import action_from_json, action_to_json
from reconciler.plan.errors import PlanFileError

FORMAT_VERSION = 1
SECTIONS = ("create", "update", "lifecycle", "destroy")
_TOP_LEVEL = {
    "format_version", "api_version", "fingerprint", "spec_digest", "prune", "summary", "actions", "invoice_totals",
    "notes",
}  # fmt: skip
_OPTIONAL = {"invoice_totals", "notes"}


@dataclass(frozen=True)
class InvoiceTotal:
    """Display-only: the total an invoice will have once its items are in place."""

    invoice: str
    amount: int
    currency: str


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    fingerprint: str  # live_fingerprint() of the Live the plan was computed from
    spec_digest: str  # desired_digest() of the specs
    invoice_totals: tuple[InvoiceTotal, ...] = ()  # for invoices created or whose items change
    # Whether the plan was made with --prune: re-planning a saved plan (apply
    # --plan) must use the same setting to compare like with like.
    prune: bool = False
    # What a reviewer should know that is no action: a send the tool will not
    # make because it cannot prove the invoice was never sent, a step that
    # waits for a processing payment, a destroy kept because others use the object.
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problem = dependency_problem(self.actions)
        if problem:
            raise ValueError(problem)  # a planner bug, never a user error

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(SECTIONS, 0)
        for action in self.actions:
            counts[section_of(action)] += 1
        return counts

    @property
    def is_empty(self) -> bool:
        return not self.actions

    def total_of(self, invoice_key: str) -> InvoiceTotal | None:
        return next((t for t in self.invoice_totals if t.invoice == invoice_key), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "api_version": API_VERSION,
            "fingerprint": self.fingerprint,
            "spec_digest": self.spec_digest,
            "prune": self.prune,
            "summary": self.summary,
            "invoice_totals": [
                {"invoice": t.invoice, "amount": t.amount, "currency": t.currency} for t in self.invoice_totals
            ],
            "actions": [action_to_json(a) for a in self.actions],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: object) -> Plan:
        """Rebuild a plan from `to_json()` output; PlanFileError for anything malformed."""
        if not isinstance(data, dict):
            raise PlanFileError("expected a JSON object at the top level")
        unknown = sorted(set(data) - _TOP_LEVEL)
        if unknown:
            raise PlanFileError(f"unknown top-level field {unknown[0]!r}")
        missing = sorted(_TOP_LEVEL - _OPTIONAL - set(data))
        if missing:
            raise PlanFileError(f"missing top-level field {missing[0]!r}")
        version = data["format_version"]
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise PlanFileError(f"format_version {version!r} is not supported (this tool reads {FORMAT_VERSION})")
        if data["api_version"] != API_VERSION:
            raise PlanFileError(f"api_version {data['api_version']!r} differs from this tool's {API_VERSION!r}")
        for name in ("fingerprint", "spec_digest"):
            if not isinstance(data[name], str):
                raise PlanFileError(f"{name}: expected a string")
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
            data["fingerprint"],
            data["spec_digest"],
            _totals(data.get("invoice_totals", [])),
            data["prune"],
            _notes(data.get("notes", [])),
        )
        if data["summary"] != plan.summary:
            raise PlanFileError(f"summary {data['summary']!r} does not match the actions ({plan.summary!r})")
        return plan


def _totals(data: Any) -> tuple[InvoiceTotal, ...]:
    if not isinstance(data, list):
        raise PlanFileError("invoice_totals: expected a list")
    totals = []
    for i, item in enumerate(data):
        ok = (
            isinstance(item, dict)
            and set(item) == {"invoice", "amount", "currency"}
            and isinstance(item["invoice"], str)
            and isinstance(item["amount"], int)
            and not isinstance(item["amount"], bool)
            and isinstance(item["currency"], str)
        )
        if not ok:
            raise PlanFileError(f"invoice_totals[{i}]: expected {{invoice, amount, currency}}")
        totals.append(InvoiceTotal(item["invoice"], item["amount"], item["currency"]))
    return tuple(totals)


def _notes(data: Any) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(note, str) for note in data):
        raise PlanFileError("notes: expected a list of strings")
    return tuple(data)


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
