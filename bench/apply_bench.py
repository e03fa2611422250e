"""Apply: whole-run wall time against its floor, at the rate limit.

    .venv/bin/python bench/apply_bench.py [--shapes 150x1,500x2] [--latencies 100,300] [--sends yes,no]
                                          [--repeat 1] [--max-rps 100]

A sandbox in its own process, limited to --max-rps requests a second (429s
past it, counted over its last second), with the added latency of each run.
Each run applies a fresh plan: N customers and N invoices of K items each
(shape NxK: 150x1 is 150 customers with one invoice of one item each, 500x2
500 pairs with two items each), every invoice finalized and sent (`--sends
yes`, the send guard's checks included) or finalized only (`no`), with the
CLI's defaults but `--max-rps`, reading live state first through the same
pacer as `apply` does.

Prints, for each run, the whole-run wall time (the apply's first request to
its last answer) next to its floor from the same run,

    floor = max(requests / rate, longest chain x round trip)

where requests are the ones the sandbox answered (not its 429s), rate is
--max-rps, the longest chain is counted in round trips over the plan's
dependency graph (each action its sequential requests; a send 5: the marker
and ledger reads together, mark requested, the ledger again, send, mark
done), and the round trip is the added latency (the sandbox's own time left
out, so the floor is one no client could beat). Also the requests/s while the
middle 80% of the requests were answered, the peak of requests in flight,
failed actions and 429s. Target: whole run <= 1.15 x floor, 0 failed actions.
With --repeat, each figure's best and median ratio follow.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ChildSandbox, row  # noqa: E402

from reconciler.apply.options import ApplyOptions  # noqa: E402
from reconciler.apply.report import NullReporter  # noqa: E402
from reconciler.apply.runner import apply_plan, dependency_graph  # noqa: E402
from reconciler.apply.schedule import round_trips  # noqa: E402
from reconciler.gateway.client import StripeGateway  # noqa: E402
from reconciler.gateway.pacing import Pacer  # noqa: E402
from reconciler.gateway.read import read_live  # noqa: E402
from reconciler.plan.plan import Plan  # noqa: E402
from reconciler.plan.planner import make_plan  # noqa: E402
from reconciler.sandbox import SANDBOX_API_KEY  # noqa: E402
from reconciler.spec.models import CustomerSpec, Desired, InvoiceItemSpec, InvoiceSpec, PriceSpec, ProductSpec  # noqa: E402

TARGET = 1.15
T = TypeVar("T")


def desired(count: int, prefix: str, *, items: int = 2, sent: bool = True) -> Desired:
    customers = {f"{prefix}c{i:04d}": CustomerSpec(name=f"Customer {i}", email=f"c{i}@example.com") for i in range(count)}
    lines = [
        lambda i: InvoiceItemSpec(price="gold-usd", quantity=1 + i % 3),
        lambda i: InvoiceItemSpec(key="fee", description="Setup fee", amount=500, currency="usd"),
    ]
    invoices = {
        f"{prefix}inv{i:04d}": InvoiceSpec(
            customer=f"{prefix}c{i:04d}",
            collection_method="send_invoice",
            days_until_due=30,
            status="sent" if sent else "open",
            items=[line(i) for line in lines[:items]],
        )
        for i in range(count)
    }
    return Desired(
        products={"gold": ProductSpec(name="Gold")},
        prices={"gold-usd": PriceSpec(product="gold", unit_amount=1000, currency="usd")},
        customers=customers,
        invoices=invoices,
    )


class TimedPacer(Pacer):
    """The CLI's pacer, noting when the first request went out, when the last
    answer came, and the most requests in flight at once."""

    def __init__(self, options: ApplyOptions) -> None:
        super().__init__(options.max_rps, ceiling=options.parallelism, clock=options.clock, sleep=options.sleep)
        self._times = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.first: float | None = None
        self.last = 0.0
        self.in_flight = self.peak = 0

    def call(self, fn: Callable[[], T]) -> T:
        def timed() -> T:
            with self._times:
                self.first = self.first or time.monotonic()
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
            try:
                return fn()
            finally:
                with self._times:
                    self.in_flight -= 1
                    self.last = time.monotonic()

        return super().call(timed)


def longest_chain(plan: Plan) -> int:
    """Round trips along the plan's longest dependency chain."""
    actions = list(plan.actions)
    graph = dependency_graph(actions)
    by_id = {a.id: a for a in actions}
    memo: dict[str, int] = {}

    def depth(node: str) -> int:  # the plan's graph is shallow: recursion is fine
        if node not in memo:
            memo[node] = round_trips(by_id[node]) + max((depth(d) for d in graph[node]), default=0)
        return memo[node]

    return max((depth(a.id) for a in actions), default=0)


