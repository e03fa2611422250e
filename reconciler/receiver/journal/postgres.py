"""The journal in PostgreSQL: one journal for several receivers behind a load balancer.

Claims lock their rows with `FOR UPDATE … SKIP LOCKED`, so two receivers
never take the same run. Each worker holds a session advisory lock while its
connection lives: when a receiver dies, PostgreSQL drops the lock with the
connection, and the others take over its `running` runs at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from reconciler.receiver.errors import JournalError
from reconciler.receiver.journal.base import Cursor, Journal
from reconciler.receiver.journal.schema import SCHEMA_VERSION, statements
from reconciler.receiver.urls import SECRET_PARAMS, redacted

# Serialises schema creation when several receivers start at once.
_SCHEMA_LOCK = 0x7265636F6E63  # "reconc"
_KEY_MASK = 0x7FFF_FFFF_FFFF_FFFF


def _secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    found += [value for name, value in parse_qsl(parts.query, keep_blank_values=True) if name in SECRET_PARAMS and value]
    return found


def _checked(url: str) -> str:
    """`url` if Python can take it apart (a malformed host or port is one line, not a traceback)."""
    try:
        urlsplit(url).port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise JournalError(f"journal URL is not valid: {exc}") from None
    return url


def _lock_key(worker: str) -> int:
    return int(worker, 16) & _KEY_MASK


class PostgresJournal(Journal):
    placeholder = "%s"
    lock_rows = " FOR UPDATE OF r SKIP LOCKED"

    def __init__(self, url: str) -> None:
        super().__init__(redacted(_checked(url)))
        try:
            import psycopg
        except ImportError:
            raise JournalError(
                "a PostgreSQL journal needs psycopg: pip install 'reconciler[postgresql]'"
            ) from None
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        try:
            self._conn: Any = psycopg.connect(url, autocommit=True, connect_timeout=10)
            with self._transaction() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in statements(bigint="BIGINT", real="DOUBLE PRECISION"):
                    cur.execute(statement)
                cur.execute("INSERT INTO reconciler_journal_meta (name, value) VALUES ('schema_version', %s)"
                            " ON CONFLICT (name) DO NOTHING", (SCHEMA_VERSION,))
        except psycopg.Error as exc:
            detail = " ".join(str(exc).split())
            for secret in _secrets(url):
                detail = detail.replace(secret, "***")
            raise JournalError(f"cannot open journal {self.target}: {detail}") from None
        self._worker: str | None = None

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        with self._conn.transaction(), self._conn.cursor() as cur:
            yield cur

    def register_worker(self) -> str:
        if self._worker is not None:
            raise RuntimeError("a journal holds one worker")
        worker = secrets.token_hex(8)
        with self._lock:
            self._conn.execute("SELECT pg_advisory_lock(%s)", (_lock_key(worker),))
        self._worker = worker
        return worker

    def _alive(self, workers: set[str]) -> set[str]:
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted AND objsubid = 1"
            )
            held = {int(row[0]) for row in cur.fetchall()}
        return {w for w in workers if _is_hex(w) and _lock_key(w) in held}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return len(text) == 16
