"""SIGKILL the apply at many points, run it again: converges, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.gateway.read import read_live
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

from .helpers import duplicates, gateway_for, object_counts, plan_and_apply, remaining_actions, sent_events, write_specs
from .test_faults import EXPECTED_COUNTS, SPECS

CHILD = Path(__file__).with_name("crash_child.py")


def _start_child(specs: Path, sandbox: RunningSandbox) -> subprocess.Popen[str]:
    env = {**os.environ, "STRIPE_API_KEY": SANDBOX_API_KEY}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(specs), sandbox.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _kill_after(child: subprocess.Popen[str], done_lines: int) -> list[str]:
    """Read the child's lines until `done_lines` actions finished, then SIGKILL it."""
    seen: list[str] = []
    assert child.stdout is not None
    while True:
        line = child.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip("\n"))
        finished = sum(1 for s in seen if s.startswith("["))
        if (line.startswith("plan:") and done_lines == 0) or finished >= done_lines > 0:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    return seen


@pytest.mark.parametrize("kill_after", [0, 1, 3, 6, 9, 12, 14, 15, 16, 17])
def test_killed_apply_then_rerun_converges_without_duplicates(
    sandbox: RunningSandbox, tmp_path: Path, kill_after: int
) -> None:
    specs = write_specs(tmp_path, SPECS)
    child = _start_child(specs, sandbox)
    seen = _kill_after(child, kill_after)
    assert child.returncode == -signal.SIGKILL, (seen, child.stderr.read() if child.stderr else "")
    assert seen[0] == "plan: 18 actions"

    gateway = gateway_for(sandbox)
    _, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    assert remaining_actions(gateway, specs) == []
    assert duplicates(gateway) == []
    assert object_counts(gateway) == EXPECTED_COUNTS
    ids = {key: inv.id for key, inv in read_live(gateway).invoices.items()}
    assert sent_events(gateway) == {ids["i1"]: 1, ids["i2"]: 1}


def test_child_runs_to_completion(sandbox: RunningSandbox, tmp_path: Path) -> None:
    specs = write_specs(tmp_path, SPECS)
    child = _start_child(specs, sandbox)
    out, err = child.communicate(timeout=60)
    lines = out.splitlines()
    assert child.returncode == 0, err
    assert lines[0] == "plan: 18 actions"
    assert lines[-1] == "Apply complete: 18 done, 0 failed, 0 skipped."
    assert sum(1 for line in lines if line.startswith("[")) == 18
