"""The sandbox's database file: one holder at a time, and only a sandbox file
of a known schema (foreign files refused untouched, old ones migrated)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reconciler.sandbox import dbfile
from reconciler.sandbox.dbfile import APPLICATION_ID, SCHEMA_VERSION, FileInUse, SandboxFileError
from reconciler.sandbox.store import _SCHEMA, Store


def _stamp(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        return (conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_new_file_is_stamped_with_the_schema_version(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    Store(str(db)).close()
    assert _stamp(db) == (APPLICATION_ID, SCHEMA_VERSION)


def test_a_file_from_before_the_stamp_is_migrated_with_its_data(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(_SCHEMA)
        conn.execute("INSERT INTO objects(id, kind, seq, created, body) VALUES ('cus_1', 'customer', 1, 0, '{\"id\":\"cus_1\"}')")
    assert _stamp(db) == (0, 0)
    store = Store(str(db))
    with store.transaction() as tx:
        assert tx.get("customer", "cus_1") == ({"id": "cus_1"}, False)
    store.close()
    assert _stamp(db) == (APPLICATION_ID, SCHEMA_VERSION)


def test_a_file_of_another_program_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes(text TEXT)")
    before = db.read_bytes()
    with pytest.raises(SandboxFileError) as caught:
        Store(str(db))
    assert str(caught.value) == (
        f"cannot use sandbox database {db}: it is not a sandbox database (an SQLite file of another program?)"
    )
    assert db.read_bytes() == before


def test_a_file_of_a_newer_sandbox_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "newer.db"
    Store(str(db)).close()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SandboxFileError) as caught:
        Store(str(db))
    assert caught.value.detail == (
        f"it was written by a newer reconciler (schema {SCHEMA_VERSION + 1}; this one knows {SCHEMA_VERSION})"
    )


def test_a_second_holder_is_refused_and_told_who_holds_it(tmp_path: Path) -> None:
    db = tmp_path / "held.db"
    first = Store(str(db), holder="the first store")
    with pytest.raises(FileInUse) as caught:
        Store(str(db), holder="the second store")
    assert "it is in use by the first store;" in str(caught.value)
    first.describe_holder("the first store, now serving http://127.0.0.1:1")
    with pytest.raises(FileInUse) as caught:
        Store(str(db))
    assert "in use by the first store, now serving http://127.0.0.1:1;" in str(caught.value)
    first.close()
    Store(str(db)).close()  # released on close


def test_migrations_cover_every_older_version() -> None:
    assert sorted(dbfile.MIGRATIONS) == list(range(SCHEMA_VERSION))
