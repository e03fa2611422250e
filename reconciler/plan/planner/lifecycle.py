"""Invoice status transitions (docs/lifecycle.md) as lifecycle actions.

The table maps (where the invoice is, where the spec wants it) to one answer:
steps to take (none: nothing to do), a wait (nothing now, a note), or a
refusal where a person must decide. Where others moved an invoice forward
(a colleague sent or finalized it, a customer paid), the answer is never a
refusal: the spec's wish is met or overtaken.

"sent", "unproven" and "processing" are positions of an open invoice: sent
by anyone (the tool's marker, or Stripe's `invoice.sent` event), not provably
unsent (finalized before the events window Stripe still holds, no marker),
and with a customer's payment in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.live.records import LiveInvoice
from reconciler.live.sendproof import sent_state
from reconciler.ownership import CLEAR_REQUESTED, INTERRUPTED_SEND, SEND_REQUESTED
from reconciler.plan.actions import (
    FinalizeInvoice,
    MarkUncollectible,
    PayInvoice,
    SendInvoice,
    VoidInvoice,
    _OnExisting,
)
from reconciler.plan.planner.charge import NO_CARD, Charging, charge_action, waiting_note
from reconciler.plan.planner.context import Context

Step = type[_OnExisting]
_F, _S, _P, _V, _M = FinalizeInvoice, SendInvoice, PayInvoice, VoidInvoice, MarkUncollectible

POSITIONS = ("draft", "open", "sent", "unproven", "processing", "paid", "void", "uncollectible")
DESIRED = ("draft", "open", "sent", "paid", "void", "uncollectible")


@dataclass(frozen=True)
class Refused:
    """A person must decide; `why` says what to write in the spec."""

    why: str


@dataclass(frozen=True)
class Waits:
    """Nothing can be done now; the note says why and what happens next."""

    why: str


@dataclass(frozen=True)
class Unproven:
    """A send the tool cannot prove safe: only with `assume_unsent: true`."""


Answer = tuple[Step, ...] | Refused | Waits | Unproven

_VOIDED = Refused(
    "a void invoice is final: write `status: void` for it, and issue a new invoice under a new key "
    "if the customer still owes this"
)
_PAID_NOT_VOID = Refused(
    "a paid invoice cannot be voided (refund the payment in the Dashboard if it must be undone): write `status: paid`"
)
_PROCESSING = Waits(
    "a customer's payment of it is processing; Stripe accepts no other payment, void or write-off until it "
    "settles, and the next plan after that decides: if the payment fails, this step; if it succeeds, the "
    "invoice is paid (nothing left to do, except that a spec saying void must then say paid)"
)

TRANSITIONS: dict[str, dict[str, Answer]] = {
    "draft": {"draft": (), "open": (_F,), "sent": (_F, _S), "paid": (_F, _P), "void": (_F, _V),
              "uncollectible": (_F, _M)},
    # Finalized by someone else while the spec says draft: overtaken, nothing to do.
    "open": {"draft": (), "open": (), "sent": (_S,), "paid": (_P,), "void": (_V,), "uncollectible": (_M,)},
    "sent": {"draft": (), "open": (), "sent": (), "paid": (_P,), "void": (_V,), "uncollectible": (_M,)},
    "unproven": {"draft": (), "open": (), "sent": Unproven(), "paid": (_P,), "void": (_V,), "uncollectible": (_M,)},
    "processing": {"draft": (), "open": (), "sent": (), "paid": _PROCESSING, "void": _PROCESSING,
                   "uncollectible": _PROCESSING},
    # A customer's payment overtakes every wish but void (uncollectible -> paid is Stripe's own path).
    "paid": {"draft": (), "open": (), "sent": (), "paid": (), "void": _PAID_NOT_VOID, "uncollectible": ()},
    # Voiding overtakes only a write-off (uncollectible -> void is Stripe's own path).
    "void": {"draft": _VOIDED, "open": _VOIDED, "sent": _VOIDED, "paid": _VOIDED, "void": (), "uncollectible": ()},
    # Written off by someone else: the customer may still pay; nothing is sent or reopened.
    "uncollectible": {"draft": (), "open": (), "sent": (), "paid": (_P,), "void": (_V,), "uncollectible": ()},
}  # fmt: skip

_REASONS: dict[Step, str] = {
    FinalizeInvoice: "finalize the draft (spec status: {status})",
    SendInvoice: "email the invoice to the customer, once (spec status: {status})",
    PayInvoice: "mark paid out of band (spec status: {status})",
    VoidInvoice: "void it (spec status: {status})",
    MarkUncollectible: "mark uncollectible (spec status: {status})",
}

@dataclass(frozen=True)
class PaidAtFinalization:
    """Why Stripe will mark a draft paid the moment it is finalized: nothing is left to collect
    (a total of 0 or below, one below the minimum charge, or a credit balance that covers it)."""

    short: str  # "its total is 0": in a step's reason
    long: str  # the whole reason: in a refusal of void or uncollectible


ZERO_TOTAL = PaidAtFinalization("its total is 0", "its total is 0 and Stripe marks a zero-total invoice paid when it is finalized")


def paid_draft_table(why: PaidAtFinalization) -> dict[str, Answer]:
    """Finalizing alone reaches open, sent and paid; void and uncollectible cannot be reached
    at all (a paid invoice is final)."""
    return {
        "draft": (),
        "open": (_F,),
        "sent": (_F,),
        "paid": (_F,),
        "void": Refused(f"{why.long}, and a paid invoice cannot be voided: write `status: paid`"),
        "uncollectible": Refused(f"{why.long}, and a paid invoice cannot be marked uncollectible: write `status: paid`"),
    }


ZERO_TOTAL_DRAFT = paid_draft_table(ZERO_TOTAL)


def live_position(invoice: LiveInvoice, events_complete_since: int | None) -> str:
    """The row of TRANSITIONS for a finalized invoice."""
    if invoice.payment_processing and invoice.status in ("open", "uncollectible"):
        return "processing"
    if invoice.status != "open":
        return invoice.status
    state = sent_state(invoice, events_complete_since)
    return "open" if state == "unsent" else state


def answer_for(position: str, desired: str, *, paid_draft: PaidAtFinalization | None = None) -> Answer:
    table = paid_draft_table(paid_draft) if paid_draft is not None else TRANSITIONS.get(position, {})
    return table.get(desired, Refused(f"unknown live status {position!r}"))


@dataclass(frozen=True)
class LifecycleInput:
    position: str
    desired: str
    stripe_id: str
    send_marker: str | None
    depends_on: tuple[str, ...]
    label: str
    # Set when nothing will be left to collect once it is finalized (see PaidAtFinalization).
    paid_at_finalization: PaidAtFinalization | None = None
    assume_unsent: bool = False
    finalized_at: int | None = None
    processing: bool = False
    # Set when `status: paid` is reached by charging the saved card (charge_automatically).
    charge: Charging | None = None
    # What the plan changes of the customer that Stripe copies onto the invoice at finalization
    # ("address and tax IDs"): the finalize says it comes with them.
    new_details: str = ""


def plan_lifecycle(ctx: Context, key: str, step_in: LifecycleInput) -> list[str]:
    """Append the steps from the invoice's position to the spec's status; refusals
    become problems, waits and unprovable sends become notes."""
    paid_draft = step_in.paid_at_finalization if step_in.position == "draft" else None
    zero_draft = paid_draft is not None
    answer = answer_for(step_in.position, step_in.desired, paid_draft=paid_draft)
    label, desired = step_in.label, step_in.desired
    if isinstance(answer, Refused):
        where = ":" if zero_draft else f" is {position_word(step_in.position)},"  # a zero-total draft may not exist yet
        # A person must decide; this invoice is held, the rest of the plan goes on.
        ctx.hold(f"invoice:{key}", step_in.stripe_id, f"invoice {label}{where} the spec says {desired}: {answer.why}")
        return []
    if isinstance(answer, tuple) and step_in.processing and set(answer) & {_P, _V, _M}:
        answer = _PROCESSING  # an uncollectible invoice being paid: the same wait
    if isinstance(answer, Waits):
        ctx.note(f"invoice {label}: the spec says {desired}, nothing done now: {answer.why}")
        return []
    if isinstance(answer, Unproven):
        if step_in.send_marker == SEND_REQUESTED:  # a stopped run may have sent it: nothing overrides that
            ctx.note(f"invoice {label}: the spec says sent, and the tool does not send it: {INTERRUPTED_SEND}; "
                     f"`assume_unsent` does not override that. {CLEAR_REQUESTED}")  # fmt: skip
            return []
        if not step_in.assume_unsent:
            ctx.note(_unproven_note(label, step_in.finalized_at))
            return []
        answer = (_S,)
    if _P in answer and step_in.charge is not None and not zero_draft:
        if step_in.charge.awaits_customer:
            ctx.note(waiting_note(label, step_in.charge))
            return []
        if step_in.charge.card is None:
            # Held: this invoice only; the rest of the plan goes on.
            ctx.hold(f"invoice:{key}", step_in.stripe_id, f"invoice {label}: {NO_CARD}")
            return []
    return _add_steps(ctx, key, answer, step_in, paid_draft)


def _add_steps(
    ctx: Context, key: str, steps: tuple[Step, ...], step_in: LifecycleInput, paid_draft: PaidAtFinalization | None
) -> list[str]:
    zero_draft = paid_draft is not None
    ids: list[str] = []
    deps = step_in.depends_on
    for step in steps:
        reason = _REASONS[step].format(status=step_in.desired)
        if step is FinalizeInvoice and step_in.new_details:
            reason += f"; finalized with the new {step_in.new_details} (the customer's update comes first)"
        if paid_draft is not None:
            reason += f"; {paid_draft.short}, so Stripe marks it paid at once"
        if step is SendInvoice and step_in.position == "unproven":
            reason += "; `assume_unsent: true` in the spec: sent although Stripe's events cannot show it never was"
        elif step is SendInvoice and step_in.send_marker == SEND_REQUESTED:
            reason += "; an earlier send was interrupted: the applier checks before sending again"
        if step is PayInvoice and step_in.charge is not None and not zero_draft:
            action: _OnExisting = charge_action(key, step_in.charge, stripe_id=step_in.stripe_id, deps=deps,
                                                desired=step_in.desired)
        elif step is SendInvoice:
            action = SendInvoice(
                key=key, reason=reason, depends_on=deps, stripe_id=step_in.stripe_id,
                assume_unsent=step_in.assume_unsent,
            )
        else:
            action = step(key=key, reason=reason, depends_on=deps, stripe_id=step_in.stripe_id)
        deps = (ctx.add(action),)
        ids.append(deps[0])
    return ids


def _unproven_note(label: str, finalized_at: int | None) -> str:
    when = f" on {datetime.fromtimestamp(finalized_at, UTC):%Y-%m-%d}" if finalized_at else ""
    return (
        f"invoice {label}: the spec says sent, and the tool does not send it: it was finalized{when}, before the "
        "29 days of Stripe's events the tool trusts, and carries no send marker of the tool's, so nobody can "
        "prove it was never emailed. If it never was, add `assume_unsent: true` to its spec to send it; "
        "if it was, write `status: open` (or leave this note)"
    )


def position_word(position: str) -> str:
    """A position as the word refusals use (the same word for the same state everywhere)."""
    return {
        "unproven": "open (sent unknown)", "processing": "open (payment processing)", "sent": "sent",
    }.get(position, position)
