"""Plan and apply at account scale: 20,000 customers and 100,000 invoices of 3 items.

    .venv/bin/python bench/scale_bench.py [--customers 20000] [--invoices 100000]

Writes the specs (50 products, 100 prices, the customers, the invoices in
every status: 32 MB of YAML in 121 files at the defaults), seeds a sandbox in
its own process with the account they describe (straight into the sandbox,
at its full speed: ~550,000 writes), then runs a no-change `plan` in a fresh
process, as `reconciler plan` would, and prints

- load: the specs read and validated (`validate`);
- read: the live state and Stripe's evidence read, with the requests per list
  against ceil(N/100);
- plan: the planner and the review checks;
- replan, apply: 1% of the customers' emails changed in the specs, planned
  again and applied (the applier over the whole account's live state);
- that process's peak memory (max RSS, plan and apply) against 1.5 GB.

The read runs at the sandbox's speed (--max-rps 1000, no added latency):
this measures the tool's own work at scale; bench/read_bench.py measures
latency.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import PRICES, PRODUCTS, write_specs  # noqa: E402
from support import ChildSandbox, row  # noqa: E402

MEMORY_BOUND_MB = 1536
DRIFT = 0.01  # share of the customers the apply phase changes
LISTS = ("products", "prices", "customers", "invoices")


def measure(url: str, specs: str, max_rps: float) -> dict[str, object]:
    """The plan in this (fresh) process, phase by phase."""
    from reconciler.gateway.account import read_account
    from reconciler.gateway.client import StripeGateway
    from reconciler.gateway.read import read_live, read_pacer
    from reconciler.gcpause import collector_paused
    from reconciler.plan.review import plan_for_review
    from reconciler.sandbox import SANDBOX_API_KEY
    from reconciler.spec.loader import load_specs

    times: dict[str, float] = {}
    started = time.perf_counter()
    desired = load_specs([specs])
    times["load"] = time.perf_counter() - started
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=url)
    started = time.perf_counter()
    pacer = read_pacer(max_rps)
    account = read_account(gateway, pacer=pacer)
    live = read_live(gateway, pacer=pacer)
    times["read"] = time.perf_counter() - started
    started = time.perf_counter()
    with collector_paused():  # as reconciler.apply.workflow.run_plan plans
        plan = plan_for_review(desired, live, account=account, prune=False, targets=())
    times["plan"] = time.perf_counter() - started
    applied = apply_drift(gateway, desired, live, account, pacer, max_rps, times)
    return {
        "times": times,
        "actions": len(plan.actions),
        "applied": applied,
        "requests": dict(gateway.request_counts),
        "found": {"customers": len(live.customers), "invoices": len(live.invoices)},
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def apply_drift(
    gateway: Any, desired: Any, live: Any, account: Any, pacer: Any, max_rps: float, times: dict[str, float]
) -> dict[str, int]:
    """Plan ("replan") and apply ("apply") DRIFT of the customers' emails changed, against the whole account."""
    from reconciler.apply.options import ApplyOptions
    from reconciler.apply.report import NullReporter
    from reconciler.apply.runner import apply_plan
    from reconciler.gcpause import collector_paused
    from reconciler.plan.review import plan_for_review

    moved = {key: spec.model_copy(update={"email": f"moved-{spec.email}"})
             for key, spec in sorted(desired.customers.items())[: int(len(desired.customers) * DRIFT)]}  # fmt: skip
    drifted = desired.model_copy(update={"customers": {**desired.customers, **moved}})
    with collector_paused():
        started = time.perf_counter()
        plan = plan_for_review(drifted, live, account=account, prune=False, targets=())
        times["replan"] = time.perf_counter() - started
        started = time.perf_counter()
        result = apply_plan(plan, gateway, live, options=ApplyOptions(max_rps=max_rps), reporter=NullReporter(),
                            pacer=pacer)  # fmt: skip
        times["apply"] = time.perf_counter() - started
    return {"planned": len(plan.actions), "done": len(result.done), "failed": len(result.failed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--max-rps", type=float, default=1000.0)
    parser.add_argument("--measure", nargs=2, metavar=("URL", "SPECS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure[0], args.measure[1], args.max_rps)))
        return 0

    counts = {"products": PRODUCTS, "prices": PRICES, "customers": args.customers, "invoices": args.invoices}
    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp) / "specs"
        started = time.perf_counter()
        files = write_specs(specs, customers=args.customers, invoices=args.invoices)
        size = sum(f.stat().st_size for f in files)
        print(f"specs: {len(files)} files, {size / 2**20:.0f} MB, written in {time.perf_counter() - started:.0f} s; "
              f"{counts} (3 items per invoice)", flush=True)  # fmt: skip
        with ChildSandbox(specs) as sandbox:
            print(f"seeded: {sandbox.seed_writes} writes in {sandbox.seed_seconds:.0f} s "
                  f"({sandbox.seed_writes / sandbox.seed_seconds:.0f}/s, straight into the sandbox)", flush=True)  # fmt: skip
            child = subprocess.run(
                [sys.executable, __file__, "--max-rps", str(args.max_rps), "--measure", sandbox.url, str(specs)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    times, requests = figures["times"], figures["requests"]
    applied = figures["applied"]
    ok = figures["actions"] == 0 and figures["found"] == {"customers": args.customers, "invoices": args.invoices}
    ok &= applied["failed"] == 0 and applied["done"] == applied["planned"] == int(args.customers * DRIFT)
    print()
    print(row(["phase", "seconds"], [8, 8]))
    for phase in ("load", "read", "plan", "replan", "apply"):
        print(row([phase, f"{times[phase]:.1f}"], [8, 8]))
    print(row(["total", f"{sum(times.values()):.1f}"], [8, 8]))
    print()
    print(row(["list", "objects", "requests", "ceil(N/100)", "ratio"], [22, 8, 9, 12, 6]))
    for kind in LISTS:
        sent = requests.get(f"GET /v1/{kind}", 0)
        floor = max(1, math.ceil(counts[kind] / 100))
        print(row([f"GET /v1/{kind}", counts[kind], sent, floor, f"{sent / floor:.2f}"], [22, 8, 9, 12, 6]))
    others = {k: v for k, v in requests.items() if k not in {f"GET /v1/{kind}" for kind in LISTS}}
    print(f"other requests: {others}")
    peak = figures["max_rss_mb"]
    ok &= peak < MEMORY_BOUND_MB
    print()
    print(f"plan-and-apply process peak memory: {peak:.0f} MB max RSS ({peak / MEMORY_BOUND_MB:.2f}x the {MEMORY_BOUND_MB} MB bound)")
    print(f"plan actions: {figures['actions']} (an account in sync plans none)")
    print(f"apply: {applied['done']} of {applied['planned']} customer updates done, {applied['failed']} failed "
          f"({DRIFT:.0%} of the customers' emails changed, planned and applied against the whole account)")  # fmt: skip
    print(f"this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max RSS")
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
