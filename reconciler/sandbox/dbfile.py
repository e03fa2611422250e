"""The sandbox's SQLite file: one process at a time, and only a sandbox file of a known schema.

Two processes on one file (a `reconciler sandbox` server and a `--sandbox`
run) would corrupt the in-memory counters each keeps of it, so a lock file
beside it (`FILE.lock`, held with flock while the file is open) says who
holds it. The schema is stamped into the file (SQLite's application_id and
user_version): a file of another program is refused untouched, a file of an
older sandbox is migrated, one of a newer sandbox is refused.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import IO

from reconciler.errors import ReconcilerError

try:  # POSIX only; on Windows the file is not locked.
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms CI runs
    fcntl = None  # type: ignore[assignment]

# "RcSb": marks a file as a reconciler sandbox database.
APPLICATION_ID = 0x52635362
SCHEMA_VERSION = 1
# Tables every sandbox file has had, from before the schema was stamped (version 0).
_UNSTAMPED_TABLES = frozenset({"objects", "counters", "idempotency"})
# version -> SQL moving a file from that version to the next one.
MIGRATIONS: dict[int, str] = {
    0: "",  # unstamped files have today's tables; CREATE ... IF NOT EXISTS adds any missing
}


class SandboxFileError(ReconcilerError):
    """The sandbox's database file cannot be used; `detail` says why."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"cannot use sandbox database {path}: {detail}")
        self.path = path
        self.detail = detail


class FileInUse(SandboxFileError):
    def __init__(self, path: str, holder: str) -> None:
        super().__init__(
            path,
            f"it is in use by {holder or 'another process'}; stop that first, or reach a sandbox server "
            "through its URL (--api-base) instead of opening its file",
        )


class FileLock:
    """An exclusive flock on `PATH.lock`, whose content names the holder."""

    def __init__(self, db_path: str) -> None:
        self.path = db_path + ".lock"
        self._db_path = db_path
        self._file: IO[str] | None = None

    def acquire(self, holder: str) -> None:
        if fcntl is None:
            return
        try:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise SandboxFileError(self._db_path, f"cannot create its lock file: {exc.strerror}") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder_text = handle.read().strip()
            handle.close()
            raise FileInUse(self._db_path, holder_text) from None
        self._file = handle
        self.describe(holder)

    def describe(self, holder: str) -> None:
        """Say who holds the file (shown to whoever finds it locked)."""
        if self._file is None:
            return
        self._file.seek(0)
        self._file.truncate()
        self._file.write(holder + "\n")
        self._file.flush()

    def release(self) -> None:
        if self._file is not None:
            # The file stays: removing it would race with a process about to lock it.
            self._file.close()
            self._file = None


def default_holder() -> str:
    return f"process {os.getpid()}"


def check_schema(conn: sqlite3.Connection, path: str) -> Callable[[], None]:
    """Refuse a file that is not a sandbox database of a known schema; the step
    that stamps (and migrates) it, to run once its tables exist."""
    try:
        application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise SandboxFileError(path, f"it is not a sandbox database ({exc})") from None
    if application_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise SandboxFileError(
                path, f"it was written by a newer reconciler (schema {version}; this one knows {SCHEMA_VERSION})"
            )
    elif application_id == 0 and not tables:
        version = SCHEMA_VERSION  # a new or empty file
    elif application_id == 0 and _UNSTAMPED_TABLES <= tables:
        version = 0  # a sandbox file from before the schema was stamped
    else:
        raise SandboxFileError(path, "it is not a sandbox database (an SQLite file of another program?)")

    def stamp() -> None:
        for step in range(version, SCHEMA_VERSION):
            if MIGRATIONS[step]:
                conn.executescript(MIGRATIONS[step])
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    return stamp
