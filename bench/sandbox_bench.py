"""Sandbox speed: sequential SDK requests/s, and list pages deep into 10,000 invoices.

Run: .venv/bin/python bench/sandbox_bench.py [--requests 2000] [--invoices 10000]

The sandbox runs in its own process (as `reconciler sandbox` does), so the
SDK client and the server do not share one interpreter lock.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import stripe

from reconciler.ownership import API_VERSION
from reconciler.sandbox import SANDBOX_API_KEY
from reconciler.sandbox.app import SandboxApp
from reconciler.sandbox.models import customers, invoiceitems, invoices
from reconciler.sandbox.server import serve_forever


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: str) -> tuple[multiprocessing.Process, str]:
    port = free_port()
    process = multiprocessing.Process(target=serve_forever, args=("127.0.0.1", port, db, None), daemon=True)
    process.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=1).read()
            return process, url
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        SANDBOX_API_KEY, base_addresses={"api": url}, stripe_version=API_VERSION, max_network_retries=0
    )


def bench_requests(url: str, count: int) -> None:
    sdk = client(url)
    customer = sdk.v1.customers.create({"name": "Bench"})
    mixes = {
        "GET  retrieve customer": lambda i: sdk.v1.customers.retrieve(customer.id),
        "POST create customer": lambda i: sdk.v1.customers.create({"name": f"c{i}", "metadata": {"i": str(i)}}),
        "POST update customer": lambda i: sdk.v1.customers.update(customer.id, {"description": str(i)}),
        "GET  list customers (limit 10)": lambda i: sdk.v1.customers.list({"limit": 10}),
    }
    total_n, total_t = 0, 0.0
    for label, call in mixes.items():
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(count):
            call(i)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        total_n, total_t = total_n + count, total_t + elapsed
        # The SDK's own CPU per request bounds what any server can reach sequentially.
        print(f"{label:34s} {count / elapsed:8.0f} req/s   SDK client CPU {cpu / count * 1000:.2f} ms/req")
    print(f"{'all of the above, sequential':34s} {total_n / total_t:8.0f} req/s  (target >= 500)")


def seed_invoices(db: str, count: int) -> None:
    app = SandboxApp(db)
    start = time.perf_counter()
    with app.store.transaction() as tx:
        people = [customers.create(app.ctx, tx, {"name": f"c{i}"}) for i in range(200)]
    done = 0
    while done < count:
        with app.store.transaction() as tx:
            for i in range(done, min(count, done + 1000)):
                invoice = invoices.create(app.ctx, tx, {"customer": people[i % 200]["id"]})
                invoiceitems.create(app.ctx, tx, {"invoice": invoice["id"], "amount": 100 + i, "currency": "usd"})
        done = min(count, done + 1000)
    app.close()
    print(f"seeded {count} invoices through the models in {time.perf_counter() - start:.1f} s")


def bench_pages(url: str, count: int) -> None:
    sdk = client(url)
    times: list[float] = []
    after: str | None = None
    seen = 0
    while True:
        params: dict[str, object] = {"limit": 100}
        if after:
            params["starting_after"] = after
        start = time.perf_counter()
        page = sdk.v1.invoices.list(params)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        seen += len(page.data)
        if not page.has_more:
            break
        after = page.data[-1].id
    first, last = statistics.mean(times[:10]), statistics.mean(times[-10:])
    print(f"listed {seen} invoices in {len(times)} pages of 100")
    print(f"first 10 pages: {first * 1000:6.1f} ms/page   last 10 pages: {last * 1000:6.1f} ms/page   "
          f"ratio last/first {last / first:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="requests per kind")
    parser.add_argument("--invoices", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(str(Path(tmp) / "requests.db"))
        try:
            bench_requests(url, args.requests)
        finally:
            process.terminate()
        db = str(Path(tmp) / "pages.db")
        seed_invoices(db, args.invoices)
        process, url = start_server(db)
        try:
            bench_pages(url, args.invoices)
        finally:
            process.terminate()


if __name__ == "__main__":
    main()
