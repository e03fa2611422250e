"""A receiver SIGKILLed in the middle of a burst, restarted, and Stripe's redeliveries:
no acknowledged event is lost, no finished hook runs again, every hook runs once in effect."""

from __future__ import annotations

import time
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

pytestmark = pytest.mark.slow  # receiver processes killed and restarted

INVOICES = 24
KILL_AFTER = 10  # deliveries answered before the kill
# Each run logs its start; its effect is idempotent by event id, as a real hook's should be.
HOOK = ('echo "$RECONCILER_EVENT_ID {name}" >> starts.log; grep -qx "$RECONCILER_EVENT_ID {name}" effects.log'
        ' 2>/dev/null || echo "$RECONCILER_EVENT_ID {name}" >> effects.log')
HOOKS = "hooks:\n" + "".join(
    f"  - name: {name}\n    events: [invoice.paid]\n    run: '{HOOK.format(name=name)}'\n" for name in ("confirm", "ledger")
)


def _lines(path: Path) -> Counter[str]:
    return Counter(path.read_text().splitlines()) if path.exists() else Counter()


def _journal_state(path: str) -> dict[str, list[str]]:
    journal = open_journal(path)
    try:
        events = journal.events()
    finally:
        journal.close()
    runs = [(f"{e.id} {r.name}", r.state) for e in events for r in e.hooks]
    return {
        "events": [e.id for e in events],
        "running": [run for run, state in runs if state == "running"],
        "done": [run for run, state in runs if state == "done"],
    }


def test_sigkill_mid_burst_then_restart_loses_nothing_and_reruns_nothing_finished(tmp_path: Path) -> None:
    (tmp_path / "hooks.yaml").write_text(HOOKS)
    journal = str(tmp_path / "journal.db")
    clock = [time.time()]  # the sandbox's, moved forward to make Stripe's retries due
    with start_sandbox(clock=lambda: clock[0], deliver_webhooks=False) as sandbox:
        client = sdk_client(sandbox.url)
        first = registered_receiver(tmp_path, sandbox, client, journal=journal, name="first")
        for _ in range(INVOICES):
            sandbox.pay(make_open(client).id, "succeeded")

        answered = [0]
        at_kill: dict[str, list[str]] = {}

        def post_then_kill(url: str, body: bytes, headers: dict[str, str]) -> int:
            if answered[0] == KILL_AFTER:
                first.kill()  # between two deliveries, with hooks of the first ten in flight
                at_kill.update(_journal_state(journal))
            answered[0] += 1
            return http_post(url, body, headers)

        sandbox.app.dispatcher.post = post_then_kill
        assert sandbox.deliver_webhooks() == INVOICES
        acknowledged = {d["event_id"] for d in sandbox.app.dispatcher.deliveries() if d["state"] == "delivered"}
        assert len(acknowledged) == KILL_AFTER
        assert acknowledged <= set(at_kill["events"])  # every acknowledged event was journaled first

        port = int(first.url.rsplit(":", 1)[1])
        second = start_receiver(tmp_path, name="second", api_base=sandbox.url, journal=journal, port=port,
                                secret_file=tmp_path / "secret", hooks=tmp_path / "hooks.yaml")  # fmt: skip
        try:
            sandbox.app.dispatcher.post = http_post
            clock[0] += 61  # Stripe's first retry is due a minute later
            assert sandbox.deliver_webhooks() == INVOICES - KILL_AFTER
            assert {d["state"] for d in sandbox.app.dispatcher.deliveries()} == {"delivered"}
            wait_until(lambda: len(_journal_state(journal)["done"]) == 2 * INVOICES, what="every hook run done")
        finally:
            second.terminate()
        paid = {e.id for e in client.v1.events.list({"type": "invoice.paid", "limit": 100}).data}

    final = _journal_state(journal)
    assert set(final["events"]) == paid and len(paid) == INVOICES
    expected = {f"{event} {hook}" for event in paid for hook in ("confirm", "ledger")}
    effects, starts = _lines(tmp_path / "effects.log"), _lines(tmp_path / "starts.log")
    assert set(effects) == expected and set(effects.values()) == {1}
    assert set(starts) == expected
    # Only a run in flight at the kill may have started twice; a finished one never ran again.
    assert {run for run, count in starts.items() if count > 1} <= set(at_kill["running"])
    assert all(starts[run] == 1 for run in at_kill["done"])
