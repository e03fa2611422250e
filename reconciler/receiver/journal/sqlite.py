"""The journal in a SQLite file: the default, for one receiver (and the CLI beside it).

WAL mode with synchronous=FULL: a commit is on disk before the receiver
acknowledges the event. Workers prove they are alive by holding an flock on
their own file in `<journal>.workers/`: the kernel drops it when the process
dies, however it dies, so a restarted receiver takes over the runs a killed
one left `running` at once, without waiting for a lease to run out.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from reconciler.receiver.errors import JournalError
from reconciler.receiver.journal.base import Cursor, Journal
from reconciler.receiver.journal.schema import SCHEMA_VERSION, statements

_WORKER_ID = re.compile(r"^[0-9a-f]{16}$")


class SQLiteJournal(Journal):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(str(self.path))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA busy_timeout = 30000")
            if self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise JournalError(f"journal {self.path}: cannot use WAL mode on this file system")
            self._conn.execute("PRAGMA synchronous = FULL")
            with self._transaction() as cur:
                for statement in statements(bigint="INTEGER", real="REAL"):
                    cur.execute(statement)
                cur.execute("INSERT INTO reconciler_journal_meta (name, value) VALUES ('schema_version', ?)"
                            " ON CONFLICT (name) DO NOTHING", (SCHEMA_VERSION,))
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open journal {self.path}: {getattr(exc, 'strerror', None) or exc}") from None
        self._workers = Path(f"{self.path}.workers")
        self._worker_file: IO[bytes] | None = None
        self._worker_path: Path | None = None

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")  # one writer at a time: claims need no row locks
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def register_worker(self) -> str:
        if self._worker_file is not None:
            raise RuntimeError("a journal holds one worker")
        self._workers.mkdir(parents=True, exist_ok=True)
        worker = secrets.token_hex(8)
        path = self._workers / f"{worker}.lock"
        handle = open(path, "wb")  # noqa: SIM115 - held until close()
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._worker_file, self._worker_path = handle, path
        return worker

    def _alive(self, workers: set[str]) -> set[str]:
        alive = set()
        for worker in workers:
            path = self._workers / f"{worker}.lock"
            if not _WORKER_ID.match(worker) or not path.exists():
                continue
            with open(path, "rb") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    alive.add(worker)
                    continue
            path.unlink(missing_ok=True)  # its process is gone: tidy up
        return alive

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._worker_file is not None:
                assert self._worker_path is not None
                self._worker_path.unlink(missing_ok=True)
                self._worker_file.close()
                self._worker_file = None
                try:
                    os.rmdir(self._workers)
                except OSError:
                    pass  # other workers still there
