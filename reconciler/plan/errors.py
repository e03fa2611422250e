"""Errors of planning and of reading a saved plan file."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import ReconcilerError

FROZEN_WAY_OUT = (
    "add `revise: true` to its spec to replace it with a Stripe revision (Stripe voids this one), "
    "or void it (status: void) and issue a new invoice under a new key"
)
# A paid or void invoice cannot be revised (https://docs.stripe.com/invoicing/invoice-edits).
FINAL_WAY_OUT = (
    "a {status} invoice is final and Stripe revises only open or uncollectible ones: put those fields back "
    "in its spec; correct what was billed with a credit note, or issue a new invoice under a new key"
)


class PlanError(ReconcilerError):
    """The specs ask for something the planner must refuse; one line per problem."""

    kind = "plan"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))

    def lines(self) -> list[str]:
        return list(self.problems)


class FrozenInvoiceChanges(PlanError):
    """A change to a finalized invoice that Stripe (and the law) forbids.

    Raised with every refused problem of the run, frozen or not, so the user
    sees them all at once; the class says at least one is a frozen change.
    """


class InvalidInvoiceTransition(PlanError):
    """A desired status the live invoice cannot move to (e.g. paid -> draft)."""


class UnmanagedObjectsInTheWay(PlanError):
    """Something reconciler does not manage blocks the plan (an item it did not
    add on a managed draft, a lookup_key held by an unmanaged price)."""


class MetadataLimit(PlanError):
    """The spec's metadata and the keys others set would pass Stripe's 50 keys on one object."""


class AdoptionRefused(PlanError):
    """A spec adopts an object that does not exist, or that another key already manages."""


class CreditNoteRefused(PlanError):
    """A credit note Stripe would refuse or that cannot change: a split that does not add up,
    a refund of an invoice paid outside Stripe, a change to an issued credit note."""


class DuplicateLiveObjects(PlanError):
    """Several live objects claim one spec key; the planner will not guess."""


class PlanFileError(ReconcilerError):
    """A saved plan file that cannot be used."""

    kind = "plan_file"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"invalid plan file: {detail}")


class TooMuchDestroy(ReconcilerError):
    """A plan destroys more than the limits allow and --allow-destroy does not cover it
    (raised by Plan.raise_if_unsafe, in the manner of octoDNS's TooMuchChange)."""

    kind = "destroy_limit"

    def __init__(self, why: str, count: int, allowed: int) -> None:
        self.count, self.allowed = count, allowed
        given = f"--allow-destroy {allowed} does not cover them" if allowed else "nothing was changed"
        super().__init__(f"refusing to apply: {why}; {given}: pass --allow-destroy {count} if that is intended")
