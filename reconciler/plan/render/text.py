"""Terraform-like text: grouped by object, one line per action with its reason."""

from __future__ import annotations

from reconciler.plan.plan import Plan
from reconciler.plan.render.describe import describe
from reconciler.plan.render.layout import (
    Group,
    groups,
    held_lines,
    no_changes_line,
    notice_lines,
    summary_line,
)

_COLORS = {"+": "\x1b[32m", "~": "\x1b[33m", "-": "\x1b[31m", ">": "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def group_lines(group: Group, plan: Plan, *, color: bool = False) -> list[str]:
    """A group as text lines (also used inside markdown diff blocks, uncoloured)."""
    bold, dim, reset = (_BOLD, _DIM, _RESET) if color else ("", "", "")
    lines = [f"{bold}# {group.title(plan)}{reset}"]
    for action in group.actions:
        d = describe(action, plan)
        c = _COLORS[d.symbol] if color else ""
        lines.append(f"{c}{d.symbol} {d.headline}{reset}  {dim}# {action.reason}{reset}")
        lines += [f"{c}{d.symbol}     {detail}{reset}" if d.symbol != ">" else f"      {detail}" for detail in d.details]
    return lines


def note_lines(plan: Plan) -> list[str]:
    """The plan's notes, one paragraph each ("Note: ..."), after a blank line."""
    return [""] + [f"Note: {note}" for note in plan.notes] if plan.notes else []


def render_text(plan: Plan, *, color: bool = False) -> str:
    if plan.is_empty:
        return "\n".join([*held_lines(plan), no_changes_line(plan), *note_lines(plan)]) + "\n"
    changes, destroys = groups(plan)
    lines = [*held_lines(plan), *notice_lines(plan), "Reconciler will perform the following actions:", ""]
    for group in changes:
        lines += group_lines(group, plan, color=color) + [""]
    if destroys:
        head = "Destroy:"
        lines += [f"{_BOLD}{_COLORS['-']}{head}{_RESET}" if color else head, ""]
        for group in destroys:
            lines += group_lines(group, plan, color=color) + [""]
    lines.append(summary_line(plan))
    return "\n".join(lines + note_lines(plan)) + "\n"
