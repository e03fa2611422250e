"""Child process for the crash tests: plan and apply SPECS_DIR against API_BASE.

    python tests/apply/crash_child.py SPECS_DIR API_BASE

Loads the specs, reads live state, plans and applies with parallelism 1,
printing one flushed line per finished action ("[n/N] done: …"), so a parent
can SIGKILL it after exactly k lines. Exit 0 when the apply succeeded, 1
otherwise. The key comes from STRIPE_API_KEY, else the sandbox's test key.

The tests run `apply_and_report` in a process forked from a forkserver that
imported this module once (no interpreter start and imports per kill point),
with the lines sent through a pipe instead of printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without install

from reconciler.apply.options import ApplyOptions  # noqa: E402
from reconciler.apply.report import LineReporter  # noqa: E402
from reconciler.apply.runner import apply_plan  # noqa: E402
from reconciler.gateway.client import StripeGateway  # noqa: E402
from reconciler.gateway.read import read_live  # noqa: E402
from reconciler.plan.planner import make_plan  # noqa: E402
from reconciler.spec.loader import load_specs  # noqa: E402


def apply_and_report(specs_dir: str, api_base: str, api_key: str, say: Callable[[str], None]) -> bool:
    """Plan and apply, saying "plan: N actions", a line per finished action, the summary."""
    gateway = StripeGateway(api_key, api_base=api_base)
    desired = load_specs([specs_dir])
    live = read_live(gateway)
    plan = make_plan(desired, live)
    say(f"plan: {len(plan.actions)} actions")
    options = ApplyOptions(parallelism=1, max_rps=1000.0, base_backoff=0.05, max_backoff=0.5)
    result = apply_plan(plan, gateway, live, options=options, reporter=LineReporter(echo=say, show_retries=False))
    say(result.summary_line())
    return result.ok


def apply_into_pipe(specs_dir: str, api_base: str, api_key: str, pipe: Connection) -> None:
    """apply_and_report with every line sent through `pipe`, then None at the end.

    After each line the child waits for the parent's go-ahead, so a kill after
    line k lands there, before the next action starts, however slowly the
    parent reads: without it a loaded machine let the child run on past the
    kill point, even to the end of the apply (exit 0 instead of killed)."""

    def say(line: str) -> None:
        pipe.send(line)
        pipe.recv()

    apply_and_report(specs_dir, api_base, api_key, say)
    pipe.send(None)


def main(argv: list[str]) -> int:
    api_key = os.environ.get("STRIPE_API_KEY")
    if not api_key:
        from reconciler.sandbox import SANDBOX_API_KEY

        api_key = SANDBOX_API_KEY
    return 0 if apply_and_report(argv[1], argv[2], api_key, lambda line: print(line, flush=True)) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
