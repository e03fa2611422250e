"""ApplyResult: what an apply did, for the summary line and `--format json`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from reconciler.plan.actions import Action
from reconciler.plan.plan import Conflict
from reconciler.text import plural

Outcome = Literal["done", "failed", "skipped"]


def describe(action: Action) -> str:
    """One line naming the action, e.g. 'create customer jenny-rosen',
    'add item invoice-1/setup-fee', 'send invoice invoice-1'."""
    item_key = action.item
    if item_key:
        return f"{action.verb} {action.key}/{item_key}"
    return f"{action.verb} {action.kind} {action.key}"


@dataclass(frozen=True)
class ActionOutcome:
    id: str
    description: str
    outcome: Outcome
    message: str = ""  # the error (failed), the reason (skipped), a note (done)


@dataclass
class ApplyResult:
    done: list[ActionOutcome] = field(default_factory=list)
    failed: list[ActionOutcome] = field(default_factory=list)
    skipped: list[ActionOutcome] = field(default_factory=list)
    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    seconds: float = 0.0
    # Ctrl-C stopped the run: what was running finished, the rest was skipped.
    interrupted: bool = False
    # The plan's conflicts: objects held for a person, nothing done to them (exit 3 when all else went well).
    held: list[Conflict] = field(default_factory=list)
    # apply --plan of a plan whose every action was done (by an earlier apply of it): nothing to do.
    already_applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.interrupted

    def summary_line(self) -> str:
        counts = f"{len(self.done)} done, {len(self.failed)} failed, {len(self.skipped)} skipped."
        if self.held:
            counts += f" {plural(len(self.held), 'object')} held for a person to decide: nothing was done to it."
        if self.interrupted:
            return f"Apply interrupted: {counts} Re-run apply to resume: it is idempotent."
        return f"Apply complete: {counts}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data for `--format json` (like Plan.to_json)."""
        return {
            "ok": self.ok,
            "interrupted": self.interrupted,
            "summary": {"done": len(self.done), "failed": len(self.failed), "skipped": len(self.skipped)},
            "requests": self.requests,
            "retries": self.retries,
            "seconds": round(self.seconds, 3),
            "done": [_entry(o) for o in self.done],
            "failed": [_entry(o) for o in self.failed],
            "skipped": [_entry(o) for o in self.skipped],
            "held": [c.to_json() for c in self.held],
            "already_applied": self.already_applied,
        }

    def to_markdown(self, *, dry_run: bool = False) -> str:
        """The result for a CI job summary: a headline, then one table row per action."""
        if dry_run:
            return "### Reconciler apply\n\nDry run: nothing was sent.\n"
        rows = [
            f"| {o.outcome} | {_cell(o.description)} | {_cell(o.message)} |"
            for o in (*self.failed, *self.skipped, *self.done)
        ]
        table = ["| Outcome | Action | Note |", "|---|---|---|", *rows] if rows else ["Nothing to apply."]
        held = ["#### Held: a person must decide", "", *(f"- {_cell(c.message)}" for c in self.held), ""]
        head = ["### Reconciler apply", "", *(held if self.held else []), f"**{self.summary_line()}**", ""]
        return "\n".join([*head, *table]) + "\n"

    def lines(self) -> list[str]:
        """Failures and skips, one line each, then the summary (for text output)."""
        out = [f"failed: {o.description}: {o.message}" for o in self.failed]
        out += [f"skipped: {o.description}: {o.message}" for o in self.skipped]
        return [*out, self.summary_line()]


def _entry(outcome: ActionOutcome) -> dict[str, str]:
    data = asdict(outcome)
    data.pop("outcome")
    return data


def _cell(text: str) -> str:
    """Text inside a markdown table cell: pipes escaped, one line."""
    return " ".join(text.split()).replace("|", "\\|")
