"""SQLite persistence: one row per object (JSON body plus indexed columns).

One connection guarded by a re-entrant lock: SQLite admits one writer at a
time anyway, and holding the lock for a whole transaction makes every
read-modify-write of the models atomic (item counts, totals, idempotency).
A file database runs in WAL mode, so an acknowledged write survives a kill.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.sandbox.dbfile import FileLock, SandboxFileError, check_schema, default_holder

# Columns the models filter or sort by; everything else lives in the JSON body.
INDEXED = (
    "customer",
    "invoice",
    "product",
    "status",
    "email",
    "active",
    "lookup_key",
    "collection_method",
    "type",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    {", ".join(f"{c} TEXT" for c in INDEXED)},
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_kind_seq ON objects(kind, seq);
-- Partial indexes: an insert only maintains the indexes of columns it sets.
CREATE INDEX IF NOT EXISTS objects_customer ON objects(kind, customer, seq) WHERE customer IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_invoice ON objects(kind, invoice, seq) WHERE invoice IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_product ON objects(kind, product, seq) WHERE product IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_status ON objects(kind, status, seq) WHERE status IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_email ON objects(kind, email, seq) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_lookup ON objects(kind, lookup_key) WHERE lookup_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_type ON objects(kind, type, seq) WHERE type IS NOT NULL;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_status INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_at);
"""


log = logging.getLogger(__name__)

# WAL pages (4 KiB) after which the background checkpoint runs; SQLite's own default.
CHECKPOINT_PAGES = 1000
# A checkpoint also runs this often (seconds) while commits are pending.
CHECKPOINT_INTERVAL = 1.0
# At most about this many WAL pages are copied while requests wait for the store lock.
LOCKED_PAGES = 64


