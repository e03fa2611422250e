"""What latency costs a plan: reads that hide it, up to the rate limit.

    .venv/bin/python bench/read_bench.py [--customers 3000] [--invoices 3000] [--latency-ms 100] [--rates 25,100]

Seeds a sandbox (its own process) with the account the specs describe: 50
products, 100 prices, the customers, and invoices of 3 items each in every
status, created over a year. Then, per rate limit R (the sandbox refuses more
than R requests a second with 429s; `plan --max-rps R`), runs the whole no-change
`plan` (specs, account, live state, Stripe's evidence on open invoices,
planner) without added latency and with it, best of three each, and prints

- the requests the plan sent, per list, against ceil(N/100) (the floor) and
  ceil(N/100) + MAX_RANGES - 1 (the most created ranges may add);
- the latency cost: wall time with the latency minus wall time without,
  against the bound max(requests / R, requests x latency / 8), as a ratio
  (target <= 1.3).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import PRICES, PRODUCTS, write_specs  # noqa: E402
from support import ChildSandbox, best_of, row  # noqa: E402

from reconciler.apply.workflow import run_plan  # noqa: E402
from reconciler.gateway.client import StripeGateway  # noqa: E402
from reconciler.gateway.ranges import MAX_RANGES  # noqa: E402
from reconciler.sandbox import SANDBOX_API_KEY  # noqa: E402

TARGET_RATIO = 1.3
RUNS = 3  # best of: the cost is the difference of two wall times on a shared machine
LISTS = ("products", "prices", "customers", "invoices")


def plan_once(url: str, specs: str, rate: float) -> tuple[int, dict[str, int], int]:
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=url)
    plan = run_plan([specs], gateway, prune=False, targets=(), max_rps=rate)
    return gateway.total_requests, dict(gateway.request_counts), len(plan.actions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rates", default="25,100", help="rate limits to run at, req/s (default 25,100)")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    latency = args.latency_ms / 1000
    counts = {"products": PRODUCTS, "prices": PRICES, "customers": args.customers, "invoices": args.invoices}

    with tempfile.TemporaryDirectory() as tmp:
        specs = str(Path(tmp) / "specs")
        write_specs(Path(specs), customers=args.customers, invoices=args.invoices)
        print(f"account: {counts} (3 items per invoice), created over a year", flush=True)
        with ChildSandbox(specs) as sandbox:
            print(f"seeded with {sandbox.seed_writes} writes in {sandbox.seed_seconds:.0f} s (straight into the sandbox)")
            results = []
            for rate in rates:
                sandbox.set_faults(latency_ms=0, rate_limit_rps=rate)
                before = sandbox.stats()["by_status"].get("429", 0)
                once = partial(plan_once, sandbox.url, specs, rate)
                plain, (requests, by_endpoint, actions) = best_of(RUNS, once)
                sandbox.set_faults(latency_ms=args.latency_ms, rate_limit_rps=rate)
                slow, (slow_requests, _, _) = best_of(RUNS, once)
                refused = sandbox.stats()["by_status"].get("429", 0) - before
                results.append((rate, plain, slow, requests, slow_requests, by_endpoint, actions, refused))
                time.sleep(1.0)  # let the sandbox's one-second rate window empty between runs

    ok = True
    print()
    print(row(["list", "objects", "requests", "floor", "bound", "within"], [26, 8, 9, 6, 6, 7]))
    by_endpoint = results[-1][5]
    for kind in LISTS:
        sent = by_endpoint.get(f"GET /v1/{kind}", 0)
        floor = max(1, math.ceil(counts[kind] / 100))
        bound = floor + MAX_RANGES - 1
        ok &= sent <= bound
        print(row([f"GET /v1/{kind}", counts[kind], sent, floor, bound, "yes" if sent <= bound else "NO"], [26, 8, 9, 6, 6, 7]))
    others = {k: v for k, v in by_endpoint.items() if k not in {f"GET /v1/{kind}" for kind in LISTS}}
    print(f"other reads: {others}")
    print()
    widths = [8, 9, 9, 9, 9, 11, 9, 7, 5]
    print(row(["max-rps", "requests", "plain s", "latency s", "cost s", "bound s", "ratio", "429s", "ok"], widths))
    for rate, plain, slow, _, slow_requests, _, actions, refused in results:
        cost = slow - plain
        bound = max(slow_requests / rate, slow_requests * latency / 8)
        ratio = cost / bound
        good = ratio <= TARGET_RATIO and actions == 0
        ok &= good
        print(row([f"{rate:g}", slow_requests, f"{plain:.2f}", f"{slow:.2f}", f"{cost:.2f}", f"{bound:.2f}",
                   f"{ratio:.2f}", refused, "yes" if good else "NO"], widths))  # fmt: skip
        if actions:
            print(f"  WARNING: the plan has {actions} actions; the account is not in sync with the specs")
    print(f"latency {args.latency_ms:g} ms; bound = max(requests / max-rps, requests x latency / 8); "
          f"target ratio <= {TARGET_RATIO}")  # fmt: skip
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
