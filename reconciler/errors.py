"""Root of the error tree. Only the CLI turns these into exit codes and output."""

from __future__ import annotations


class ReconcilerError(Exception):
    """An expected failure with a one-line, user-facing message (no traceback)."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The lines to print; most errors have one."""
        return [str(self)]
