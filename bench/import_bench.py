"""Cost of `reconciler import` (issue 10): an account made by hand, read and written as specs.

Seeds a sandbox in a child process (straight through the sandbox application,
as read_bench does) with 2,000 customers, 50 products, 100 prices and 10,000
invoices of 3 items, none of them managed: 60 % drafts, 25 % finalized, 10 %
also sent, 5 % paid. Then runs the import through the real SDK over HTTP and
prints the requests per endpoint against ceil(N/100) per kind, the wall time,
the peak memory, and the time of the plan that follows (10,000+ adoptions).

    python bench/import_bench.py              # the full account
    python bench/import_bench.py --scale 0.1  # a tenth of it
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path

from read_bench import ITEMS_PER_INVOICE, Seeder, _row

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.importer import ImportRequest, run_import
from reconciler.plan.planner import make_plan
from reconciler.sandbox import start_sandbox
from reconciler.spec.loader import load_specs


def seed(seeder: Seeder, *, products: int, prices: int, customers: int, invoices: int) -> None:
    """Objects as the Dashboard leaves them: no ownership tags."""
    product_ids = [seeder.post("/v1/products", {"name": f"Product {n}"}) for n in range(products)]
    price_ids = [
        seeder.post("/v1/prices", {"product": product_ids[n % products], "unit_amount": 100 + n, "currency": "usd"})
        for n in range(prices)
    ]
    # Every tenth name repeats an earlier one: same-name customers need distinct keys.
    names = [f"Customer {n - 9 if n % 10 == 9 else n}" for n in range(customers)]
    customer_ids = [seeder.post("/v1/customers", {"name": name}) for name in names]
    for n in range(invoices):
        customer_id = customer_ids[n % customers]
        invoice_id = seeder.post(
            "/v1/invoices", {"customer": customer_id, "collection_method": "send_invoice", "days_until_due": 30}
        )
        for i in range(ITEMS_PER_INVOICE):
            item = {"pricing": {"price": price_ids[(n + i) % prices]}, "quantity": 1 + i}
            seeder.post("/v1/invoiceitems", {"customer": customer_id, "invoice": invoice_id, **item})
        state = n % 20
        if state >= 12:
            seeder.post(f"/v1/invoices/{invoice_id}/finalize", {"auto_advance": False})
        if state >= 17:
            seeder.post(f"/v1/invoices/{invoice_id}/send", {})
        elif state == 16:
            seeder.post(f"/v1/invoices/{invoice_id}/pay", {"paid_out_of_band": True})
        if (n + 1) % max(1, invoices // 10) == 0:
            print(f"  seeded {n + 1}/{invoices} invoices", file=sys.stderr)


def _serve(counts: dict[str, int], conn: Connection) -> None:
    with start_sandbox() as running:
        started = time.perf_counter()
        seed(Seeder(running.app), **counts)
        conn.send((running.url, time.perf_counter() - started, running.app.stats.snapshot()["writes"]))
        conn.recv()
        conn.send(running.app.stats.snapshot()["writes"])
        conn.recv()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full account (default 1.0)")
    args = parser.parse_args(argv)
    counts = {
        "products": max(1, round(50 * args.scale)),
        "prices": max(1, round(100 * args.scale)),
        "customers": max(1, round(2000 * args.scale)),
        "invoices": max(1, round(10_000 * args.scale)),
    }
    print(f"scale {args.scale}: {counts} ({ITEMS_PER_INVOICE} items per invoice), none managed")
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(counts, child), daemon=True)
    server.start()
    try:
        url, seeding, writes_before = parent.recv()
        print(f"seeded in {seeding:.1f} s")
        with tempfile.TemporaryDirectory() as tmp:
            gateway = StripeGateway("sk_test_sandbox", api_base=url)
            started = time.perf_counter()
            report = run_import(ImportRequest(out=Path(tmp) / "specs"), gateway)
            wall = time.perf_counter() - started
            by_endpoint = gateway.request_counts
            started = time.perf_counter()
            desired = load_specs([Path(tmp) / "specs"])
            plan = make_plan(desired, read_live(StripeGateway("sk_test_sandbox", api_base=url), adopt=desired.adopt_ids()))
            plan_wall = time.perf_counter() - started
            # A second import under tracemalloc (which slows it) for the peak memory.
            tracemalloc.start()
            run_import(ImportRequest(out=Path(tmp) / "again"), StripeGateway("sk_test_sandbox", api_base=url))
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        parent.send("writes?")
        writes_after = parent.recv()
    finally:
        parent.send("stop")
        server.join(timeout=30)

    print()
    print(_row(("endpoint", "objects", "requests", "ceil(N/100)", "within")))
    ok = True
    for kind, n in counts.items():
        sent = by_endpoint.get(f"GET /v1/{kind}", 0)
        bound = max(1, math.ceil(n / 100))
        ok &= sent <= bound
        print(_row((f"GET /v1/{kind}", n, sent, bound, "yes" if sent <= bound else "NO")))
    evidence = {k: v for k, v in by_endpoint.items() if k not in {f"GET /v1/{kind}" for kind in counts}}
    print(f"send evidence: {evidence}")
    ok &= report.list_requests <= report.list_bound and writes_after == writes_before
    print()
    print(f"written: {report.written} in {len(report.files)} files; {report.adopted} to adopt; "
          f"skipped {len(report.skipped)}")
    print(f"list requests: {report.list_requests} against the bound {report.list_bound} "
          f"(ratio {report.list_requests / report.list_bound:.2f}); writes to Stripe: {writes_after - writes_before}")
    print(f"import: {wall:.2f} s wall; peak memory {peak / 2**20:.0f} MB traced (tracemalloc), "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max RSS of the importing process")
    print(f"the plan after it: {len(plan.actions)} actions ({plan.summary}) in {plan_wall:.2f} s")
    print("within bound: yes" if ok else "within bound: NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
