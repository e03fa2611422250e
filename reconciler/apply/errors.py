"""Errors raised while applying a plan; each builds its own one-line message."""

from __future__ import annotations

from reconciler.errors import ReconcilerError
from reconciler.gateway.errors import RetriesExhausted  # raised by the shared retry loop
from reconciler.ownership import CLEAR_REQUESTED, INTERRUPTED_SEND

__all__ = [
    "ApplyError",
    "ReplayedDeletedObjects",
    "KeyAlreadySent",
    "SendNotProvable",
    "RetriesExhausted",
    "UnresolvedRef",
    "UnsupportedAction",
]


class ApplyError(ReconcilerError):
    """Root of the applier's errors."""


class UnresolvedRef(ApplyError):
    """A parameter names an object that neither live state nor this run provides."""

    def __init__(self, ref: object) -> None:
        self.ref = ref
        super().__init__(f"cannot resolve {ref}: it is not in live state and was not created in this run")


class UnsupportedAction(ApplyError):
    def __init__(self, action_type: str) -> None:
        super().__init__(f"the applier has no executor for {action_type}")


class ReplayedDeletedObjects(ApplyError):
    """A create's idempotency key kept replaying objects deleted since."""

    def __init__(self, what: str, rekeys: int) -> None:
        super().__init__(
            f"{what}: Stripe replayed a deleted or archived object for each of {rekeys} derived "
            "idempotency keys; giving up (re-run after 24 h, when the keys expire)"
        )




class KeyAlreadySent(ApplyError):
    """Stripe's events show another invoice of the same spec key was emailed."""

    def __init__(self, what: str, invoice_id: str, key: str, sent: list[str]) -> None:
        super().__init__(
            f"{what}: not sent: {invoice_id}: Stripe's invoice.sent events show {', '.join(sent)}, which carried "
            f"reconciler_id {key}, was already emailed; run plan again (it names that invoice and the way out)"
        )


class SendNotProvable(ApplyError):
    """An invoice the tool would send but cannot prove was never sent."""

    def __init__(self, what: str, invoice_id: str, *, interrupted: bool = False) -> None:
        if interrupted:
            super().__init__(
                f"{what}: not sent: {invoice_id}: {INTERRUPTED_SEND}; `assume_unsent` does not override that. "
                f"{CLEAR_REQUESTED}"
            )
            return
        super().__init__(
            f"{what}: not sent: {invoice_id} was finalized before the 29 days of Stripe's events the tool "
            "trusts and has no send marker, so it cannot prove the invoice was never emailed; if it never was, "
            "add `assume_unsent: true` to its spec"
        )
