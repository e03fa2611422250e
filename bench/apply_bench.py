"""Apply throughput against a slow, rate-limited sandbox.

    python bench/apply_bench.py [--scale 1.0] [--parallelism 8] [--max-rps 24]

A sandbox with 100 ms of added latency per request and a rate limit of 25
requests/s; the plan creates 500 customers and 500 invoices of 2 items each
and takes every invoice through finalize and send (~4,500 requests at scale
1, about three minutes). Prints requests/s, wall time, failed actions and
the speed-up over a measured sequential run (parallelism 1) of a small slice.
Target: at least 90% of the limit (22.5 req/s) with zero failed actions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.apply.options import ApplyOptions  # noqa: E402
from reconciler.apply.report import NullReporter  # noqa: E402
from reconciler.apply.runner import apply_plan  # noqa: E402
from reconciler.gateway.client import StripeGateway  # noqa: E402
from reconciler.gateway.read import read_live  # noqa: E402
from reconciler.plan.planner import make_plan  # noqa: E402
from reconciler.sandbox import SANDBOX_API_KEY, FaultConfig, RunningSandbox, start_sandbox  # noqa: E402
from reconciler.spec.models import CustomerSpec, Desired, InvoiceItemSpec, InvoiceSpec, PriceSpec, ProductSpec  # noqa: E402

LATENCY_MS = 100
LIMIT_RPS = 25


def desired(count: int, prefix: str) -> Desired:
    customers = {f"{prefix}c{i:04d}": CustomerSpec(name=f"Customer {i}", email=f"c{i}@example.com") for i in range(count)}
    invoices = {
        f"{prefix}inv{i:04d}": InvoiceSpec(
            customer=f"{prefix}c{i:04d}",
            collection_method="send_invoice",
            days_until_due=30,
            status="sent",
            items=[
                InvoiceItemSpec(price="gold-usd", quantity=1 + i % 3),
                InvoiceItemSpec(key="fee", description="Setup fee", amount=500, currency="usd"),
            ],
        )
        for i in range(count)
    }
    return Desired(
        products={"gold": ProductSpec(name="Gold")},
        prices={"gold-usd": PriceSpec(product="gold", unit_amount=1000, currency="usd")},
        customers=customers,
        invoices=invoices,
    )


def run(sandbox: RunningSandbox, spec: Desired, options: ApplyOptions) -> dict[str, float]:
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    live = read_live(gateway)
    plan = make_plan(spec, live)
    before = sandbox.stats()
    started = time.monotonic()
    result = apply_plan(plan, gateway, live, options=options, reporter=NullReporter())
    wall = time.monotonic() - started
    after = sandbox.stats()
    ok_before = before["by_status"].get("200", 0)
    ok_after = after["by_status"].get("200", 0)
    return {
        "actions": len(plan.actions),
        "requests": after["total"] - before["total"],
        "ok_requests": ok_after - ok_before,
        "rejected_429": after["by_status"].get("429", 0) - before["by_status"].get("429", 0),
        "failed": len(result.failed) + len(result.skipped),
        "wall": wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 500 customers/invoices (default 1)")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--max-rps", type=float, default=24.0, help="client-side limit (sandbox limit: 25)")
    parser.add_argument("--sequential-sample", type=int, default=5, help="invoices in the sequential run")
    args = parser.parse_args()
    count = max(1, round(500 * args.scale))

    faults = FaultConfig(latency_ms=LATENCY_MS, rate_limit_rps=LIMIT_RPS)
    with start_sandbox(faults=faults, deliver_webhooks=False) as sandbox:
        opts = ApplyOptions(parallelism=args.parallelism, max_rps=args.max_rps, base_backoff=0.25, max_backoff=4.0)
        par = run(sandbox, desired(count, "p-"), opts)
        seq_opts = ApplyOptions(parallelism=1, max_rps=args.max_rps, base_backoff=0.25, max_backoff=4.0)
        seq = run(sandbox, desired(args.sequential_sample, "s-"), seq_opts)

    rps = par["ok_requests"] / par["wall"]
    seq_rps = seq["ok_requests"] / seq["wall"]
    per_request = seq["wall"] / max(1, seq["ok_requests"]) - LATENCY_MS / 1000
    sequential_estimate = par["ok_requests"] * (LATENCY_MS / 1000 + per_request)
    print(f"scale {args.scale}: {count} customers, {count} invoices x 2 items, finalize + send")
    print(f"sandbox: {LATENCY_MS} ms latency, {LIMIT_RPS} req/s limit; client: parallelism {args.parallelism}, max {args.max_rps} req/s")
    print(f"actions: {par['actions']:.0f}  requests: {par['ok_requests']:.0f} ok + {par['rejected_429']:.0f} answered 429")
    print(f"wall time: {par['wall']:.1f} s")
    print(f"requests/s: {rps:.1f} ({rps / LIMIT_RPS:.0%} of the limit; target >= 90%)")
    print(f"failed actions: {par['failed']:.0f}")
    print(
        f"sequential: {seq_rps:.1f} req/s measured on {args.sequential_sample} invoices "
        f"(latency + {per_request * 1000:.1f} ms per request); estimated {sequential_estimate:.0f} s for this run"
    )
    print(f"speed-up over sequential: {rps / seq_rps:.1f}x (estimated wall {sequential_estimate / par['wall']:.1f}x)")
    good = rps >= 0.9 * LIMIT_RPS and par["failed"] == 0
    print("PASS" if good else "BELOW TARGET")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
