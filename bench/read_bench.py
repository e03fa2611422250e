"""Read cost of the live-state reader (issue 4, Speed).

Seeds a fresh in-memory sandbox, in a child process, with managed objects
(straight through the sandbox application, for speed), then runs read_live
once — through the real SDK over HTTP — and prints the requests it
sent per endpoint, the ceil(N/100) bound per kind, the ratio against one GET
per object, wall time and peak memory.

    python bench/read_bench.py              # 10,000 invoices of 3 items, 2,000 customers, 50 products, 100 prices
    python bench/read_bench.py --scale 0.1  # a tenth of that
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterable
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlencode

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.ownership import ITEM_KEY, OWNER_KEY
from reconciler.sandbox import SANDBOX_API_KEY, start_sandbox

ITEMS_PER_INVOICE = 3


class Seeder:
    """Writes straight into the sandbox application (`SandboxApp.handle`, the same
    validation and models the HTTP server calls), ~5x faster than SDK calls over
    HTTP. Only the read under test goes through the SDK and HTTP."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers = {"authorization": f"Bearer {SANDBOX_API_KEY}"}

    def post(self, path: str, params: dict[str, Any]) -> str:
        body = urlencode(_flatten(params)).encode()
        reply = self.app.handle("POST", path, "", self.headers, body)
        if reply.status != 200:
            raise RuntimeError(f"seeding {path} failed: {reply.status} {reply.body}")
        return str(reply.body["id"])


def _flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding (a[b]=c) for the flat dicts used here."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            out.extend(_flatten(value, name))
        elif isinstance(value, bool):
            out.append((name, str(value).lower()))
        else:
            out.append((name, str(value)))
    return out


def seed(seeder: Seeder, *, products: int, prices: int, customers: int, invoices: int) -> None:
    product_ids = [
        seeder.post("/v1/products", {"name": f"Product {n}", "metadata": {OWNER_KEY: f"product-{n}"}})
        for n in range(products)
    ]
    price_ids = [
        seeder.post(
            "/v1/prices",
            {
                "product": product_ids[n % products],
                "unit_amount": 100 + n,
                "currency": "usd",
                "metadata": {OWNER_KEY: f"price-{n}"},
            },
        )
        for n in range(prices)
    ]
    customer_ids = [
        seeder.post("/v1/customers", {"name": f"Customer {n}", "metadata": {OWNER_KEY: f"customer-{n}"}})
        for n in range(customers)
    ]
    for n in range(invoices):
        customer_id = customer_ids[n % customers]
        invoice_id = seeder.post(
            "/v1/invoices",
            {
                "customer": customer_id,
                "collection_method": "send_invoice",
                "days_until_due": 30,
                "auto_advance": False,
                "metadata": {OWNER_KEY: f"invoice-{n}"},
            },
        )
        for i in range(ITEMS_PER_INVOICE):
            seeder.post(
                "/v1/invoiceitems",
                {
                    "customer": customer_id,
                    "invoice": invoice_id,
                    "pricing": {"price": price_ids[(n + i) % prices]},
                    "quantity": 1 + i,
                    "metadata": {ITEM_KEY: f"item-{i}"},
                },
            )
        if (n + 1) % max(1, invoices // 10) == 0:
            print(f"  seeded {n + 1}/{invoices} invoices", file=sys.stderr)


def _row(cells: Iterable[Any]) -> str:
    widths = (34, 10, 10, 14, 8)
    return "".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False)))


def _serve(counts: dict[str, int], conn: Connection) -> None:
    """Child process: start and seed a sandbox, report its URL, serve until told to stop."""
    with start_sandbox() as running:
        started = time.perf_counter()
        seed(Seeder(running.app), **counts)
        conn.send((running.url, time.perf_counter() - started))
        conn.recv()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full data set (default 1.0)")
    args = parser.parse_args(argv)

    counts = {
        "products": max(1, round(50 * args.scale)),
        "prices": max(1, round(100 * args.scale)),
        "customers": max(1, round(2000 * args.scale)),
        "invoices": max(1, round(10_000 * args.scale)),
    }
    print(f"scale {args.scale}: {counts} ({ITEMS_PER_INVOICE} items per invoice)")

    # The sandbox runs in its own process, so the CPU time and memory below are the reader's alone.
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(counts, child), daemon=True)
    server.start()
    try:
        url, seeding = parent.recv()
        print(f"seeded in {seeding:.1f} s")
        gateway = StripeGateway(SANDBOX_API_KEY, api_base=url)
        started = time.perf_counter()
        cpu_started = time.process_time()
        live = read_live(gateway)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        by_endpoint = gateway.request_counts
        total = gateway.total_requests
        # A second read under tracemalloc (which slows it) for the reader's peak memory.
        del live
        tracemalloc.start()
        live = read_live(StripeGateway(SANDBOX_API_KEY, api_base=url))
        reader_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        parent.send("stop")
        server.join(timeout=30)

    found = {
        "products": len(live.products),
        "prices": len(live.prices),
        "customers": len(live.customers),
        "invoices": len(live.invoices),
    }
    items = sum(len(inv.items) for inv in live.invoices.values())
    assert found == counts, f"read {found}, seeded {counts}"
    assert items == counts["invoices"] * ITEMS_PER_INVOICE, f"read {items} items"

    print()
    print(_row(("endpoint", "objects", "requests", "ceil(N/100)", "within")))
    ok = True
    for kind, n in counts.items():
        sent = by_endpoint.get(f"GET /v1/{kind}", 0)
        bound = max(1, math.ceil(n / 100))
        ok &= sent <= bound
        print(_row((f"GET /v1/{kind}", n, sent, bound, "yes" if sent <= bound else "NO")))
    lines = by_endpoint.get("GET /v1/invoices/{id}/lines", 0)
    ok &= lines == 0
    print(_row(("GET /v1/invoices/{id}/lines", "-", lines, 0, "yes" if lines == 0 else "NO")))
    others = {k: v for k, v in by_endpoint.items() if k not in {f"GET /v1/{kind}" for kind in counts}}
    others.pop("GET /v1/invoices/{id}/lines", None)
    ok &= not others
    per_object = sum(counts.values()) + items
    print()
    print(f"total requests: {total}")
    print(f"one GET per object would be: {per_object} ({sum(counts.values())} objects + {items} invoice items)")
    print(f"ratio: {total / per_object:.4f} ({per_object / total:.0f}x fewer requests)")
    print(f"read: {wall:.2f} s wall, {cpu:.2f} s CPU in the reading process")
    print(f"reader peak memory: {reader_peak / 2**20:.0f} MB traced (tracemalloc), "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB max RSS of the reading process")
    print("within bound: yes" if ok else "within bound: NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
