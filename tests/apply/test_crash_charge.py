"""SIGKILL a charging apply at every point (before, between its actions, with the charge in flight,
after it), run it again: the card is charged at most once, and exactly once when it can pay."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest

from reconciler.apply.result import ApplyResult
from reconciler.gateway.client import StripeGateway
from reconciler.sandbox import RunningSandbox

from .helpers import fast_options, gateway_for, plan_and_apply, remaining_actions
from .test_charge import carded, invoice, specs_with
from .test_crash import _kill_after, _start_child, forkserver  # noqa: F401 - the fixture, used by name

PAY = "/v1/invoices/*/pay"


def _run_to_the_charge(lines: Connection) -> None:
    """Let the child go on after its plan line and its finalize line (it waits for a go-ahead after each)."""
    for expected in ("plan: 2 actions", "[1/2]"):
        assert str(lines.recv()).startswith(expected)
        lines.send(True)


def _kill_while_held(child: BaseProcess) -> None:
    """SIGKILL the child whose charge the sandbox holds in flight (it executes once released)."""
    child.kill()
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL


def _events(gateway: StripeGateway, event_type: str) -> int:
    return sum(1 for _ in gateway.paginate("/v1/events", {"type": event_type}))


def _rerun_while_held(sandbox: RunningSandbox, specs: Path) -> ApplyResult:
    """Apply again while the killed run's charge is still in flight; let that one finish meanwhile."""
    results: list[ApplyResult] = []
    rerun = threading.Thread(target=lambda: results.append(
        plan_and_apply(gateway_for(sandbox), specs, options=fast_options(max_attempts=100))[1]))
    refused = int(sandbox.stats()["by_status"].get("409", 0))
    rerun.start()
    sandbox.wait_for_status(409, refused + 1)  # the rerun's charge, same key: refused while the first is held
    sandbox.release()
    rerun.join(timeout=60)
    (result,) = results
    return result


@pytest.mark.parametrize("kill_after", [0, 1, "charge in flight", 2])
def test_killed_charging_apply_then_rerun_charges_once(
    sandbox: RunningSandbox, tmp_path: Path, kill_after: int | str,
    forkserver: multiprocessing.context.ForkServerContext,  # noqa: F811
) -> None:
    gateway = gateway_for(sandbox)
    specs = carded(gateway, tmp_path, "pm_card_visa")
    if kill_after == "charge in flight":
        sandbox.hold(PAY, method="POST")
    child, lines = _start_child(forkserver, specs, sandbox)
    if kill_after == "charge in flight":
        _run_to_the_charge(lines)
        sandbox.wait_held()
        _kill_while_held(child)
        result = _rerun_while_held(sandbox, specs)
    else:
        assert isinstance(kill_after, int)
        seen = _kill_after(child, lines, kill_after)
        assert child.exitcode == -signal.SIGKILL, seen
        assert seen[0] == "plan: 2 actions"
        result = plan_and_apply(gateway, specs)[1]
    assert result.ok, result.lines()
    assert remaining_actions(gateway, specs) == []
    assert invoice(gateway)["status"] == "paid"
    assert _events(gateway, "charge.succeeded") == 1


def test_killed_with_a_declined_charge_in_flight_the_rerun_replays_the_decline(
    sandbox: RunningSandbox, tmp_path: Path,
    forkserver: multiprocessing.context.ForkServerContext,  # noqa: F811
) -> None:
    gateway = gateway_for(sandbox)
    specs = carded(gateway, tmp_path, "pm_card_chargeDeclined")
    sandbox.hold(PAY, method="POST")
    child, lines = _start_child(forkserver, specs, sandbox)
    _run_to_the_charge(lines)
    sandbox.wait_held()
    _kill_while_held(child)
    result = _rerun_while_held(sandbox, specs)
    (failed,) = result.failed
    assert "card_declined/generic_decline" in failed.message
    assert _events(gateway, "charge.failed") == 1 and _events(gateway, "charge.succeeded") == 0
    assert invoice(gateway)["attempt_count"] == 1


def test_a_lost_answer_to_the_charge_is_retried_under_its_key_and_charges_once(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    gateway = gateway_for(sandbox)
    specs = carded(gateway, tmp_path, "pm_card_visa")
    assert plan_and_apply(gateway, specs_with(tmp_path, "open"))[1].ok  # finalized: the charge is the only write
    specs = specs_with(tmp_path)
    sandbox.set_faults(lose_response_rate=1.0)
    _, result = plan_and_apply(gateway_for(sandbox), specs, options=fast_options(max_attempts=3))
    sandbox.set_faults(lose_response_rate=0.0)
    assert not result.ok  # every answer lost: the run gives up, having charged once
    assert _events(gateway, "charge.succeeded") == 1
    _, again = plan_and_apply(gateway, specs)
    assert again.ok and _events(gateway, "charge.succeeded") == 1 and invoice(gateway)["status"] == "paid"
