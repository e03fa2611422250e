"""Child process for the Ctrl-C test: plan and apply SPECS_DIR against API_BASE
in the main thread, as the CLI does, so SIGINT raises KeyboardInterrupt there.

    python tests/apply/interrupt_child.py SPECS_DIR API_BASE

Prints one flushed line per finished action ("[n/N] done: …"), then
"reporter: end" from the reporter's end hook, then the result's lines (skips
and the summary). Exit 130 when the apply was interrupted (what the CLI does),
0 when it succeeded, 1 otherwise. The key comes from STRIPE_API_KEY.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without install

from reconciler.apply.options import ApplyOptions  # noqa: E402
from reconciler.apply.report import LineReporter  # noqa: E402
from reconciler.apply.result import ApplyResult  # noqa: E402
from reconciler.apply.runner import apply_plan  # noqa: E402
from reconciler.gateway.client import StripeGateway  # noqa: E402
from reconciler.gateway.read import read_live  # noqa: E402
from reconciler.plan.planner import make_plan  # noqa: E402
from reconciler.spec.loader import load_specs  # noqa: E402


class EndReportingLines(LineReporter):
    """LineReporter that says when its end hook ran (where a progress bar stops)."""

    def on_end(self, result: ApplyResult) -> None:
        self._write("reporter: end")


def main(argv: list[str]) -> int:
    specs_dir, api_base = argv[1], argv[2]
    gateway = StripeGateway(os.environ["STRIPE_API_KEY"], api_base=api_base)
    live = read_live(gateway)
    plan = make_plan(load_specs([specs_dir]), live)
    print(f"plan: {len(plan.actions)} actions", flush=True)
    options = ApplyOptions(parallelism=2, max_rps=1000.0, base_backoff=0.05, max_backoff=0.5)
    result = apply_plan(plan, gateway, live, options=options, reporter=EndReportingLines(sys.stdout, show_retries=False))
    for line in result.lines():
        print(line, flush=True)
    if result.interrupted:
        return 130
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
