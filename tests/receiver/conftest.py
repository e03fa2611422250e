"""Fixtures of the receiver tests: journals on SQLite and on a real PostgreSQL.

The PostgreSQL server is the `pgserver` package's (a real PostgreSQL 16 shipped
on PyPI, in the `test` extra), started once per session in a temporary folder;
each test gets a database of its own.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import stripe

from reconciler.receiver.journal import Journal, open_journal
from reconciler.sandbox import RunningSandbox

from .world import World, make_world

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URI of a PostgreSQL server's maintenance database.

    Its folder is outside pytest's private temporary root: run as root, pgserver
    runs PostgreSQL as its own system user, who must be able to reach the folder.
    The path stays short: the server's Unix socket lives there.
    """
    folder = Path(tempfile.mkdtemp(prefix="reconciler-pg-"))
    folder.chmod(0o755)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
        import pgserver

        server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's server."""
    import psycopg

    name = f"journal_{next(_databases)}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.replace("/postgres?", f"/{name}?", 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def journal_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A journal location on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.db")
    return str(request.getfixturevalue("postgres_url"))


def wait_for_worker_locks(target: str, *, count: int, within: float = 30.0) -> None:
    """Wait until exactly `count` workers hold their liveness lock (a no-op on SQLite).

    A closed PostgreSQL connection's backend exits, and drops its session
    advisory locks, a moment after the client has gone: on a loaded machine the
    survivor's next claim could still see the dead worker as alive.
    """
    if not target.startswith(("postgresql://", "postgres://")):
        return
    import psycopg

    deadline = time.monotonic() + within
    with psycopg.connect(target, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                               " AND objsubid = 1 AND database = (SELECT oid FROM pg_database"
                               " WHERE datname = current_database())").fetchone()
            if row is not None and row[0] == count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{row[0] if row else '?'} worker locks held after {within} s, expected {count}")
            time.sleep(0.01)


@pytest.fixture
def journals(journal_target: str) -> Iterator[Callable[[], Journal]]:
    """Open journals on the same target (closed after the test)."""
    opened: list[Journal] = []

    def open_one() -> Journal:
        journal = open_journal(journal_target)
        opened.append(journal)
        return journal

    yield open_one
    for journal in opened:
        journal.close()


@pytest.fixture
def world(tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> Iterator[World]:
    """Applied specs with three sent invoices, a registered endpoint and a receiver serving it."""
    made = make_world(tmp_path, sandbox, stripe_client)
    made.start_receiver()
    yield made
    made.stop()
