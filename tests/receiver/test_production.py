"""`reconciler webhook serve` as a deployed process: what its hooks inherit, how it stops."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

import stripe

from reconciler.gateway.client import StripeGateway
from reconciler.receiver.commands import replay_in
from reconciler.receiver.hooks import load_hooks
from reconciler.receiver.journal import open_journal
from reconciler.receiver.journal.sqlite import SQLiteJournal
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from reconciler.sandbox.delivery import http_post
from tests.sandbox.helpers import make_open

from .processes import registered_receiver, start_receiver
from .world import wait_until


def _runs(journal: str) -> list[tuple[str, str, str, int]]:
    """(event, hook, state, attempts) of every run in the journal."""
    opened = open_journal(journal)
    try:
        return [(e.id, r.name, r.state, r.attempts) for e in opened.events() for r in e.hooks]
    finally:
        opened.close()


def test_hooks_get_a_minimal_environment_without_the_receivers_secrets(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    (tmp_path / "hooks.yaml").write_text(
        "hooks:\n  - name: dump\n    events: [invoice.paid]\n    run: env > env.txt\n    pass_env: [SHOP_DB]\n"
    )
    journal = str(tmp_path / "journal.db")
    secrets = {"STRIPE_API_KEY": "sk_test_writecapable", "STRIPE_WEBHOOK_SECRET": "whsec_0123456789abcdef",
               "STRIPE_API_BASE": sandbox.url, "AWS_SECRET_ACCESS_KEY": "aws-secret"}  # fmt: skip
    receiver = registered_receiver(tmp_path, sandbox, stripe_client, journal=journal, name="receiver",
                                   env={**secrets, "SHOP_DB": "postgresql:///shop", "LANG": "C.UTF-8"})  # fmt: skip
    try:
        invoice = make_open(stripe_client)
        sandbox.pay(invoice.id, "succeeded")
        wait_until(lambda: [run[2] for run in _runs(journal)] == ["done"], what="the hook run")
    finally:
        receiver.terminate()
    env = dict(line.split("=", 1) for line in (tmp_path / "env.txt").read_text().splitlines() if "=" in line)
    (event_id,) = {run[0] for run in _runs(journal)}
    # The shell itself adds PWD, SHLVL and `_`; everything else is the documented list.
    system = {name for name in ("HOME", "USER", "LOGNAME", "TZ", "TMPDIR", "LC_ALL", "LC_CTYPE") if name in os.environ}
    assert set(env) - {"PWD", "SHLVL", "_"} == system | {
        "LANG", "PATH", "SHOP_DB", "RECONCILER_EVENT_ID", "RECONCILER_EVENT_TYPE", "RECONCILER_OBJECT_ID",
        "RECONCILER_INVOICE_ID", "RECONCILER_INVOICE_KEY", "RECONCILER_INVOICE_STATUS", "RECONCILER_HOOK_NAME",
        "RECONCILER_HOOK_ATTEMPT", "RECONCILER_HOSTED_INVOICE_URL", "RECONCILER_ATTEMPT_COUNT"}  # fmt: skip
    assert (env["RECONCILER_EVENT_ID"], env["RECONCILER_INVOICE_ID"], env["SHOP_DB"]) == (
        event_id, invoice.id, "postgresql:///shop")  # fmt: skip
    text = (tmp_path / "env.txt").read_text()
    assert not any(value in text for value in secrets.values())



# Logs its start, waits for the test's go-ahead (a file), then records its effect.
BLOCKING_HOOK = ('echo "$RECONCILER_EVENT_ID" >> starts.log; while [ ! -e release ]; do sleep 0.05; done;'
                 ' echo "$RECONCILER_EVENT_ID" >> effects.log')


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _refused(url: str) -> bool:
    return http_post(url + "/webhook", b"{}", {}) == 0  # 0: the connection was refused


def test_sigterm_stops_accepting_lets_the_running_hook_finish_and_exits_0(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    (tmp_path / "hooks.yaml").write_text(f"hooks:\n  - name: ship\n    events: [invoice.paid]\n    run: '{BLOCKING_HOOK}'\n")
    journal = str(tmp_path / "journal.db")
    receiver = registered_receiver(tmp_path, sandbox, stripe_client, journal=journal, name="first")
    try:
        sandbox.pay(make_open(stripe_client).id, "succeeded")
        wait_until(lambda: len(_lines(tmp_path / "starts.log")) == 1, what="the hook to start")
        receiver.process.send_signal(signal.SIGTERM)
        wait_until(lambda: _refused(receiver.url), what="the receiver to stop accepting")
        assert receiver.process.poll() is None  # still there: the hook is running
        (tmp_path / "release").touch()
        assert receiver.process.wait(timeout=60) == 0
    finally:
        receiver.terminate()
    (first_event,) = _lines(tmp_path / "starts.log")
    assert _runs(journal) == [(first_event, "ship", "done", 1)]
    assert _lines(tmp_path / "effects.log") == [first_event]
    assert "SIGTERM: no new connections; running hooks get up to 25s to finish" in receiver.log.read_text()

    port = int(receiver.url.rsplit(":", 1)[1])
    again = start_receiver(tmp_path, name="second", api_base=sandbox.url, journal=journal, port=port,
                           secret_file=tmp_path / "secret", hooks=tmp_path / "hooks.yaml")  # fmt: skip
    try:
        sandbox.pay(make_open(stripe_client).id, "succeeded")
        wait_until(lambda: len(_lines(tmp_path / "effects.log")) == 2, what="the next event's hook")
    finally:
        again.terminate()
    # The finished run did not run again after the restart; only the new event's did.
    starts = _lines(tmp_path / "starts.log")
    assert starts.count(first_event) == 1 and len(starts) == 2


def test_a_hook_still_running_when_the_grace_period_ends_is_stopped_and_runs_at_the_next_start(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    (tmp_path / "hooks.yaml").write_text(f"hooks:\n  - name: ship\n    events: [invoice.paid]\n    run: '{BLOCKING_HOOK}'\n")
    journal = str(tmp_path / "journal.db")
    receiver = registered_receiver(tmp_path, sandbox, stripe_client, journal=journal, name="first",
                                   options=("--grace", "1"))  # fmt: skip
    try:
        sandbox.pay(make_open(stripe_client).id, "succeeded")
        wait_until(lambda: len(_lines(tmp_path / "starts.log")) == 1, what="the hook to start")
        receiver.process.send_signal(signal.SIGINT)
        assert receiver.process.wait(timeout=60) == 0
    finally:
        receiver.terminate()
    (event_id,) = _lines(tmp_path / "starts.log")
    assert _runs(journal) == [(event_id, "ship", "failed", 1)]
    assert "stopping now: killed 1 running hook command(s)" in receiver.log.read_text()
    assert _lines(tmp_path / "effects.log") == []

    (tmp_path / "release").touch()
    again = start_receiver(tmp_path, name="second", api_base=sandbox.url, journal=journal,
                           secret_file=tmp_path / "secret", hooks=tmp_path / "hooks.yaml")  # fmt: skip
    try:
        wait_until(lambda: _runs(journal) == [(event_id, "ship", "done", 2)], what="the run, due again at once")
    finally:
        again.terminate()
    assert _lines(tmp_path / "effects.log") == [event_id]


class _ReceiverTakesTheReplay(SQLiteJournal):
    """The journal `replay` uses, as it is when a running receiver claims the replayed run first:
    once the run is pending again, the receiver (a real process) starts it, then the hook may finish."""

    def replay(self, event_id: str, hooks: Sequence[str], *, now: float) -> list[str]:
        names = super().replay(event_id, hooks, now=now)
        wait_until(lambda: [run.state for run in self.event_runs(event_id)] == ["running"],
                   what="the receiver to claim the replayed run")  # fmt: skip
        (self.path.parent / "release").touch()
        return names


def test_replay_reports_the_outcome_of_a_run_the_running_receiver_completed(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    (tmp_path / "hooks.yaml").write_text(f"hooks:\n  - name: ship\n    events: [invoice.paid]\n    run: '{BLOCKING_HOOK}'\n")
    (tmp_path / "release").touch()
    journal = str(tmp_path / "journal.db")
    receiver = registered_receiver(tmp_path, sandbox, stripe_client, journal=journal, name="receiver")
    opened = _ReceiverTakesTheReplay(journal)
    try:
        sandbox.pay(make_open(stripe_client).id, "succeeded")
        wait_until(lambda: [run[2] for run in _runs(journal)] == ["done"], what="the first run")
        (event_id,) = _lines(tmp_path / "effects.log")
        (tmp_path / "release").unlink()
        gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
        runs = replay_in(opened, gateway, event_id, hooks=load_hooks(tmp_path / "hooks.yaml"))
    finally:
        opened.close()
        receiver.terminate()
    assert [(run.name, run.state, run.attempts) for run in runs] == [("ship", "done", 1)]
    # Run twice in all: once for the event, once replayed (by the receiver, not by the command).
    assert _lines(tmp_path / "starts.log") == [event_id, event_id]
    assert _lines(tmp_path / "effects.log") == [event_id, event_id]
