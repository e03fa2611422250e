"""Exactly once under faults, concurrency and a half-finished send."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe

from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import NullReporter
from reconciler.apply.runner import apply_plan
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.ownership import SEND_DONE, SEND_KEY, SEND_REQUESTED
from reconciler.plan.actions import SendInvoice
from reconciler.plan.plan import Plan
from reconciler.plan.planner import make_plan
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from reconciler.spec.loader import load_specs

from .helpers import (
    FakeClock,
    duplicates,
    fast_options,
    gateway_for,
    object_counts,
    overlapping_applies,
    plan_and_apply,
    remaining_actions,
    sent_events,
    write_specs,
)

SPECS = """
products:
  gold: {name: Gold}
prices:
  gold-usd: {product: gold, unit_amount: 1000, currency: usd}
customers:
  c1: {name: One, email: one@example.com}
  c2: {name: Two, email: two@example.com}
  c3: {name: Three, email: three@example.com}
invoices:
  i1:
    customer: c1
    collection_method: send_invoice
    days_until_due: 30
    status: sent
    items:
      - {price: gold-usd, quantity: 2}
      - {key: fee, description: Fee, amount: 300, currency: usd}
  i2:
    customer: c2
    collection_method: send_invoice
    days_until_due: 30
    status: sent
    items: [{price: gold-usd}]
  i3:
    customer: c3
    collection_method: send_invoice
    days_until_due: 30
    status: paid
    items: [{price: gold-usd}]
