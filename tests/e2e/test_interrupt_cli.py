"""Ctrl-C during `reconciler apply`: running actions finish, the summary says so, exit 130."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import invoke

from reconciler.runtime import Runtime
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

pytestmark = pytest.mark.slow  # CLI child processes interrupted by signals

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"


def _interrupted(sandbox: RunningSandbox, args: list[str], *, held: str, method: str) -> tuple[int, str, str]:
    """Run `reconciler ARGS` in a child; SIGINT it while its first `method held` request is held in flight."""
    env = {**os.environ, "STRIPE_API_KEY": SANDBOX_API_KEY, "STRIPE_API_BASE": sandbox.url, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "reconciler", *args]
    with sandbox.holding(held, method=method):
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        sandbox.wait_held()
        child.send_signal(signal.SIGINT)
    output, errors = child.communicate(timeout=60)
    return child.returncode, output, errors


def test_sigint_during_apply_reports_and_exits_130(sandbox: RunningSandbox, tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPECS, specs)
    # The first customer create stays in flight until released: the signal lands mid-apply.
    code, output, errors = _interrupted(sandbox, ["apply", str(specs), "--yes", "--parallelism", "1"],
                                        held="/v1/customers", method="POST")  # fmt: skip
    assert code == 130, (output, errors)
    assert "Traceback" not in errors
    summary = output.strip().splitlines()[-1]
    assert summary.startswith("Apply interrupted: ")
    assert summary.endswith("Re-run apply to resume: it is idempotent.")
    assert " done: create customer " in output  # the action in flight finished

    # Resume in-process: the signal's part is over.
    args = [str(specs), "--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]
    runtime = Runtime(sleep=lambda seconds: None)
    rerun = invoke(["apply", *args, "--yes"], obj=runtime, catch_exceptions=True)
    assert rerun.exit_code == 0, rerun.output
    again = invoke(["plan", *args, "--detailed-exitcode"], obj=runtime, catch_exceptions=True)
    assert again.exit_code == 0 and "No changes." in again.stdout


def test_sigint_during_the_read_of_a_json_plan_prints_an_error_document(sandbox: RunningSandbox) -> None:
    # A CI job posting the output must get a document, not an empty stdout.
    for fmt, expected in (("json", '"kind": "interrupted"'), ("markdown", "### Reconciler plan failed")):
        code, output, errors = _interrupted(sandbox, ["plan", str(EXAMPLE_SPECS), "--format", fmt],
                                            held="/v1/customers", method="GET")  # fmt: skip
        assert code == 130, (output, errors)
        assert expected in output and "interrupted" in output, output
        assert errors.strip().splitlines()[-1] == "error: interrupted"
