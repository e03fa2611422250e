"""The planner's lifecycle table as markdown, for docs/lifecycle.md (a test keeps them equal)."""

from __future__ import annotations

from reconciler.plan.actions import Action
from reconciler.plan.planner.lifecycle import (
    DESIRED,
    POSITIONS,
    TRANSITIONS,
    Answer,
    Refused,
    Unproven,
    Waits,
)

ROW_NAMES = {
    "draft": "draft",
    "open": "open, provably not sent",
    "sent": "sent (by anyone)",
    "unproven": "open, sending unprovable",
    "processing": "open, payment processing",
    "paid": "paid",
    "void": "void",
    "uncollectible": "uncollectible",
}
_VERBS: dict[str, str] = {
    "FinalizeInvoice": "finalize", "SendInvoice": "send", "PayInvoice": "pay",
    "VoidInvoice": "void", "MarkUncollectible": "mark uncollectible",
}  # fmt: skip


def cell(answer: Answer) -> str:
    if isinstance(answer, Refused):
        return "**held**"
    if isinstance(answer, Waits):
        return "nothing now (note: waits for the payment)"
    if isinstance(answer, Unproven):
        return "nothing (note); send with `assume_unsent: true`"
    steps: tuple[type[Action], ...] = answer
    return " → ".join(_VERBS[step.__name__] for step in steps) if steps else "—"


def markdown_table() -> str:
    head = "| live ↓ / spec → | " + " | ".join(f"`{d}`" for d in DESIRED) + " |"
    rule = "|---|" + "---|" * len(DESIRED)
    rows = [
        f"| {ROW_NAMES[p]} | " + " | ".join(cell(TRANSITIONS[p][d]) for d in DESIRED) + " |" for p in POSITIONS
    ]
    return "\n".join([head, rule, *rows]) + "\n"
