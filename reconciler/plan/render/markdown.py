"""Markdown for pull-request comments: marker, summary table, one <details> per invoice.

The first line is a hidden marker so CI can find and update its own comment.
GitHub caps a comment at 65,536 characters: the output is cut before
LIMIT with a note saying how many actions were left out.
"""

from __future__ import annotations

import html

from reconciler.plan.plan import Plan
from reconciler.plan.render.layout import (
    Group,
    amount_parts,
    groups,
    held_title,
    no_changes_line,
    notice_parts,
    summary_line,
)
from reconciler.plan.render.text import group_lines
from reconciler.text import plural

MARKER = "<!-- reconciler-plan -->"
LIMIT = 65_000
_NOTE_ROOM = 300  # kept free for the omission note


def _fenced(lines: list[str]) -> str:
    # A value containing ``` must not close the fence early.
    body = "\n".join(line.replace("```", "`\u200b``") for line in lines)
    return f"```diff\n{body}\n```\n"


def _details(group: Group, plan: Plan) -> str:
    n = len(group.actions)
    title = html.escape(group.title(plan))
    summary = f"{title} — {plural(n, 'action')}"
    return f"<details><summary>{summary}</summary>\n\n{_fenced(group_lines(group, plan))}\n</details>\n\n"


def _notes(plan: Plan) -> str:
    """Notes as a list, put before the details so a long plan never cuts them."""
    if not plan.notes:
        return ""
    return "\n#### Notes\n\n" + "".join(f"- {note}\n" for note in plan.notes)


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "\\|")


def _held(plan: Plan) -> str:
    """The conflicts, a section of their own before everything else (a CI job
    can find it by its heading)."""
    if not plan.conflicts:
        return ""
    lines = ["> [!CAUTION]", f"> **{_cell(held_title(plan))}**", "", "#### Held: a person must decide", ""]
    for conflict in plan.conflicts:
        where = f" (`{conflict.stripe_id}`)" if conflict.stripe_id else ""
        lines.append(f"- **{_cell(conflict.object.replace(':', ' ', 1))}**{where}: {_cell(conflict.message)}")
    return "\n".join(lines) + "\n\n"


def _reviewer_first(plan: Plan) -> list[str]:
    """Warnings and what customers will notice, before the summary and the details."""
    out: list[str] = []
    for warning in plan.warnings():
        out += ["> [!WARNING]", f"> {_cell(warning)}", ""]
    spelt_out = [t for t in plan.invoice_totals if t.amounts is not None]
    if plan.notices or spelt_out:
        out += ["**Customers will notice**", ""]
    if plan.notices:
        out += ["| What | To | Total | Due |", "|---|---|---:|---|"]
        for notice in plan.notices:
            out.append("| " + " | ".join(_cell(part) for part in notice_parts(notice)) + " |")
        out.append("")
    if spelt_out:
        out += ["| Invoice | Subtotal | Discounts | Tax | Total | Customer balance | Amount due |",
                "|---|---:|---|---|---:|---|---|"]
        for invoice_total in spelt_out:
            cells = (f"`{invoice_total.invoice}`", *amount_parts(invoice_total))
            out.append("| " + " | ".join(_cell(part) for part in cells) + " |")
        out.append("")
    return out


def _summary_table(s: dict[str, int]) -> list[str]:
    """The counts table; an Adopt column only in plans that adopt."""
    columns = [("Adopt", "adopt")] if s.get("adopt") else []
    columns += [("Create", "create"), ("Update", "update"), ("Lifecycle", "lifecycle"), ("Destroy", "destroy")]
    return [
        "| " + " | ".join(title for title, _ in columns) + " |",
        "|" + "|".join("-" * (len(title) + 1) + ":" for title, _ in columns) + "|",
        "| " + " | ".join(str(s[name]) for _, name in columns) + " |",
    ]


def render_markdown(plan: Plan) -> str:
    if plan.is_empty:
        return f"{MARKER}\n### Reconciler plan\n\n{_held(plan)}{no_changes_line(plan)}\n" + _notes(plan)
    s = plan.summary
    parts = [
        MARKER,
        "### Reconciler plan",
        "",
        *_reviewer_first(plan),
        f"**{summary_line(plan)}**",
        "",
        *_summary_table(s),
        "",
    ]
    parts[3:3] = [_held(plan).rstrip("\n"), ""] if plan.conflicts else []
    out = "\n".join(parts) + "\n" + (_notes(plan).lstrip("\n") + "\n" if plan.notes else "")
    budget = LIMIT - _NOTE_ROOM
    shown = 0
    changes, destroys = groups(plan)
    # (section heading, groups, one <details> per group?)
    sections = [
        ("#### Catalog and customers", [g for g in changes if g.kind not in ("invoice", "credit_note")], False),
        ("#### Invoices", [g for g in changes if g.kind == "invoice"], True),
        ("#### Credit notes", [g for g in changes if g.kind == "credit_note"], True),
        ("#### Destroy", destroys, False),
    ]
    cut = False
    for heading, section_groups, per_group in sections:
        if cut or not section_groups:
            continue
        if len(out) + len(heading) + 2 > budget:
            cut = True
            break
        out += heading + "\n\n"
        if per_group:
            for group in section_groups:
                block = _details(group, plan)
                if len(out) + len(block) > budget:
                    cut = True
                    break
                out += block
                shown += len(group.actions)
            continue
        lines: list[str] = []
        for group in section_groups:
            candidate = lines + group_lines(group, plan) + [""]
            if len(out) + len(_fenced(candidate)) > budget:
                cut = True
                break
            lines = candidate
            shown += len(group.actions)
        if lines:
            out += _fenced(lines[:-1]) + "\n"
    omitted = len(plan.actions) - shown
    if omitted:
        out = out.rstrip("\n") + "\n\n" + (
            f"**{plural(omitted, 'more action')} omitted** (comment size limit): "
            "run `reconciler plan` to see the whole plan.\n"
        )
    return out


def error_markdown(command: str, lines: list[str]) -> str:
    """A failure, as markdown: the same marker (a plan comment is replaced, not added to)."""
    body = "\n".join(line.replace("```", "`\u200b``") for line in lines)
    marker = f"{MARKER}\n" if command == "plan" else ""
    return f"{marker}### Reconciler {command} failed\n\n```text\n{body}\n```\n"
