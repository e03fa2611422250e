"""`reconciler sandbox` as a user runs it: a separate process, killed hard, restarted."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import stripe
from sdk_client import sdk_client

pytestmark = pytest.mark.slow  # sandbox server processes


@contextmanager
def sandbox_process(*args: str) -> Iterator[str]:
    """Start `reconciler sandbox --port 0 ARGS`; yield its URL; SIGKILL it afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # blocks until the server listens
        assert line.startswith("sandbox listening on http://127.0.0.1:"), line
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def client(url: str) -> stripe.StripeClient:
    return sdk_client(url)


def test_killed_sandbox_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    with sandbox_process("--db", db) as url:
        first = client(url)
        created = [first.v1.customers.create(params={"name": f"c{n}"}).id for n in range(20)]
        invoice = first.v1.invoices.create(params={"customer": created[0], "collection_method": "send_invoice",
                                                   "days_until_due": 7})
        first.v1.invoice_items.create(params={"customer": created[0], "invoice": invoice.id, "amount": 500,
                                              "currency": "usd"})
        first.v1.invoices.finalize_invoice(invoice.id)
    with sandbox_process("--db", db) as url:
        second = client(url)
        listed = [c.id for c in second.v1.customers.list(params={"limit": 100}).data]
        assert sorted(listed) == sorted(created)
        reread = second.v1.invoices.retrieve(invoice.id)
        assert (reread.status, reread.total, reread.number is not None) == ("open", 500, True)


def test_fault_flags_reach_the_server(tmp_path: Path) -> None:
    with sandbox_process("--error-rate", "1") as url:
        with pytest.raises(stripe.APIError) as failure:
            client(url).v1.customers.list()
        assert failure.value.http_status == 500
