"""`reconciler webhook events|replay|catch-up|serve` through the CLI against the sandbox."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import stripe

from reconciler.receiver.journal import open_journal
from reconciler.sandbox import RunningSandbox

from .world import World, cli, on, wait_until


def _paid_event(world: World, invoice_id: str) -> str:
    found = [e.id for e in world.client.v1.events.list({"type": "invoice.paid", "limit": 100}).data
             if e.data.object["id"] == invoice_id]  # fmt: skip
    return found[0]


def test_events_lists_each_hooks_state_and_attempts(world: World) -> None:
    ada = world.invoices["ada-2026-11"]
    world.sandbox.pay(ada, "succeeded")
    wait_until(lambda: world.settled(1), what="the confirmation")
    event_id = _paid_event(world, ada)
    listed = cli("webhook", "events", "--journal", world.journal, "--format", "json")
    assert listed.exit_code == 0, listed.output
    (event,) = json.loads(listed.output)
    assert (event["id"], event["type"], event["source"], event["invoice_id"]) == (event_id, "invoice.paid", "webhook", ada)
    assert event["received_at"].endswith("Z")
    created = world.client.v1.events.retrieve(event_id).created
    assert event["created"] == dt.datetime.fromtimestamp(created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert event["hooks"] == [{"name": "confirm-order", "state": "done", "attempts": 1, "next_attempt_at": None,
                               "last_error": None}]  # fmt: skip
    text = cli("webhook", "events", "--journal", world.journal).output
    assert text.splitlines()[1] == "    confirm-order: done, 1 attempt"
    assert cli("webhook", "events", "--journal", world.journal, "--state", "dead").output == "No events in the journal.\n"


def test_replay_runs_an_events_hooks_again_on_purpose(world: World) -> None:
    ada = world.invoices["ada-2026-11"]
    world.sandbox.pay(ada, "succeeded")
    wait_until(lambda: world.settled(1), what="the confirmation")
    event_id = _paid_event(world, ada)
    replayed = cli("webhook", "replay", event_id, "--journal", world.journal, "--hooks",
                   str(world.folder / "hooks.yaml"), *on(world.sandbox))  # fmt: skip
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output == f"{event_id} confirm-order: done\n"
    assert [run[:2] for run in world.runs()] == [("confirm-order", event_id)] * 2
    missing = cli("webhook", "replay", "evt_nope", "--journal", world.journal, "--hooks",
                  str(world.folder / "hooks.yaml"), *on(world.sandbox))  # fmt: skip
    assert (missing.exit_code, missing.output) == (1, "error: event evt_nope is not in the journal\n")


def test_replay_of_a_hook_that_fails_exits_1(world: World) -> None:
    ada = world.invoices["ada-2026-11"]
    world.sandbox.pay(ada, "succeeded")
    wait_until(lambda: world.settled(1), what="the confirmation")
    event_id = _paid_event(world, ada)
    failing = world.folder / "failing.yaml"
    failing.write_text("hooks:\n  - name: confirm-order\n    events: [invoice.paid]\n    run: exit 3\n    attempts: 1\n")
    replayed = cli("webhook", "replay", event_id, "--journal", world.journal, "--hooks", str(failing),
                   *on(world.sandbox))  # fmt: skip
    assert replayed.exit_code == 1
    assert replayed.output.splitlines()[-1] == "error: 1 of 1 hooks did not succeed: confirm-order"


def test_catch_up_journals_and_handles_what_the_receiver_missed(world: World) -> None:
    ada, bob, cyd = (world.invoices[key] for key in ("ada-2026-11", "bob-2026-11", "cyd-2026-11"))
    world.sandbox.pay(ada, "succeeded")
    wait_until(lambda: world.settled(1), what="the first confirmation")
    world.stop()  # downtime: Stripe's deliveries now fail and wait for their retry
    world.sandbox.pay(bob, "succeeded")
    world.sandbox.pay(cyd, "failed")
    hooks = str(world.folder / "hooks.yaml")
    caught = cli("webhook", "catch-up", "--journal", world.journal, "--hooks", hooks, *on(world.sandbox))
    assert caught.exit_code == 0, caught.output
    assert caught.output == "caught up: 3 events listed, 2 new, 2 hook runs\n"
    assert sorted((run[0], run[3]) for run in world.runs()) == sorted([
        ("confirm-order", ada), ("confirm-order", bob), ("retry-offer", cyd)
    ])  # fmt: skip
    assert {e.source for e in world.events()} == {"webhook", "catch-up"}
    again = cli("webhook", "catch-up", "--journal", world.journal, "--hooks", hooks, *on(world.sandbox))
    # It looks back from the newest journaled event (same second included): nothing new, nothing run.
    assert again.output.endswith(" events listed, 0 new, 0 hook runs\n")


def test_commands_on_a_journal_refuse_a_path_that_holds_none(tmp_path: Path, sandbox: RunningSandbox) -> None:
    # A mistyped --journal must not become a new, empty journal: catch-up would
    # run the hooks again for events the real journal handled already.
    (tmp_path / "hooks.yaml").write_text("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: 'true'\n")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)").connection.commit()
    before = other.read_bytes()
    typo = tmp_path / "nodir" / "jounral.db"
    refusals = {
        str(typo): f"journal {typo} does not exist: nothing was journaled there (check --journal; "
                   "`webhook serve` creates it)",
        str(other): f"journal {other} is not a reconciler journal (another file? check --journal)",
        str(tmp_path): f"journal {tmp_path} is a directory, not a journal file",
    }  # fmt: skip
    hooks = ["--hooks", str(tmp_path / "hooks.yaml")]
    for journal, message in refusals.items():
        for args in (["webhook", "events", "--journal", journal],
                     ["webhook", "replay", "evt_1", "--journal", journal, *hooks, *on(sandbox)],
                     ["webhook", "catch-up", "--journal", journal, "--since", "1d", *hooks, *on(sandbox)],
                     ["status", "--journal", journal, *on(sandbox)]):  # fmt: skip
            result = cli(*args)
            assert (result.exit_code, result.output) == (1, f"error: {message}\n"), args
    assert not typo.parent.exists()
    assert other.read_bytes() == before


def test_catch_up_on_an_empty_journal_needs_since(tmp_path: Path, sandbox: RunningSandbox) -> None:
    (tmp_path / "hooks.yaml").write_text("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: 'true'\n")
    open_journal(str(tmp_path / "j.db")).close()  # as `webhook serve` leaves it before its first event
    args = ["webhook", "catch-up", "--journal", str(tmp_path / "j.db"), "--hooks", str(tmp_path / "hooks.yaml"),
            *on(sandbox)]  # fmt: skip
    empty = cli(*args)
    assert (empty.exit_code, empty.output) == (
        1, "error: the journal is empty: pass --since (a date, or e.g. 7d) to say how far back to look\n"
    )  # fmt: skip
    assert cli(*args, "--since", "7d").output == "caught up: 0 events listed, 0 new, 0 hook runs\n"
    bad = cli(*args, "--since", "last tuesday")
    assert bad.output == (
        "error: --since 'last tuesday': expected a date (2026-11-01), a UTC time or a duration (12h, 7d)\n"
    )


def test_serve_refuses_bad_setups_in_one_line(tmp_path: Path, sandbox: RunningSandbox) -> None:
    serve = ["webhook", "serve", "--port", "0", "--journal", str(tmp_path / "j.db"), *on(sandbox)]
    assert cli(*serve).output == "error: no webhook signing secret: pass --secret-file FILE or set STRIPE_WEBHOOK_SECRET\n"
    secret = tmp_path / "secret"
    secret.write_text("# rolled on 2026-11-01\nwhsec_0123456789abcdef, sk_test_oops_not_a_secret\n")
    wrong = cli(*serve, "--secret-file", str(secret))
    assert wrong.output == f"error: {secret}:2: not a Stripe webhook signing secret (expected whsec_…)\n"
    assert "sk_test_oops" not in wrong.output
    env_wrong = cli(*serve, env={"STRIPE_WEBHOOK_SECRET": "hunter2"})
    assert env_wrong.output == "error: STRIPE_WEBHOOK_SECRET: not a Stripe webhook signing secret (expected whsec_…)\n"
    hooks = tmp_path / "hooks.yaml"
    hooks.write_text("hooks:\n  - name: confirm\n    events: [invoice.payed]\n    run: ./confirm.sh\n")
    typo = cli(*serve, "--hooks", str(hooks), env={"STRIPE_WEBHOOK_SECRET": "whsec_0123456789abcdef"})
    assert typo.output == (
        f"{hooks}:3:14: hook confirm: unknown event type 'invoice.payed' (did you mean 'invoice.paid'?)\n"
    )
    assert typo.exit_code == 1


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path, sandbox: RunningSandbox) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("webhook", "serve", "--port", str(port), "--journal", str(tmp_path / "j.db"), *on(sandbox),
                     env={"STRIPE_WEBHOOK_SECRET": "whsec_0123456789abcdef"})  # fmt: skip
    assert (result.exit_code, result.output) == (1, f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n")


def test_register_refuses_an_existing_secret_file_and_writes_nothing_to_stripe(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    (tmp_path / "hooks.yaml").write_text("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: 'true'\n")
    secret = tmp_path / "secret"
    secret.write_text("whsec_keepme0000\n")
    result = cli("webhook", "register", "--url", "https://example.com/hook", "--secret-file", str(secret),
                 "--hooks", str(tmp_path / "hooks.yaml"), *on(sandbox))  # fmt: skip
    assert (result.exit_code, result.output) == (
        1, f"error: {secret} exists: choose a new file for the new secret (never overwritten)\n"
    )  # fmt: skip
    assert secret.read_text() == "whsec_keepme0000\n"
    assert stripe_client.v1.webhook_endpoints.list().data == []


def test_a_postgres_journal_url_never_shows_its_password(tmp_path: Path) -> None:
    port = "1"  # nothing listens there: the connection fails, and its message is shown
    for url, shown in (
        (f"postgresql://bob:hunter3@127.0.0.1:{port}/x", f"postgresql://bob:***@127.0.0.1:{port}/x"),
        (f"postgresql:///x?password=hunter3&host=127.0.0.1&port={port}", f"postgresql:///x?password=***&host=127.0.0.1&port={port}"),
    ):  # fmt: skip
        result = cli("webhook", "events", "--journal", url)
        assert result.exit_code == 1
        assert result.output.startswith(f"error: cannot open journal {shown}: "), result.output
        assert "hunter3" not in result.output and len(result.output.splitlines()) == 1


def test_a_malformed_postgres_journal_url_is_one_line() -> None:
    result = cli("webhook", "events", "--journal", "postgresql://bob:pw@[::1")
    assert (result.exit_code, result.output) == (1, "error: journal URL is not valid: Invalid IPv6 URL\n")
