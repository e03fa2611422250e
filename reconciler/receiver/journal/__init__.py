"""The receiver's journal: `open_journal(target)` for a SQLite path or a postgresql:// URL."""

from __future__ import annotations

import contextlib
import re
import sqlite3
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
from reconciler.receiver.urls import shown

DEFAULT_JOURNAL = str(Path(".reconciler") / "journal.db")
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# Anything that looks like a URL: taken as a file path, `mysql://u:pw@h/db` would
# become the folders ./mysql:/u:pw@h and a journal file named db.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

__all__ = ["DEFAULT_JOURNAL", "Claim", "HookRun", "Journal", "JournaledEvent", "LastEvent", "RecordedInvoice",
           "check_target", "is_postgres", "open_journal"]  # fmt: skip


def is_postgres(target: str) -> bool:
    return target.startswith(_POSTGRES_SCHEMES)


def open_journal(target: str, *, existing: bool = False) -> Journal:
    """A journal on `target`; JournalError (one line, no password) when it cannot be opened.

    `existing`: for the commands that only read or re-run what is journaled,
    a SQLite file that is not there is an error (a mistyped --journal), not a
    new, empty journal.
    """
    check_target(target)
    if is_postgres(target):
        from reconciler.receiver.journal.postgres import PostgresJournal

        return PostgresJournal(target)
    from reconciler.receiver.journal.sqlite import SQLiteJournal

    if existing:
        _refuse_unless_journal(target)
    return SQLiteJournal(target)


def check_target(target: str) -> None:
    """JournalError (the URL shown without its password) unless `target` is a
    postgresql:// or postgres:// URL or a path."""
    if _URL.match(target) and not is_postgres(target):
        scheme = target.split(":", 1)[0]
        raise JournalError(f"journal {shown(target)}: {scheme}:// is not a journal; use a file path "
                           "(SQLite) or a postgresql:// URL")  # fmt: skip


def _refuse_unless_journal(target: str) -> None:
    """JournalError unless `target` is a SQLite file holding a journal: the
    commands that only read (or re-run) what was journaled must not turn a
    mistyped path, or another SQLite file, into a new journal."""
    path = Path(target)
    if not target:
        raise JournalError("--journal is empty: give the journal's file (default .reconciler/journal.db) or URL")
    if path.is_dir():
        raise JournalError(f"journal {target} is a directory, not a journal file")
    if not path.exists():
        raise JournalError(f"journal {target} does not exist: nothing was journaled there (check --journal; "
                           "`webhook serve` creates it)")  # fmt: skip
    if not path.is_file():
        raise JournalError(f"journal {target} is not a regular file")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reconciler_journal_meta'"
            ).fetchone()
    except sqlite3.Error:
        found = None
    if found is None:
        raise JournalError(f"journal {target} is not a reconciler journal (another file? check --journal)")