"""
EXPECTED_COUNTS = {
    "/v1/products": 1,
    "/v1/prices": 1,
    "/v1/customers": 3,
    "/v1/invoices": 3,
    "/v1/invoiceitems": 4,
}


def _assert_exactly_the_specs(sandbox: RunningSandbox, specs: Path) -> None:
    sandbox.set_faults(latency_ms=0, rate_limit_rps=None, error_rate=0.0, lose_response_rate=0.0)
    gateway = gateway_for(sandbox)
    assert remaining_actions(gateway, specs) == []
    assert duplicates(gateway) == []
    assert object_counts(gateway) == EXPECTED_COUNTS
    ids = {key: inv.id for key, inv in read_live(gateway).invoices.items()}
    assert sent_events(gateway) == {ids["i1"]: 1, ids["i2"]: 1}


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param({"rate_limit_rps": 10}, id="429-storm"),
        pytest.param({"error_rate": 0.3, "seed": 3}, id="500s"),
        pytest.param({"latency_ms": 30}, id="latency"),
        pytest.param({"lose_response_rate": 0.3, "seed": 5}, id="lost-responses"),
        pytest.param({"error_rate": 0.2, "lose_response_rate": 0.2, "rate_limit_rps": 30, "seed": 9}, id="all"),
    ],
)
def test_faults_converge_without_duplicates(sandbox: RunningSandbox, tmp_path: Path, faults: dict[str, float]) -> None:
    specs = write_specs(tmp_path, SPECS)
    gateway = gateway_for(sandbox)
    plan, live = _plan(gateway, specs)  # read without faults: the apply is what is under test
    # One fake clock for the applier's waits and the sandbox's rate window:
    # backoffs outlast that one-second window in fake time, at once.
    clock = FakeClock()
    sandbox.set_fault_clock(clock)
    sandbox.set_faults(**faults)
    options = fast_options(max_attempts=15, base_backoff=0.05, max_backoff=1.0, sleep=clock.sleep, clock=clock)
    result = apply_plan(plan, gateway, live, options=options, reporter=NullReporter())
    assert result.ok, result.lines()
    if set(faults) - {"latency_ms"}:
        assert result.retries > 0  # the faults really struck
    _assert_exactly_the_specs(sandbox, specs)


def _plan(gateway, specs):  # type: ignore[no-untyped-def]
    live = read_live(gateway)
    return make_plan(load_specs([specs]), live), live


def test_two_applies_started_together_create_nothing_twice(sandbox: RunningSandbox, tmp_path: Path) -> None:
    specs = write_specs(tmp_path, SPECS)
    results = overlapping_applies(sandbox, specs, path_prefix="/v1/products")
    assert [r.ok for r in results] == [True, True], [r.lines() for r in results]
    # Same keys overlapped in flight: Stripe (and the sandbox) refuse the second
    # with 409 idempotency_key_in_use; the applier retried it into a replay.
    assert sandbox.stats()["by_status"].get("409", 0) >= 1
    _assert_exactly_the_specs(sandbox, specs)


def _sent_invoice(sandbox: RunningSandbox, tmp_path: Path) -> tuple[str, Path]:
    specs = write_specs(tmp_path, SPECS)
    _, result = plan_and_apply(gateway_for(sandbox), specs)
    assert result.ok, result.lines()
    return read_live(gateway_for(sandbox)).invoices["i1"].id, specs


def _send_only(invoice_id: str) -> Plan:
    return Plan((SendInvoice(key="i1", reason="test", stripe_id=invoice_id),), fingerprint="f")


def test_send_guard_marker_requested_and_event_exists_sends_nothing(
    sandbox: RunningSandbox, tmp_path: Path, stripe_client
) -> None:  # type: ignore[no-untyped-def]
    invoice_id, _ = _sent_invoice(sandbox, tmp_path)
    # A crash after the send, before the marker became "done" (and past the
    # idempotency window: a fresh gateway with fresh keys would not help).
    stripe_client.v1.invoices.update(invoice_id, {"metadata": {SEND_KEY: SEND_REQUESTED}})
    sends_before = sandbox.stats()["by_route"].get("POST /v1/invoices/{id}/send", 0)
    gateway = gateway_for(sandbox)
    result = apply_plan(_send_only(invoice_id), gateway, read_live(gateway), options=fast_options(), reporter=NullReporter())
    assert result.ok and result.done[0].message == "already sent; marker completed"
    assert sandbox.stats()["by_route"].get("POST /v1/invoices/{id}/send", 0) == sends_before
    assert sent_events(gateway)[invoice_id] == 1
    assert stripe_client.v1.invoices.retrieve(invoice_id).metadata[SEND_KEY] == SEND_DONE


def test_send_guard_marker_done_sends_nothing(sandbox: RunningSandbox, tmp_path: Path) -> None:
    invoice_id, _ = _sent_invoice(sandbox, tmp_path)
    stats_before = sandbox.stats()["writes"]
    gateway = gateway_for(sandbox)
    result = apply_plan(_send_only(invoice_id), gateway, read_live(gateway), options=fast_options(), reporter=NullReporter())
    assert result.ok and result.done[0].message == "already sent"
    assert sandbox.stats()["writes"] == stats_before
    assert sent_events(gateway)[invoice_id] == 1


def test_send_guard_marker_requested_without_event_sends_once(
    sandbox: RunningSandbox, tmp_path: Path, stripe_client
) -> None:  # type: ignore[no-untyped-def]
    # A crash after marking "requested", before the send itself.
    specs = write_specs(tmp_path, SPECS.replace("status: sent\n    items:\n      - {price", "status: open\n    items:\n      - {price", 1))
    _, result = plan_and_apply(gateway_for(sandbox), specs)
    assert result.ok, result.lines()
    invoice_id = read_live(gateway_for(sandbox)).invoices["i1"].id
    stripe_client.v1.invoices.update(invoice_id, {"metadata": {SEND_KEY: SEND_REQUESTED}})
    gateway = gateway_for(sandbox)
    result = apply_plan(_send_only(invoice_id), gateway, read_live(gateway), options=fast_options(), reporter=NullReporter())
    assert result.ok and result.done[0].message == ""
    assert sent_events(gateway)[invoice_id] == 1
    assert stripe_client.v1.invoices.retrieve(invoice_id).metadata[SEND_KEY] == SEND_DONE


def test_rate_limit_is_respected_client_side(sandbox: RunningSandbox, tmp_path: Path) -> None:
    # With the client at 10 req/s and the sandbox limiting at 12, no 429 is ever answered.
    # Real time on purpose: the requests span two of the sandbox's one-second windows,
    # and a client over 12 req/s would trip the first.
    specs = write_specs(tmp_path, SPECS)
    gateway = gateway_for(sandbox)
    plan, live = _plan(gateway, specs)
    sandbox.reset()
    sandbox.set_faults(rate_limit_rps=12)
    options = ApplyOptions(parallelism=4, max_rps=10.0, base_backoff=0.01, max_backoff=0.05)
    result = apply_plan(plan, gateway, live, options=options, reporter=NullReporter())
    assert result.ok and result.retries == 0
    assert "429" not in sandbox.stats()["by_status"]


def test_a_write_failing_again_and_again_gives_up_within_its_timeout(sandbox: RunningSandbox, tmp_path: Path) -> None:
    # --timeout bounds a call with its retries, a write as much as a read: with
    # attempts to spare, the backoffs run into the 20 s first (fake time).
    specs = write_specs(tmp_path, "customers:\n  c1: {name: One}\n")
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url, timeout=20.0)
    plan, live = _plan(gateway, specs)
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/customers", "status": 500}])
    clock = FakeClock()
    options = fast_options(max_attempts=100, base_backoff=4.0, max_backoff=4.0, sleep=clock.sleep, clock=clock)
    result = apply_plan(plan, gateway, live, options=options, reporter=NullReporter())
    attempts = sandbox.stats()["by_route"]["POST /v1/customers"]
    assert not result.ok
    assert 2 <= attempts < 100 and clock.now <= 20.0
    (line,) = [line for line in result.lines() if "gave up" in line]
    assert line.endswith(f"(gave up after {attempts} attempts in the 20 s of --timeout)"), line


def test_the_guard_never_resends_an_interrupted_send_past_the_window(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    # Planned with assume_unsent, then found with a `requested` marker and no event Stripe still holds.
    specs = write_specs(tmp_path, "customers:\n  c1: {name: One, email: one@example.com}\ninvoices:\n  i1:\n"
                        "    customer: c1\n    days_until_due: 30\n    status: open\n"
                        "    items: [{description: Fee, amount: 300, currency: usd}]\n")  # fmt: skip
    gateway = gateway_for(sandbox)
    _, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    invoice_id = read_live(gateway).invoices["i1"].id
    stripe_client.v1.invoices.update(invoice_id, {"metadata": {SEND_KEY: SEND_REQUESTED}})
    sandbox.advance_clock(31 * 86_400)
    plan = Plan((SendInvoice(key="i1", reason="test", stripe_id=invoice_id, assume_unsent=True),), fingerprint="f")
    result = apply_plan(plan, gateway, read_live(gateway), options=fast_options(), reporter=NullReporter())
    assert not result.ok
    (line,) = [line for line in result.lines() if "not sent" in line]
    assert "its send marker says requested" in line and "`assume_unsent` does not override that" in line, line
    assert sandbox.stats()["by_route"].get("POST /v1/invoices/{id}/send", 0) == 0
