"""Ctrl-C during `reconciler apply`: running actions finish, the summary says so, exit 130."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"


def test_sigint_during_apply_reports_and_exits_130(sandbox: RunningSandbox, tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPECS, specs)
    sandbox.set_faults(latency_ms=150)  # keep actions in flight when the signal lands
    env = {**os.environ, "STRIPE_API_KEY": SANDBOX_API_KEY, "STRIPE_API_BASE": sandbox.url, "NO_COLOR": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(specs), "--yes", "--parallelism", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line.rstrip("\n"))
        if " done: " in line:
            child.send_signal(signal.SIGINT)
            break
    rest, errors = child.communicate(timeout=60)
    output = "\n".join(seen) + "\n" + rest
    assert child.returncode == 130, (output, errors)
    assert "Traceback" not in errors
    summary = output.strip().splitlines()[-1]
    assert summary.startswith("Apply interrupted: ")
    assert summary.endswith("Re-run apply to resume: it is idempotent.")

    sandbox.set_faults(latency_ms=0)
    rerun = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", str(specs), "--yes"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    again = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", str(specs), "--detailed-exitcode"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert again.returncode == 0 and "No changes." in again.stdout
