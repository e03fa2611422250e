"""The hook runner on an injected clock: per-(event, hook) state, retries with backoff, dead hooks,
timeouts, and invoice state read from Stripe before a hook runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.payments import GatewayInvoices
from reconciler.receiver.event import parse_event
from reconciler.receiver.hooks import HookSet, load_hooks
from reconciler.receiver.journal import Journal, open_journal
from reconciler.receiver.runner import HookRunner
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox, start_sandbox
from tests.sandbox.helpers import make_open

from .builders import received

LOG = 'echo "$RECONCILER_HOOK_NAME $RECONCILER_EVENT_ID $RECONCILER_HOOK_ATTEMPT $RECONCILER_INVOICE_STATUS" >> runs.log'
HOOKS = f"""\
hooks:
  - name: steady
    events: [invoice.paid, invoice.payment_failed]
    run: '{LOG}'
  - name: flaky
    events: [invoice.paid]
    run: '{LOG}; test "$RECONCILER_HOOK_ATTEMPT" -ge 3 || {{ echo "mail server down" >&2; exit 75; }}'
  - name: broken
    events: [invoice.paid]
    run: '{LOG}; echo boom >&2; exit 3'
    attempts: 2
  - name: slow
    events: [invoice.voided]
    run: sleep 5
    timeout: 1
    attempts: 1
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hooks(tmp_path: Path) -> HookSet:
    (tmp_path / "hooks.yaml").write_text(HOOKS)
    return load_hooks(tmp_path / "hooks.yaml")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    opened = open_journal(str(tmp_path / "journal.db"))
    yield opened
    opened.close()


@pytest.fixture
def runner(journal: Journal, hooks: HookSet, sandbox: RunningSandbox) -> HookRunner:
    invoices = GatewayInvoices(StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url))
    return HookRunner(journal, hooks, invoices, clock=Clock(), concurrency=1)


def _runs(folder: Path) -> list[str]:
    log = folder / "runs.log"
    return log.read_text().splitlines() if log.exists() else []


def _states(journal: Journal) -> dict[str, tuple[str, int, str | None]]:
    (event,) = journal.events()
    return {run.name: (run.state, run.attempts, run.last_error) for run in event.hooks}


def test_a_failing_hook_is_retried_with_backoff_without_rerunning_the_others(
    tmp_path: Path, journal: Journal, hooks: HookSet, runner: HookRunner, stripe_client: stripe.StripeClient
) -> None:
    invoice = make_open(stripe_client)
    clock = runner.clock
    assert isinstance(clock, Clock)
    journal.record([received("evt_1", object_id=invoice.id)], hooks.for_event, now=clock.now, source="webhook")
    assert runner.run_due() == 3
    assert _states(journal) == {
        "steady": ("done", 1, None),
        "flaky": ("failed", 1, "exit 75: mail server down"),
        "broken": ("failed", 1, "exit 3: boom"),
    }
    clock.now += 29
    assert runner.run_due() == 0  # the first retry waits 30 s
    clock.now += 1
    assert runner.run_due() == 2
    assert _states(journal)["broken"] == ("dead", 2, "exit 3: boom")  # attempts: 2, then dead
    clock.now += 119
    assert runner.run_due() == 0  # the second retry waits 120 s
    clock.now += 1
    assert runner.run_due() == 1
    assert _states(journal) == {
        "steady": ("done", 1, None), "flaky": ("done", 3, None), "broken": ("dead", 2, "exit 3: boom"),
    }  # fmt: skip
    clock.now += 86_400
    assert runner.run_due() == 0
    # The invoice is open in Stripe, whatever the event body said.
    assert sorted(_runs(tmp_path)) == [
        "broken evt_1 1 open", "broken evt_1 2 open",
        "flaky evt_1 1 open", "flaky evt_1 2 open", "flaky evt_1 3 open",
        "steady evt_1 1 open",
    ]  # fmt: skip


def test_a_hook_past_its_timeout_is_killed_and_counts_as_failed(
    journal: Journal, hooks: HookSet, runner: HookRunner, stripe_client: stripe.StripeClient
) -> None:
    invoice = make_open(stripe_client)
    journal.record([received("evt_1", "invoice.voided", object_id=invoice.id)], hooks.for_event, now=0.0,
                   source="webhook")  # fmt: skip
    assert runner.run_due() == 1
    assert _states(journal) == {"slow": ("dead", 1, "timed out after 1s")}


def test_an_unreadable_invoice_is_a_failed_attempt_and_no_hook_runs(
    tmp_path: Path, journal: Journal, hooks: HookSet, runner: HookRunner
) -> None:
    journal.record([received("evt_1", "invoice.payment_failed", object_id="in_missing")], hooks.for_event,
                   now=0.0, source="webhook")  # fmt: skip
    assert runner.run_due() == 1
    state, attempts, error = _states(journal)["steady"]
    assert (state, attempts) == ("failed", 1)
    assert error == ("cannot read the invoice from Stripe: Stripe rejected the request (404, resource_missing): "
                     "No such invoice: 'in_missing' [param: id]")
    assert _runs(tmp_path) == []


def test_events_out_of_order_in_one_second_never_move_the_recorded_state_back(
    tmp_path: Path, journal: Journal, hooks: HookSet
) -> None:
    with start_sandbox(clock=lambda: 1_800_000_000.0, deliver_webhooks=False) as frozen:
        client = sdk_client(frozen.url)
        gateway = StripeGateway(SANDBOX_API_KEY, api_base=frozen.url)
        runner = HookRunner(journal, hooks, GatewayInvoices(gateway), clock=Clock(), concurrency=1)
        invoice = make_open(client)
        frozen.pay(invoice.id, "failed")
        frozen.pay(invoice.id, "succeeded")
        by_type = {e["type"]: e for e in gateway.request("GET", "/v1/events", {"limit": 100})["data"]}
        failed, paid = by_type["invoice.payment_failed"], by_type["invoice.paid"]
        assert failed["created"] == paid["created"]
        # Stripe delivers the success before the failure.
        for event in (paid, failed):
            journal.record([parse_event(json.dumps(event).encode())], hooks.for_event, now=0.0, source="webhook")
        runner.run_due()
    recorded = journal.recorded_invoices()[invoice.id]
    assert (recorded.status, recorded.amount_remaining, recorded.event_id) == ("paid", 0, paid["id"])
    # The late failure's hook learns the invoice is paid after all.
    assert f"steady {failed['id']} 1 paid" in _runs(tmp_path)
    assert journal.last_payment_events()[invoice.id].id == paid["id"]
