"""Root of the error tree. Only the CLI turns these into exit codes and output."""

from __future__ import annotations

from typing import Any, ClassVar


class ReconcilerError(Exception):
    """An expected failure with a one-line, user-facing message (no traceback)."""

    exit_code = 1
    # Stable name of the failure in a JSON error document (`--format json`).
    kind: ClassVar[str] = "error"

    def lines(self) -> list[str]:
        """The lines to print; most errors have one."""
        return [str(self)]

    def document(self) -> dict[str, Any]:
        """The JSON error document: kind and message (one line each), and where, when known."""
        lines = self.lines()
        return {"error": {"kind": self.kind, "message": "\n".join(lines), "lines": lines}}


class Interrupted(ReconcilerError):
    """Ctrl-C: what a JSON or markdown error document says of it (the exit code is 130)."""

    kind = "interrupted"
