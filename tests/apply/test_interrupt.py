"""Ctrl-C during apply: running actions finish, the rest is skipped as
interrupted, the summary says so, and a re-run converges with nothing twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.apply.result import ActionOutcome, ApplyResult
from reconciler.gateway.read import read_live
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

from .helpers import duplicates, gateway_for, object_counts, plan_and_apply, remaining_actions, sent_events, write_specs
from .test_faults import EXPECTED_COUNTS, SPECS

pytestmark = pytest.mark.slow  # apply child processes interrupted by signals

CHILD = Path(__file__).with_name("interrupt_child.py")
SUMMARY = re.compile(
    r"^Apply interrupted: (\d+) done, 0 failed, (\d+) skipped\. Re-run apply to resume: it is idempotent\.$"
)


def test_sigint_finishes_running_actions_skips_the_rest_and_a_rerun_converges(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    specs = write_specs(tmp_path, SPECS)
    env = {**os.environ, "STRIPE_API_KEY": SANDBOX_API_KEY}
    # The first customer create stays in flight until released: the signal lands mid-apply.
    with sandbox.holding("/v1/customers", method="POST"):
        child = subprocess.Popen([sys.executable, str(CHILD), str(specs), sandbox.url],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        sandbox.wait_held()
        child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    lines = out.splitlines()

    assert child.returncode == 130, (lines, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert lines[0] == "plan: 18 actions"
    match = SUMMARY.match(lines[-1])
    assert match, lines
    done, skipped = int(match.group(1)), int(match.group(2))
    assert done >= 1 and skipped >= 1 and done + skipped == 18
    # One progress line per action, the end hook after them, before the summary.
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == 18
    assert sum(1 for line in progress if " done: " in line) == done
    assert all(line.endswith(": interrupted") for line in progress if " skipped: " in line)
    end = lines.index("reporter: end")
    assert end > lines.index(progress[-1])
    assert [line for line in lines[end + 1 :] if line.startswith("skipped: ")] == [
        line.split("] ", 1)[1] for line in progress if " skipped: " in line
    ]

    gateway = gateway_for(sandbox)
    assert len(remaining_actions(gateway, specs)) >= 1
    _, result = plan_and_apply(gateway, specs)
    assert result.ok and not result.interrupted, result.lines()
    assert remaining_actions(gateway, specs) == []
    assert duplicates(gateway) == []
    assert object_counts(gateway) == EXPECTED_COUNTS
    ids = {key: inv.id for key, inv in read_live(gateway).invoices.items()}
    assert sent_events(gateway) == {ids["i1"]: 1, ids["i2"]: 1}


def test_interrupted_result_says_so_in_text_and_json() -> None:
    result = ApplyResult(
        done=[ActionOutcome("a", "create customer c1", "done")],
        skipped=[ActionOutcome("b", "create customer c2", "skipped", "interrupted")],
        interrupted=True,
    )
    assert result.ok is False
    assert result.lines() == [
        "skipped: create customer c2: interrupted",
        "Apply interrupted: 1 done, 0 failed, 1 skipped. Re-run apply to resume: it is idempotent.",
    ]
    data = result.to_json()
    assert (data["ok"], data["interrupted"]) == (False, True)
    assert data["skipped"] == [{"id": "b", "description": "create customer c2", "message": "interrupted"}]
    assert ApplyResult().to_json()["interrupted"] is False