def run(sandbox: ChildSandbox, spec: Desired, max_rps: float, latency: float) -> dict[str, float]:
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    options = ApplyOptions(max_rps=max_rps)
    pacer = TimedPacer(options)
    live = read_live(gateway, pacer=pacer)
    plan = make_plan(spec, live)
    chain = longest_chain(plan)
    before = sandbox.stats()["by_status"]
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            samples.append((time.monotonic(), sandbox.stats()["by_status"].get("200", 0)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    pacer.reset()
    result = apply_plan(plan, gateway, live, options=options, reporter=NullReporter(), pacer=pacer)
    done.set()
    sampler.join()
    after = sandbox.stats()["by_status"]
    samples.append((time.monotonic(), after.get("200", 0)))
    ok = after.get("200", 0) - before.get("200", 0)
    wall = pacer.last - (pacer.first or pacer.last)
    floor = max(ok / max_rps, chain * latency / 1000)
    return {
        "actions": len(plan.actions),
        "ok_requests": ok,
        "refused": after.get("429", 0) - before.get("429", 0),
        "failed": len(result.failed) + len(result.skipped),
        "wall": wall,
        "chain": chain,
        "floor": floor,
        "ratio": wall / floor if floor else 0.0,
        "peak": pacer.peak,
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


WIDTHS = [6, 7, 5, 7, 8, 5, 6, 7, 6, 6, 9, 5, 6, 4]
HEADER = ["shape", "latency", "sends", "actions", "requests", "chain", "wall s", "floor s", "ratio", "peak",
          "sustained", "429s", "failed", "ok"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default="150x1,500x2", help="NxK: N customers, N invoices of K items (K 1 or 2)")
    parser.add_argument("--max-rps", type=float, default=100.0, help="client limit and the sandbox's (default 100)")
    parser.add_argument("--latencies", default="100,300", help="added latency per run, ms")
    parser.add_argument("--sends", default="yes,no", help="yes: every invoice sent; no: finalized only")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each figure")
    args = parser.parse_args(argv)
    shapes = [tuple(int(n) for n in shape.split("x")) for shape in args.shapes.split(",")]
    latencies = [float(x) for x in args.latencies.split(",")]
    sends = [s.strip() == "yes" for s in args.sends.split(",")]

    print(f"sandbox limited to {args.max_rps:g} req/s; apply --max-rps {args.max_rps:g}; "
          f"wall: first request to last answer; floor: max(requests / rate, chain x latency)", flush=True)  # fmt: skip
    print(row(HEADER, WIDTHS))
    ok = True
    ratios: dict[tuple[str, str, str], list[float]] = {}
    n_run = 0
    for _ in range(args.repeat):
        for count, items in shapes:
            for latency in latencies:
                for sent in sends:
                    n_run += 1
                    # A fresh sandbox per run (one holding the earlier runs' objects and events answers
                    # slower), the catalog made first so every plan is the same shape.
                    with ChildSandbox() as sandbox:
                        run(sandbox, desired(0, "warm-"), args.max_rps, 0)
                        sandbox.set_faults(latency_ms=latency, rate_limit_rps=args.max_rps)
                        time.sleep(1.0)  # an empty rate window at the start of each run
                        f = run(sandbox, desired(count, f"r{n_run}-", items=items, sent=sent), args.max_rps, latency)
                    good = f["ratio"] <= TARGET and f["failed"] == 0
                    ok &= good
                    label = (f"{count}x{items}", f"{latency:g} ms", "yes" if sent else "no")
                    ratios.setdefault(label, []).append(f["ratio"])
                    print(row([*label, f"{f['actions']:.0f}", f"{f['ok_requests']:.0f}", f"{f['chain']:.0f}",
                               f"{f['wall']:.2f}", f"{f['floor']:.2f}", f"{f['ratio']:.3f}", f"{f['peak']:.0f}",
                               f"{f['sustained']:.1f}", f"{f['refused']:.0f}", f"{f['failed']:.0f}",
                               "yes" if good else "NO"], WIDTHS), flush=True)  # fmt: skip
    if args.repeat > 1:
        print("ratio of wall to floor per figure: best, median (of", args.repeat, "runs)")
        for label, values in ratios.items():
            print(f"  {' '.join(label):22s} {min(values):.3f}  {statistics.median(values):.3f}")
    print(f"target: whole run <= {TARGET:g} x floor, 0 failed actions")
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
