"""The planning context: inputs, the growing action list, and collected problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from reconciler.live.records import Live
from reconciler.plan.actions import (
    Action,
    AddTaxId,
    AdoptCustomer,
    CreateCustomer,
    FieldChange,
    RemoveTaxId,
    UpdateCustomer,
)
from reconciler.plan.plan import Conflict
from reconciler.plan.planner.diff import metadata_overflow, owned_metadata_changes
from reconciler.spec.models import Desired

ProblemKind = Literal["frozen", "transition", "unmanaged", "duplicate", "metadata", "adopt", "credit_note"]


@dataclass
class Context:
    """Passed explicitly to every planning step (no globals)."""

    desired: Desired
    live: Live
    prune: bool
    actions: list[Action] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    problems: list[tuple[ProblemKind, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    held: list[Conflict] = field(default_factory=list)

    @cached_property
    def customer_keys(self) -> dict[str, str]:
        """Managed customers' keys by Stripe id: built once, as every invoice looks its customer up."""
        return {customer.id: key for key, customer in self.live.customers.items()}

    def add(self, action: Action) -> str:
        self.actions.append(action)
        self.ids.add(action.id)
        return action.id

    def if_planned(self, *action_ids: str) -> tuple[str, ...]:
        """The given ids that are part of this plan (dependencies on no-ops vanish)."""
        return tuple(i for i in action_ids if i in self.ids)

    def customer_changes(self, customer_key: str) -> tuple[str, ...]:
        """The planned actions that change customer `customer_key`: Stripe copies a
        customer's details onto an invoice when it is finalized, so an invoice's
        lifecycle waits for them (and is skipped when one fails)."""
        tax_ids = tuple(a.id for a in self.actions if isinstance(a, (AddTaxId, RemoveTaxId)) and a.key == customer_key)
        return self.if_planned(
            CreateCustomer.id_for(customer_key), AdoptCustomer.id_for(customer_key), UpdateCustomer.id_for(customer_key)
        ) + tax_ids

    def problem(self, kind: ProblemKind, text: str) -> None:
        self.problems.append((kind, text))

    def hold(self, ref: str, stripe_id: str | None, text: str) -> None:
        """A conflict a person must decide: `ref` ("invoice:acme-2026-11") is held
        (see planner.hold); the rest of the plan goes on."""
        self.held.append(Conflict(ref, stripe_id or None, text))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def metadata_changes(
        self, label: str, live: Mapping[str, str], owned: frozenset[str] | None, desired: Mapping[str, str]
    ) -> list[FieldChange]:
        """The changes to the metadata the tool owns (see diff.owned_metadata_changes);
        a problem when the object would exceed Stripe's key limit."""
        overflow = metadata_overflow(live, owned, desired)
        if overflow:
            self.problem("metadata", f"{label}: {overflow}")
        return owned_metadata_changes(live, owned, desired)
