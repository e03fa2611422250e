"""Plan at account scale: 20,000 customers and 100,000 invoices of 3 items.

    .venv/bin/python bench/scale_bench.py [--customers 20000] [--invoices 100000]

Writes the specs (50 products, 100 prices, the customers, the invoices in
every status: 42 MB of YAML in 123 files at the defaults), seeds a sandbox in
its own process with the account they describe (straight into the sandbox,
at its full speed: ~550,000 writes), then runs a no-change `plan` in a fresh
process, as `reconciler plan` would, and prints

- load: the specs read and validated (`validate`);
- read: the live state and Stripe's evidence read, with the requests per list
  against ceil(N/100);
- plan: the planner and the review checks;
- the plan process's peak memory (max RSS) against 1.5 GB.

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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import PRICES, PRODUCTS, write_specs  # noqa: E402
from support import ChildSandbox, row  # noqa: E402

MEMORY_BOUND_MB = 1536
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
    with collector_paused():  # as reconciler.workflow.run_plan plans
        plan = plan_for_review(desired, live, account=account, prune=False, targets=())
    times["plan"] = time.perf_counter() - started
    return {
        "times": times,
        "actions": len(plan.actions),
        "requests": dict(gateway.request_counts),
        "found": {"customers": len(live.customers), "invoices": len(live.invoices)},
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


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
    ok = figures["actions"] == 0 and figures["found"] == {"customers": args.customers, "invoices": args.invoices}
    print()
    print(row(["phase", "seconds"], [8, 8]))
    for phase in ("load", "read", "plan"):
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
    print(f"plan process peak memory: {peak:.0f} MB max RSS ({peak / MEMORY_BOUND_MB:.2f}x the {MEMORY_BOUND_MB} MB bound)")
    print(f"plan actions: {figures['actions']} (an account in sync plans none)")
    print(f"this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max RSS")
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