class Store:
    """The sandbox's database. Use `transaction()` for every read and write."""

    def __init__(self, path: str | None = None, *, holder: str | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        # One process per file (see dbfile): locked before SQLite touches it.
        self.file_lock = FileLock(path) if path else None
        if self.file_lock is not None:
            self.file_lock.acquire(holder or default_holder())
        try:
            self._conn = self._open(path)
        except BaseException:
            if self.file_lock is not None:
                self.file_lock.release()
            raise
        # Counters (ids, seq) live in memory and are written once per commit.
        self.counters: dict[str, int] = dict(self._conn.execute("SELECT name, value FROM counters"))
        # Kinds that may have rows (one process owns the file, as for the counters):
        # listing a kind never stored, e.g. webhook endpoints on every event, needs no query.
        self.kinds: set[str] = {row[0] for row in self._conn.execute("SELECT DISTINCT kind FROM objects")}
        # Rows read in the current transaction, by id: models often fetch one object twice.
        self._rows: dict[str, tuple[str, str, int]] = {}
        self._checkpointer: _Checkpointer | None = None
        if path:
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = _Checkpointer(path, self._lock)

    @staticmethod
    def _open(path: str | None) -> sqlite3.Connection:
        """The connection with the schema in place; a file is checked, stamped or migrated."""
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            conn = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
            stamp = check_schema(conn, path) if path else None
            if path:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            if stamp is not None:
                stamp()
        except sqlite3.Error as exc:
            raise SandboxFileError(str(path), str(exc)) from None
        return conn

    def describe_holder(self, holder: str) -> None:
        """Say who holds the file, for whoever finds it locked."""
        if self.file_lock is not None:
            self.file_lock.describe(holder)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._lock:
            self._conn.close()
        if self.file_lock is not None:
            self.file_lock.release()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield Tx(self._conn, self.counters, self.kinds, self._rows)
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            before = dict(self.counters)
            kinds_before = set(self.kinds)
            self._rows.clear()
            try:
                yield Tx(self._conn, self.counters, self.kinds, self._rows)
                changed = [(k, v) for k, v in self.counters.items() if before.get(k) != v]
                if changed:
                    self._conn.executemany(
                        "INSERT INTO counters(name, value) VALUES (?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                        changed,
                    )
            except BaseException:
                self._conn.execute("ROLLBACK")
                self.counters.clear()
                self.counters.update(before)
                self.kinds.update(kinds_before)  # a rolled-back wipe must not hide rows
                raise
            else:
                self._conn.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.committed()
            finally:
                self._depth = 0
                self._rows.clear()

    def wipe(self) -> None:
        with self.transaction() as tx:
            for table in ("objects", "counters", "idempotency", "deliveries"):
                tx.conn.execute(f"DELETE FROM {table}")
            self.counters.clear()
            self.kinds.clear()
            self._rows.clear()


class _Checkpointer:
    """Copies the WAL into the database file from its own connection and thread.

    A PASSIVE checkpoint neither waits for nor blocks the request connection,
    and SQLite releases the interpreter lock while it copies and syncs. While
    requests keep writing it cannot catch up with the WAL's end, and SQLite only
    rewinds a fully copied WAL, so a second, short pass runs under the store
    lock (no transaction open) to copy the few frames added meanwhile: the WAL
    then restarts from its beginning instead of growing without bound.
    Commits are durable in the WAL before this runs (synchronous=NORMAL), and
    closing the last connection checkpoints the rest.
    """

    def __init__(self, path: str, lock: threading.RLock) -> None:
        self._path = path
        self._lock = lock
        self._wake = threading.Event()
        self._stopping = False
        self._commits = 0
        self._thread = threading.Thread(target=self._run, name="sandbox-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        # Roughly ten pages per commit: start well before the WAL reaches CHECKPOINT_PAGES.
        self._commits += 1
        if self._commits >= CHECKPOINT_PAGES // 10:
            self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping:
                self._wake.wait(CHECKPOINT_INTERVAL)
                self._wake.clear()
                if self._commits and not self._stopping:
                    self._commits = 0
                    self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            # Unlocked passes until few frames remain (commits keep adding some)...
            for _ in range(4):
                _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames - copied <= LOCKED_PAGES:
                    break
            # ...then a short one under the store lock, so the WAL can rewind.
            with self._lock:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # e.g. busy: the next round catches up
            log.debug("sandbox checkpoint skipped", exc_info=True)


class Tx:
    """Typed helpers over the connection, valid inside one transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        counters: dict[str, int],
        kinds: set[str],
        rows: dict[str, tuple[str, str, int]],
    ) -> None:
        self.conn = conn
        self._counters = counters
        self._kinds = kinds
        # id -> (kind, body, deleted) as last read; every write through Tx drops its entry.
        self._rows = rows

    def next_counter(self, name: str) -> int:
        value = self._counters.get(name, 0) + 1
        self._counters[name] = value
        return value

    def insert(self, kind: str, obj: dict[str, Any], **columns: Any) -> None:
        self._rows.pop(obj["id"], None)
        self._kinds.add(kind)  # kept after a rollback: it only costs a query
        seq = self.next_counter("seq")
        names = ["id", "kind", "seq", "created", "body", *columns]
        values = [obj["id"], kind, seq, obj.get("created", 0), json.dumps(obj), *columns.values()]
        self.conn.execute(
            f"INSERT INTO objects({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [_column(v) for v in values],
        )

    def update(self, obj: dict[str, Any], **columns: Any) -> None:
        self._rows.pop(obj["id"], None)
        sets = ["body = ?", *(f"{c} = ?" for c in columns)]
        self.conn.execute(
            f"UPDATE objects SET {', '.join(sets)} WHERE id = ?",
            [json.dumps(obj), *(_column(v) for v in columns.values()), obj["id"]],
        )

    def mark_deleted(self, object_id: str) -> None:
        self._rows.pop(object_id, None)
        self.conn.execute("UPDATE objects SET deleted = 1 WHERE id = ?", (object_id,))

    def delete(self, object_id: str) -> None:
        self._rows.pop(object_id, None)
        self.conn.execute("DELETE FROM objects WHERE id = ?", (object_id,))

    def get(self, kind: str, object_id: str) -> tuple[dict[str, Any], bool] | None:
        """(body, deleted) of one object, or None. A fresh dict each call: callers mutate it."""
        cached = self._rows.get(object_id)
        if cached is not None:
            if cached[0] != kind:
                return None
            return _loads(cached[1]), bool(cached[2])
        row = self.conn.execute(
            "SELECT kind, body, deleted FROM objects WHERE id = ?", (object_id,)
        ).fetchone()
        if row is None:
            return None
        self._rows[object_id] = row
        if row[0] != kind:
            return None
        return _loads(row[1]), bool(row[2])

    def seq_of(self, kind: str, object_id: str) -> int | None:
        row = self.conn.execute(
            "SELECT seq FROM objects WHERE kind = ? AND id = ?", (kind, object_id)
        ).fetchone()
        return None if row is None else int(row[0])

    def count(self, kind: str, **filters: Any) -> int:
        if kind not in self._kinds:
            return 0
        where, args = _where(kind, filters)
        return int(self.conn.execute(f"SELECT COUNT(*) FROM objects WHERE {where}", args).fetchone()[0])

    def page(
        self,
        kind: str,
        *,
        filters: dict[str, Any],
        limit: int,
        after_seq: int | None = None,
        before_seq: int | None = None,
        newest_first: bool = True,
        created: dict[str, int] | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a list: (objects, has_more). Cursors are object seqs."""
        if kind not in self._kinds:
            return [], False
        where, args = _where(kind, filters)
        for op, value in (created or {}).items():
            where += f" AND created {_CREATED_OPS[op]} ?"
            args.append(value)
        # "after" means further along the listing order; "before" the reverse.
        forward = before_seq is None
        if after_seq is not None:
            where += " AND seq < ?" if newest_first else " AND seq > ?"
            args.append(after_seq)
        if before_seq is not None:
            where += " AND seq > ?" if newest_first else " AND seq < ?"
            args.append(before_seq)
        descending = newest_first == forward
        rows = self.conn.execute(
            f"SELECT body FROM objects WHERE {where} ORDER BY seq {'DESC' if descending else 'ASC'} "
            "LIMIT ?",
            [*args, limit + 1],
        ).fetchall()
        has_more = len(rows) > limit
        objects = [_loads(r[0]) for r in rows[:limit]]
        if not forward:
            objects.reverse()
        return objects, has_more

    def all(self, kind: str, **filters: Any) -> list[dict[str, Any]]:
        """Every matching object, oldest first."""
        if kind not in self._kinds:
            return []
        where, args = _where(kind, filters)
        rows = self.conn.execute(
            f"SELECT body FROM objects WHERE {where} ORDER BY seq ASC", args
        ).fetchall()
        return [_loads(r[0]) for r in rows]


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__, untyped


def _loads(text: str) -> Any:
    """json.loads for bodies this store wrote (json.dumps: no surrounding whitespace),
    without loads' wrapper layers: list pages decode many of them."""
    return _scan(text, 0)[0]


_CREATED_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class _NotNull:
    """A filter value matching any set column (`column IS NOT NULL`)."""


NOT_NULL: Any = _NotNull()


class Glob:
    """A filter value with `*` matching any run of characters (SQLite GLOB, case-sensitive)."""

    def __init__(self, pattern: str) -> None:
        # Only `*` is a wildcard: GLOB's `?` and `[` are escaped as one-character classes.
        self.pattern = pattern.replace("[", "[[]").replace("?", "[?]")


def _column(value: Any) -> Any:
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def _where(kind: str, filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses = ["kind = ?", "deleted = 0"]
    args: list[Any] = [kind]
    for column, value in filters.items():
        if column not in INDEXED:
            raise ValueError(f"not an indexed column: {column}")
        if value is None:
            clauses.append(f"{column} IS NULL")
        elif value is NOT_NULL:
            clauses.append(f"{column} IS NOT NULL")
        elif isinstance(value, Glob):
            clauses.append(f"{column} GLOB ?")
            args.append(value.pattern)
        elif isinstance(value, (list, tuple)):
            clauses.append(f"{column} IN ({', '.join('?' * len(value))})")
            args.extend(_column(v) for v in value)
        else:
            clauses.append(f"{column} = ?")
            args.append(_column(value))
    return " AND ".join(clauses), args
