"""Two receivers behind a load balancer, one PostgreSQL journal (a real server):
a burst split between them, some events delivered to both, each hook runs exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sdk_client import sdk_client

from reconciler.receiver.journal import open_journal
from reconciler.sandbox import start_sandbox
from reconciler.sandbox.delivery import http_post
from tests.sandbox.helpers import make_open

from .processes import registered_receiver, start_receiver
from .world import wait_until

pytestmark = pytest.mark.slow  # two receiver processes on PostgreSQL

INVOICES = 30
HOOKS = "hooks:\n" + "".join(
    f"  - name: {name}\n    events: [invoice.paid]\n    run: 'echo \"$RECONCILER_EVENT_ID {name}\" >> runs.log'\n"
    for name in ("confirm", "ledger")
)


def _done(journal_url: str) -> int:
    journal = open_journal(journal_url)
    try:
        return sum(1 for event in journal.events() for run in event.hooks if run.state == "done")
    finally:
        journal.close()


def test_two_replicas_share_a_postgresql_journal_and_run_each_hook_once(tmp_path: Path, postgres_url: str) -> None:
    (tmp_path / "hooks.yaml").write_text(HOOKS)
    with start_sandbox(deliver_webhooks=False) as sandbox:
        client = sdk_client(sandbox.url)
        first = registered_receiver(tmp_path, sandbox, client, journal=postgres_url, name="first")
        second = start_receiver(tmp_path, name="second", api_base=sandbox.url, journal=postgres_url,
                                secret_file=tmp_path / "secret", hooks=tmp_path / "hooks.yaml")  # fmt: skip
        try:
            for _ in range(INVOICES):
                sandbox.pay(make_open(client).id, "succeeded")
            answers: Counter[tuple[str, int]] = Counter()
            replicas = (first.url, second.url)
            turn = [0]

            def load_balance(url: str, body: bytes, headers: dict[str, str]) -> int:
                """Round robin; every third event also reaches the other replica first (a retry elsewhere)."""
                n = turn[0]
                turn[0] += 1
                target, other = replicas[n % 2], replicas[(n + 1) % 2]
                path = url.split("/", 3)[3]
                if n % 3 == 0:
                    answers[(other, http_post(f"{other}/{path}", body, headers))] += 1
                status = http_post(f"{target}/{path}", body, headers)
                answers[(target, status)] += 1
                return status

            sandbox.app.dispatcher.post = load_balance
            assert sandbox.deliver_webhooks() == INVOICES
            wait_until(lambda: _done(postgres_url) == 2 * INVOICES, what="every hook run done")
        finally:
            first.terminate()
            second.terminate()
        paid = {e.id for e in client.v1.events.list({"type": "invoice.paid", "limit": 100}).data}

    assert answers == {(first.url, 200): 20, (second.url, 200): 20}  # 30 deliveries + 10 duplicates
    runs = Counter((tmp_path / "runs.log").read_text().splitlines())
    assert set(runs.values()) == {1}
    assert set(runs) == {f"{event} {hook}" for event in paid for hook in ("confirm", "ledger")}
