"""Errors raised while applying a plan; each builds its own one-line message."""

from __future__ import annotations

from reconciler.errors import ReconcilerError


class ApplyError(ReconcilerError):
    """Root of the applier's errors."""


class UnresolvedRef(ApplyError):
    """A parameter names an object that neither live state nor this run provides."""

    def __init__(self, ref: object) -> None:
        self.ref = ref
        super().__init__(f"cannot resolve {ref}: it is not in live state and was not created in this run")


class RetriesExhausted(ApplyError):
    """A retryable error kept happening until the attempt budget ran out."""

    def __init__(self, last: BaseException, attempts: int) -> None:
        self.last = last
        self.attempts = attempts
        super().__init__(f"{last} (gave up after {attempts} attempts)")


class UnsupportedAction(ApplyError):
    def __init__(self, action_type: str) -> None:
        super().__init__(f"the applier has no executor for {action_type}")
