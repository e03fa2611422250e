"""Spec errors: every problem of a run, each pinned to a file, line and column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ReconcilerError


@dataclass(frozen=True, order=True)
class SpecError:
    """One problem in one spec file; line and column are 1-based."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class SpecErrors(ReconcilerError):
    """All the problems found in one run of the loader (never empty)."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        # Deduplicated and sorted so the output is stable whatever the walk order.
        self.errors: list[SpecError] = sorted(set(errors))
        super().__init__("\n".join(self.lines()))

    kind = "spec"

    def lines(self) -> list[str]:
        return [str(error) for error in self.errors]

    def document(self) -> dict[str, Any]:
        """The first problem's file and line at the top, every problem in `problems`."""
        doc = super().document()
        first = self.errors[0]
        doc["error"].update(
            file=first.file,
            line=first.line,
            problems=[{"file": e.file, "line": e.line, "column": e.column, "message": e.message} for e in self.errors],
        )
        return doc
