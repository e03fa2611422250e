"""Commands that need no Stripe start without loading the SDK: `import reconciler.cli`,
`reconciler --help` and `reconciler validate` leave `stripe` out of sys.modules
(checked in a fresh interpreter: the test session itself has long loaded it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys
from reconciler.cli import main
args = sys.argv[1:]
if args:
    try:
        main(args)
    except SystemExit as stop:
        assert stop.code == 0, stop.code
print("stripe" in sys.modules)
"""


@pytest.mark.parametrize("args", [[], ["--help"], ["validate", "specs"], ["validate", "--help"], ["plan", "--help"]],
                         ids=["import", "help", "validate", "validate-help", "plan-help"])
def test_commands_without_stripe_do_not_load_the_sdk(args: list[str]) -> None:
    probe = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines()[-1] == "False"
