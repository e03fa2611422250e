"""Sandbox speed: sequential SDK requests/s, and list pages deep into 10,000 invoices.

Run: .venv/bin/python bench/sandbox_bench.py [--requests 1000] [--invoices 10000]

The sandbox runs in its own process (as `reconciler sandbox` does), so the
SDK client and the server do not share one interpreter lock. For each request
kind the table shows where a sequential request's time goes:

- SDK req/s        the real `stripe.StripeClient` (default HTTP client), one request at a time;
- client CPU       the SDK's own CPU per request (building, sending, parsing): a floor
                   no server can remove, since client and server take turns;
- server CPU       the sandbox process's CPU per request (all its threads, from /proc);
- rest             wall time per SDK request minus client CPU: the server's share
                   plus loopback wake-ups;
- raw req/s        the same requests from a minimal keep-alive socket client
                   (prebuilt bytes, Content-Length framing): the server-only ceiling.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import stripe

from reconciler.sandbox import SANDBOX_API_KEY
from reconciler.sandbox.app import SandboxApp
from reconciler.sandbox.models import customers, invoiceitems, invoices
from reconciler.sandbox.server import serve_forever
from reconciler.stripe_facts import API_VERSION

TARGET = 500  # issue 3: sequential SDK requests/s on loopback, no faults


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


class RawClient:
    """A keep-alive HTTP/1.1 client doing as little as possible, to time the server alone."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        # Roughly the headers the SDK sends, so the server parses a realistic request.
        self.headers = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {SANDBOX_API_KEY}\r\n"
            f"Stripe-Version: {API_VERSION}\r\nUser-Agent: Stripe/v1 PythonBindings/raw\r\n"
            'X-Stripe-Client-User-Agent: {"lang": "python", "httplib": "raw"}\r\n'
            "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n"
        )

    def request(self, method: str, path: str, body: str = "") -> int:
        head = f"{method} {path} HTTP/1.1\r\n{self.headers}"
        if method == "POST":
            head += (
                f"Idempotency-Key: {uuid.uuid4()}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n"
            )
        self.sock.sendall((head + "\r\n" + body).encode())
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head_bytes = self.buffer[:end].lower()
        start = head_bytes.index(b"content-length:") + 15
        length = int(head_bytes[start:head_bytes.index(b"\r\n", start)])
        while len(self.buffer) < end + 4 + length:
            self._fill()
        status = int(self.buffer[9:12])
        self.buffer = self.buffer[end + 4 + length:]
        return status

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used; NaN off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(call: Callable[[int], Any], count: int, server_pid: int) -> tuple[float, float, float]:
    """(wall, client CPU, server CPU) seconds for `count` sequential calls."""
    call(-1)  # warm-up: connection, caches
    server = process_cpu(server_pid)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        call(i)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return wall, cpu, process_cpu(server_pid) - server


def bench_requests(url: str, count: int, server_pid: int) -> None:
    sdk = client(url)
    raw = RawClient(url)
    customer = sdk.v1.customers.create({"name": "Bench"})
    kinds: dict[str, tuple[Callable[[int], Any], Callable[[int], Any]]] = {
        "GET  retrieve customer": (
            lambda i: sdk.v1.customers.retrieve(customer.id),
            lambda i: raw.request("GET", f"/v1/customers/{customer.id}"),
        ),
        "POST create customer": (
            lambda i: sdk.v1.customers.create({"name": f"c{i}", "metadata": {"i": str(i)}}),
            lambda i: raw.request("POST", "/v1/customers", f"name=c{i}&metadata[i]={i}"),
        ),
        "POST update customer": (
            lambda i: sdk.v1.customers.update(customer.id, {"description": str(i)}),
            lambda i: raw.request("POST", f"/v1/customers/{customer.id}", f"description={i}"),
        ),
        "GET  list customers (limit 10)": (
            lambda i: sdk.v1.customers.list({"limit": 10}),
            lambda i: raw.request("GET", "/v1/customers?limit=10"),
        ),
    }
    print(f"{count} sequential requests per kind, sandbox in a child process (file database)\n")
    print(f"{'':32s} {'--------- SDK client, ms per request ---------':>47s}  {'-- raw client --':>16s}")
    print(f"{'kind':32s} {'req/s':>6s} {'wall':>6s} {'client CPU':>10s} {'server CPU':>10s} {'rest':>6s}  "
          f"{'req/s':>6s} {'wall ms':>8s}")
    n, wall_t, cpu_t, server_t, raw_t = 0, 0.0, 0.0, 0.0, 0.0
    for label, (sdk_call, raw_call) in kinds.items():
        wall, cpu, server = timed(sdk_call, count, server_pid)
        raw_wall, _, _ = timed(raw_call, count, server_pid)
        n, wall_t, cpu_t, server_t, raw_t = n + count, wall_t + wall, cpu_t + cpu, server_t + server, raw_t + raw_wall
        print(_row(label, count, wall, cpu, server, raw_wall))
    raw.close()
    print(_row("all of the above, sequential", n, wall_t, cpu_t, server_t, raw_t))
    verdict = "met" if n / wall_t >= TARGET else "NOT met"
    print(f"\ntarget >= {TARGET} SDK req/s overall: {verdict}. The SDK client alone needs "
          f"{cpu_t / n * 1000:.2f} ms CPU/request: {n / cpu_t:.0f} req/s at most, even with an "
          "infinitely fast server.")
    print("(rest = wall - client CPU: server plus loopback wake-ups; raw = the server alone, "
          "minimal keep-alive client)\n")


def _row(label: str, n: int, wall: float, cpu: float, server: float, raw_wall: float) -> str:
    ms = 1000 / n
    return (f"{label:32s} {n / wall:6.0f} {wall * ms:6.2f} {cpu * ms:10.2f} {server * ms:10.2f} "
            f"{(wall - cpu) * ms:6.2f}  {n / raw_wall:6.0f} {raw_wall * ms:8.2f}")


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per kind")
    parser.add_argument("--invoices", type=int, default=10_000, help="0 skips the list-depth part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(str(Path(tmp) / "requests.db"))
        try:
            assert process.pid is not None
            bench_requests(url, args.requests, process.pid)
        finally:
            process.terminate()
        if not args.invoices:
            return
        db = str(Path(tmp) / "pages.db")
        seed_invoices(db, args.invoices)
        process, url = start_server(db)
        try:
            bench_pages(url, args.invoices)
        finally:
            process.terminate()


if __name__ == "__main__":
    main()
