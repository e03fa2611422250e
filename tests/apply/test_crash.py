"""SIGKILL the apply at many points, run it again: converges, nothing twice."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest

from reconciler.gateway.read import read_live
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

from . import crash_child
from .helpers import duplicates, gateway_for, object_counts, plan_and_apply, remaining_actions, sent_events, write_specs
from .test_faults import EXPECTED_COUNTS, SPECS

pytestmark = pytest.mark.slow  # apply child processes killed mid-run

CHILD = Path(__file__).with_name("crash_child.py")


@pytest.fixture(scope="module")
def forkserver() -> Iterator[multiprocessing.context.ForkServerContext]:
    """Children forked from one process that imported the apply stack once: a
    real process to SIGKILL, without an interpreter start per kill point."""
    context = multiprocessing.get_context("forkserver")
    # Importable from the forkserver's own sys.path (Python 3.11 does not give it
    # the tests' path): the apply stack, and pytest, which each child imports as
    # the parent's __main__ module.
    context.set_forkserver_preload(
        ["pytest", "reconciler.apply.runner", "reconciler.gateway.read", "reconciler.plan.planner",
         "reconciler.spec.loader"]
    )
    yield context


def _start_child(
    context: multiprocessing.context.ForkServerContext, specs: Path, sandbox: RunningSandbox
) -> tuple[BaseProcess, Connection]:
    ours, childs = context.Pipe()
    child = context.Process(target=crash_child.apply_into_pipe, args=(str(specs), sandbox.url, SANDBOX_API_KEY, childs))
    child.start()
    childs.close()
    return child, ours


def _kill_after(child: BaseProcess, lines: Connection, done_lines: int) -> list[str]:
    """Read the child's lines until `done_lines` actions finished, then SIGKILL it.

    The child waits for a go-ahead after each line: it is killed exactly there."""
    seen: list[str] = []
    while True:
        try:
            line = lines.recv()
        except EOFError:
            break
        if line is None:
            break
        seen.append(line)
        finished = sum(1 for s in seen if s.startswith("["))
        if (line.startswith("plan:") and done_lines == 0) or finished >= done_lines > 0:
            break
        lines.send(True)
    child.kill()
    child.join(timeout=30)
    return seen


@pytest.mark.parametrize("kill_after", [0, 1, 3, 6, 9, 12, 14, 15, 16, 17])
def test_killed_apply_then_rerun_converges_without_duplicates(
    sandbox: RunningSandbox, tmp_path: Path, kill_after: int, forkserver: multiprocessing.context.ForkServerContext
) -> None:
    specs = write_specs(tmp_path, SPECS)
    child, lines = _start_child(forkserver, specs, sandbox)
    seen = _kill_after(child, lines, kill_after)
    assert child.exitcode == -signal.SIGKILL, seen
    assert seen[0] == "plan: 18 actions"

    gateway = gateway_for(sandbox)
    _, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    assert remaining_actions(gateway, specs) == []
    assert duplicates(gateway) == []
    assert object_counts(gateway) == EXPECTED_COUNTS
    ids = {key: inv.id for key, inv in read_live(gateway).invoices.items()}
    assert sent_events(gateway) == {ids["i1"]: 1, ids["i2"]: 1}


def test_child_runs_to_completion_as_a_script(sandbox: RunningSandbox, tmp_path: Path) -> None:
    specs = write_specs(tmp_path, SPECS)
    child = subprocess.run([sys.executable, str(CHILD), str(specs), sandbox.url], capture_output=True, text=True,
                           timeout=60)
    lines = child.stdout.splitlines()
    assert child.returncode == 0, child.stderr
    assert lines[0] == "plan: 18 actions"
    assert lines[-1] == "Apply complete: 18 done, 0 failed, 0 skipped."
    assert sum(1 for line in lines if line.startswith("[")) == 18
