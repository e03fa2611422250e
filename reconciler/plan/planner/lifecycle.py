"""Invoice status transitions (DESIGN.md, "Invoice lifecycle") as lifecycle actions."""

from __future__ import annotations

from reconciler.ownership import SEND_DONE, SEND_REQUESTED
from reconciler.plan.actions import (
    FinalizeInvoice,
    MarkUncollectible,
    PayInvoice,
    SendInvoice,
    VoidInvoice,
    _OnExisting,
)
from reconciler.plan.planner.context import Context

_F, _S, _P, _V, _M = FinalizeInvoice, SendInvoice, PayInvoice, VoidInvoice, MarkUncollectible
Step = type[_OnExisting]

# (where the invoice is, where the spec wants it) -> steps, or why it cannot go there.
# "sent" as a live state is an open invoice whose send marker says done.
# A customer's payment counts as at least "sent": paid + open/sent needs nothing.
_NO_DRAFT = "a finalized invoice cannot return to draft"
_TERMINAL_VOID = "void is terminal"
_PAID_FINAL = "a paid invoice cannot be voided, reopened or marked uncollectible"
_NO_REOPEN = "an uncollectible invoice cannot be reopened (pay or void it)"
TRANSITIONS: dict[str, dict[str, tuple[Step, ...] | str]] = {
    "draft": {"draft": (), "open": (_F,), "sent": (_F, _S), "paid": (_F, _P), "void": (_F, _V), "uncollectible": (_F, _M)},
    "open": {"draft": _NO_DRAFT, "open": (), "sent": (_S,), "paid": (_P,), "void": (_V,), "uncollectible": (_M,)},
    "sent": {"draft": _NO_DRAFT, "open": (), "sent": (), "paid": (_P,), "void": (_V,), "uncollectible": (_M,)},
    "uncollectible": {
        "draft": _NO_DRAFT, "open": _NO_REOPEN, "sent": _NO_REOPEN, "paid": (_P,), "void": (_V,), "uncollectible": (),
    },
    "paid": {"draft": _NO_DRAFT, "open": (), "sent": (), "paid": (), "void": _PAID_FINAL, "uncollectible": _PAID_FINAL},
    "void": {s: _TERMINAL_VOID for s in ("draft", "open", "sent", "paid", "uncollectible")} | {"void": ()},
}  # fmt: skip

_REASONS: dict[Step, str] = {
    FinalizeInvoice: "finalize the draft (spec status: {status})",
    SendInvoice: "email the invoice to the customer, once (spec status: {status})",
    PayInvoice: "mark paid out of band (spec status: {status})",
    VoidInvoice: "void it (spec status: {status})",
    MarkUncollectible: "mark uncollectible (spec status: {status})",
}


# A draft whose total is 0: Stripe marks it paid the moment it is finalized,
# so finalizing alone reaches open, sent and paid, and void or uncollectible
# cannot be reached at all (a paid invoice is final).
_ZERO_PAID = "its total is 0 and Stripe marks a zero-total invoice paid when it is finalized"
ZERO_TOTAL_DRAFT: dict[str, tuple[Step, ...] | str] = {
    "draft": (),
    "open": (_F,),
    "sent": (_F,),
    "paid": (_F,),
    "void": f"{_ZERO_PAID}, and a paid invoice cannot be voided",
    "uncollectible": f"{_ZERO_PAID}, and a paid invoice cannot be marked uncollectible",
}


def live_position(status: str, send_marker: str | None) -> str:
    return "sent" if status == "open" and send_marker == SEND_DONE else status


def plan_lifecycle(
    ctx: Context,
    key: str,
    *,
    position: str,
    desired: str,
    stripe_id: str,
    send_marker: str | None,
    depends_on: tuple[str, ...],
    label: str,
    zero_total: bool = False,
) -> list[str]:
    """Append the steps from `position` to `desired`; a refused move is a problem.

    `zero_total`: the draft's total (once its items are in place) is 0.
    """
    zero_draft = zero_total and position == "draft"
    table = ZERO_TOTAL_DRAFT if zero_draft else TRANSITIONS.get(position, {})
    steps = table.get(desired, f"unknown live status {position!r}")
    if isinstance(steps, str):
        where = ":" if zero_draft else f" is {position},"  # a zero-total draft may not exist yet
        ctx.problem("transition", f"invoice {label}{where} the spec says {desired}: {steps}")
        return []
    ids: list[str] = []
    deps = depends_on
    for step in steps:
        reason = _REASONS[step].format(status=desired)
        if zero_draft:
            reason += "; its total is 0, so Stripe marks it paid at once"
        if step is SendInvoice and send_marker == SEND_REQUESTED:
            reason += "; an earlier send was interrupted: the applier checks before sending again"
        deps = (ctx.add(step(key=key, reason=reason, depends_on=deps, stripe_id=stripe_id)),)
        ids.append(deps[0])
    return ids
