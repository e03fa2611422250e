"""Apply at the rate limit at any latency.

    .venv/bin/python bench/apply_bench.py [--invoices 500] [--max-rps 100] [--latencies 50,100,300,500]

A sandbox in its own process, limited to --max-rps requests a second (429s
past it), with the added latency of each run. Each run applies a fresh plan:
N customers and N invoices of 2 items each, every invoice finalized and sent
(~10 requests per pair, the send guard's checks included), with the CLI's
defaults but `--max-rps` (parallelism ceiling 96, in flight = rate x round
trip), reading live state first through the same pacer as `apply` does.
Prints, against --max-rps, the requests/s

- sustained: while the middle 80% of the run's requests were answered (the
  sandbox's count, sampled four times a second), and
- overall: all of them over the whole apply, including the first round trip
  and the tail, where only the last invoices' chains of 8 requests one after
  the other are left (4 s at 500 ms);

failed actions and 429s. Target: sustained >= 85% of --max-rps at every
latency, 0 failed actions.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ChildSandbox, row  # noqa: E402

from reconciler.apply.options import ApplyOptions  # noqa: E402
from reconciler.apply.report import NullReporter  # noqa: E402
from reconciler.apply.runner import apply_plan  # noqa: E402
from reconciler.gateway.client import StripeGateway  # noqa: E402
from reconciler.gateway.pacing import Pacer  # noqa: E402
from reconciler.gateway.read import read_live  # noqa: E402
from reconciler.plan.planner import make_plan  # noqa: E402
from reconciler.sandbox import SANDBOX_API_KEY  # noqa: E402
from reconciler.spec.models import CustomerSpec, Desired, InvoiceItemSpec, InvoiceSpec, PriceSpec, ProductSpec  # noqa: E402

TARGET = 0.85


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


def run(sandbox: ChildSandbox, spec: Desired, max_rps: float) -> dict[str, float]:
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    options = ApplyOptions(max_rps=max_rps)
    pacer: Pacer = options.pacer()
    live = read_live(gateway, pacer=pacer)
    plan = make_plan(spec, live)
    before = sandbox.stats()["by_status"]
    samples: list[tuple[float, int]] = []
    done = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not done.wait(0.25):
            samples.append((time.monotonic(), sandbox.stats()["by_status"].get("200", 0)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = apply_plan(plan, gateway, live, options=options, reporter=NullReporter(), pacer=pacer)
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    after = sandbox.stats()["by_status"]
    samples.append((time.monotonic(), after.get("200", 0)))
    ok = after.get("200", 0) - before.get("200", 0)
    return {
        "actions": len(plan.actions),
        "ok_requests": ok,
        "refused": after.get("429", 0) - before.get("429", 0),
        "failed": len(result.failed) + len(result.skipped),
        "wall": wall,
        "sustained": _sustained(samples, before.get("200", 0), ok),
    }


def _sustained(samples: list[tuple[float, int]], start: int, total: int) -> float:
    """Requests/s while the 10th to the 90th percent of the run's requests were answered."""
    marks = []
    for share in (0.1, 0.9):
        goal = start + share * total
        marks.append(next((t, n) for t, n in samples if n >= goal))
    (t10, n10), (t90, n90) = marks
    return (n90 - n10) / (t90 - t10) if t90 > t10 else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=600, help="customers and invoices per run (default 600)")
    parser.add_argument("--max-rps", type=float, default=100.0, help="client limit and the sandbox's (default 100)")
    parser.add_argument("--latencies", default="50,100,300,500", help="added latency per run, ms")
    args = parser.parse_args(argv)
    latencies = [float(x) for x in args.latencies.split(",")]

    print(f"{args.invoices} customers + {args.invoices} invoices x 2 items, finalized and sent, per run; "
          f"sandbox limited to {args.max_rps:g} req/s; apply --max-rps {args.max_rps:g}", flush=True)  # fmt: skip
    widths = [8, 8, 9, 7, 10, 7, 9, 7, 7, 5, 4]
    print(row(["latency", "actions", "requests", "wall s", "sustained", "of max", "overall", "of max", "failed",
               "429s", "ok"], widths))  # fmt: skip
    ok = True
    with ChildSandbox() as sandbox:
        # The catalog once, so every run's plan is the same shape.
        run(sandbox, desired(0, "warm-"), args.max_rps)
        for latency in latencies:
            sandbox.set_faults(latency_ms=latency, rate_limit_rps=args.max_rps)
            time.sleep(1.0)  # an empty rate window at the start of each run
            figures = run(sandbox, desired(args.invoices, f"l{latency:g}-"), args.max_rps)
            overall = figures["ok_requests"] / figures["wall"]
            sustained = figures["sustained"]
            good = sustained >= TARGET * args.max_rps and figures["failed"] == 0
            ok &= good
            print(row([f"{latency:g} ms", f"{figures['actions']:.0f}", f"{figures['ok_requests']:.0f}",
                       f"{figures['wall']:.1f}", f"{sustained:.1f}", f"{sustained / args.max_rps:.0%}",
                       f"{overall:.1f}", f"{overall / args.max_rps:.0%}", f"{figures['failed']:.0f}",
                       f"{figures['refused']:.0f}", "yes" if good else "NO"], widths), flush=True)  # fmt: skip
    print(f"target: sustained >= {TARGET:.0%} of --max-rps at every latency, 0 failed actions")
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
