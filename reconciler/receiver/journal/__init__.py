"""The receiver's journal: `open_journal(target)` for a SQLite path or a postgresql:// URL."""

from __future__ import annotations

from pathlib import Path

from reconciler.receiver.errors import JournalError
from reconciler.receiver.journal.base import Journal
from reconciler.receiver.journal.records import (
    Claim,
    HookRun,
    JournaledEvent,
    LastEvent,
    RecordedInvoice,
)

DEFAULT_JOURNAL = str(Path(".reconciler") / "journal.db")
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")

__all__ = ["DEFAULT_JOURNAL", "Claim", "HookRun", "Journal", "JournaledEvent", "LastEvent", "RecordedInvoice",
           "is_postgres", "open_journal"]  # fmt: skip


def is_postgres(target: str) -> bool:
    return target.startswith(_POSTGRES_SCHEMES)


def open_journal(target: str, *, existing: bool = False) -> Journal:
    """A journal on `target`; JournalError (one line, no password) when it cannot be opened.

    `existing`: for the commands that only read or re-run what is journaled,
    a SQLite file that is not there is an error (a mistyped --journal), not a
    new, empty journal.
    """
    if is_postgres(target):
        from reconciler.receiver.journal.postgres import PostgresJournal

        return PostgresJournal(target)
    from reconciler.receiver.journal.sqlite import SQLiteJournal

    if existing and not Path(target).is_file():
        raise JournalError(f"journal {target} does not exist: nothing was journaled there (check --journal)")
    return SQLiteJournal(target)
