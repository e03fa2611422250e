"""The planner: desired + live -> an ordered Plan (pure: no I/O, no stripe).

Actions are emitted in phases that already respect every dependency:
adoptions (existing objects the specs adopt, see planner.adopt), then each
kind in registration order (the simple kinds, products and customers, through
planner.simple; prices through their own phase), invoices (each: create/update, items, lifecycle), credit notes, the
archives of replaced prices, then --prune destroys. Inside a phase,
objects come in spec-key order, so the same inputs give the same plan.
"""

from __future__ import annotations

from reconciler.kinds import KINDS
from reconciler.live.records import Live
from reconciler.plan.errors import (
    AdoptionRefused,
    CreditNoteRefused,
    DuplicateLiveObjects,
    FrozenInvoiceChanges,
    InvalidInvoiceTransition,
    MetadataLimit,
    PlanError,
    UnmanagedObjectsInTheWay,
)
from reconciler.plan.fingerprint import live_fingerprint
from reconciler.plan.plan import Plan
from reconciler.plan.planner.adopt import plan_adoptions, wait_for_adoptions
from reconciler.plan.planner.catalog import PriceChoice, plan_prices
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.credit_notes import plan_credit_notes
from reconciler.plan.planner.hold import hold_back
from reconciler.plan.planner.identity import hold_untagged
from reconciler.plan.planner.invoice_prefix import hold_frozen_prefixes
from reconciler.plan.planner.invoices import plan_invoices
from reconciler.plan.planner.prune import plan_prune
from reconciler.plan.planner.simple import plan_simple
from reconciler.plan.planner.tax_ids import plan_tax_ids
from reconciler.spec.models import Desired

__all__ = ["make_plan"]


def make_plan(desired: Desired, live: Live, *, prune: bool = False) -> Plan:
    """The actions that bring `live` to `desired`; PlanError if some cannot be planned."""
    ctx = Context(desired=desired, live=live, prune=prune)
    for kind_key in sorted(live.duplicates):
        ids = sorted(live.duplicates[kind_key])
        kind, _, key = kind_key.partition("/")
        ctx.problem(
            "duplicate",
            f"{len(ids)} live {kind} claim the key {key} ({', '.join(ids)}): "
            "remove metadata.reconciler_id from all but one",
        )
    adoptions = plan_adoptions(ctx)
    hold_untagged(ctx)
    # The kinds in registration (dependency) order; prices and invoices by their own phases.
    prices = PriceChoice()
    for info in KINDS.values():
        if info.simple:
            plan_simple(ctx, info)
            if info.name == "customer":
                plan_tax_ids(ctx)  # Stripe keeps them as objects of their own under the customer
                hold_frozen_prefixes(ctx)
        elif info.name == "price":
            prices = plan_prices(ctx)
    totals = plan_invoices(ctx, prices)
    plan_credit_notes(ctx)
    for action in prices.archives:
        ctx.add(action)
    if prune:
        plan_prune(ctx)
    if ctx.problems:
        raise _error(ctx)
    actions, conflicts = hold_back(wait_for_adoptions(ctx.actions, adoptions), ctx.held)
    return Plan(
        actions=tuple(actions),
        conflicts=conflicts,
        fingerprint=live_fingerprint(live),
        invoice_totals=totals,
        prune=prune,
        notes=tuple(ctx.notes),
    )


def _error(ctx: Context) -> PlanError:
    kinds = {kind for kind, _ in ctx.problems}
    # What would be held is said too: every line a person must act on, at once.
    lines = [text for _, text in ctx.problems] + [conflict.message for conflict in ctx.held]
    if "frozen" in kinds:
        return FrozenInvoiceChanges(lines)
    if "transition" in kinds:
        return InvalidInvoiceTransition(lines)
    if "unmanaged" in kinds:
        return UnmanagedObjectsInTheWay(lines)
    if "metadata" in kinds:
        return MetadataLimit(lines)
    if "adopt" in kinds:
        return AdoptionRefused(lines)
    if "credit_note" in kinds:
        return CreditNoteRefused(lines)
    return DuplicateLiveObjects(lines)
