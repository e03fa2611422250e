"""A file database keeps everything across restarts and many concurrent writers."""

from __future__ import annotations

import threading
from pathlib import Path

import stripe
from sdk_client import sdk_client

from reconciler.sandbox import start_sandbox

from .helpers import make_open


def _client(url: str) -> stripe.StripeClient:
    return sdk_client(url)


def test_restart_keeps_state_and_idempotency(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    with start_sandbox(db) as first:
        client = _client(first.url)
        invoice = make_open(client)
        customer = client.v1.customers.create({"name": "Kept"}, {"idempotency_key": "persist"})
    with start_sandbox(db) as second:
        client = _client(second.url)
        assert client.v1.invoices.retrieve(invoice.id).number == invoice.number
        replay = client.v1.customers.create({"name": "Kept"}, {"idempotency_key": "persist"})
        assert replay.id == customer.id
        fresh = client.v1.customers.create({"name": "New"})
        assert fresh.id not in {customer.id, invoice.customer}
        assert len(client.v1.customers.list().data) == 3


def test_concurrent_writers_all_land(tmp_path: Path) -> None:
    with start_sandbox(str(tmp_path / "busy.db")) as sandbox:
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                client = _client(sandbox.url)
                for i in range(10):
                    client.v1.customers.create({"name": f"w{n}-{i}"})
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        names = [c.name for c in _client(sandbox.url).v1.customers.list({"limit": 100}).auto_paging_iter()]
        assert sorted(names) == sorted(f"w{n}-{i}" for n in range(8) for i in range(10))
