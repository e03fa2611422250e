"""What the journal stores and answers, as typed records. Names here are persisted:
the state strings and the table and column names in schema.py are stable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

HookState = Literal["pending", "running", "done", "failed", "dead"]
HOOK_STATES: tuple[HookState, ...] = ("pending", "running", "done", "failed", "dead")
# Where an event entered the journal.
SOURCE_WEBHOOK = "webhook"
SOURCE_CATCH_UP = "catch-up"


@dataclass(frozen=True)
class Claim:
    """One (event, hook) run this worker holds until it reports the outcome."""

    event_id: str
    event_type: str
    hook: str
    attempt: int  # 1 for the first run; a run interrupted by a crash counts
    worker: str
    object_id: str | None
    invoice_id: str | None
    payload: str


@dataclass(frozen=True)
class HookRun:
    name: str
    state: HookState
    attempts: int
    next_attempt_at: float | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class JournaledEvent:
    id: str
    type: str
    created: int
    received_at: float
    source: str
    invoice_id: str | None
    hooks: tuple[HookRun, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RecordedInvoice:
    """The newest state of an invoice the receiver has read from Stripe."""

    id: str
    key: str | None
    status: str
    amount_paid: int
    amount_remaining: int
    observed_at: float
    event_id: str | None


@dataclass(frozen=True)
class LastEvent:
    id: str
    type: str
    created: int
