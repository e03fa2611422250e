"""Receiver speed: signed events verified, journaled and acknowledged per second, and p99 ack latency.

Run: .venv/bin/python bench/webhook_bench.py [--events 20000] [--connections 32] [--journal FILE|URL]

`reconciler webhook serve` runs as its own process (uvicorn, as in production,
a SQLite journal with synchronous=FULL by default); this script is the
separate load process. It prebuilds distinct signed events (a real
invoice.paid body each), then sends them over keep-alive connections, each
connection one request at a time, and times every acknowledgement. Afterwards
it checks that the journal holds every event exactly once. The bound: 1,000
events/s on this machine (2 cores, shared by the load process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.receiver.journal import open_journal
from reconciler.receiver.signature import sign

BOUND = 1000.0  # events/s, issue 11
SECRET = "whsec_bench0000000000000000000000"


def event_body(n: int) -> bytes:
    invoice = {"id": f"in_bench{n:08d}", "object": "invoice", "status": "paid", "amount_due": 1000,
               "amount_paid": 1000, "amount_remaining": 0, "currency": "usd", "customer": "cus_bench",
               "metadata": {"reconciler_id": f"bench-{n}"}, "number": f"BENCH-{n:06d}"}  # fmt: skip
    event = {"id": f"evt_bench{n:010d}", "object": "event", "api_version": "2026-10-28.endive",
             "created": int(time.time()), "type": "invoice.paid", "livemode": False, "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None}, "data": {"object": invoice}}  # fmt: skip
    return json.dumps(event, indent=2).encode()


def request_bytes(host: str, body: bytes) -> bytes:
    head = (f"POST /webhook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
            f"Stripe-Signature: {sign(SECRET, body, int(time.time()))}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def connection(port: int, requests: list[bytes], latencies: list[float], failures: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                failures.append(status)
    finally:
        writer.close()


async def load(port: int, requests: list[bytes], connections: int) -> tuple[float, list[float], list[int]]:
    shares = [requests[i::connections] for i in range(connections)]
    latencies: list[float] = []
    failures: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(*(connection(port, share, latencies, failures) for share in shares))
    return time.perf_counter() - started, latencies, failures


def start_receiver(folder: Path, journal: str) -> tuple[subprocess.Popen[bytes], int]:
    secret = folder / "secret"
    secret.write_text(SECRET + "\n")
    (folder / "hooks.yaml").write_text("hooks: []\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "webhook", "serve", "--port", "0", "--journal", journal,
         "--secret-file", str(secret), "--hooks", str(folder / "hooks.yaml"), "--sandbox", str(folder / "sb.db")],
        stdout=subprocess.PIPE, stderr=open(folder / "receiver.log", "wb"), cwd=folder,
        env={k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("listening on "):
        raise SystemExit(f"receiver did not start: {(folder / 'receiver.log').read_text()}")
    return process, int(line.split()[2].rsplit(":", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--journal", default=None, help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp:
        folder = Path(tmp)
        journal = args.journal or str(folder / "journal.db")
        process, port = start_receiver(folder, journal)
        try:
            host = f"127.0.0.1:{port}"
            warmup = [request_bytes(host, event_body(n)) for n in range(500)]
            requests = [request_bytes(host, event_body(n)) for n in range(500, 500 + args.events)]
            asyncio.run(load(port, warmup, args.connections))
            elapsed, latencies, failures = asyncio.run(load(port, requests, args.connections))
        finally:
            process.terminate()
            process.wait(timeout=60)
        store = open_journal(journal)
        try:
            journaled = len(store.events())
        finally:
            store.close()
    rate = args.events / elapsed
    ordered = sorted(latencies)
    p50, p99 = statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]
    print(f"receiver: {args.events} signed invoice.paid events over {args.connections} keep-alive connections, "
          f"journal {'PostgreSQL' if journal.startswith('postgres') else 'SQLite (synchronous=FULL)'}")
    print(f"  events/s        {rate:8.0f}   bound {BOUND:.0f}   ratio {rate / BOUND:.2f}"
          f"   {'OK' if rate >= BOUND else 'BELOW BOUND'}")
    print(f"  ack latency     p50 {p50 * 1000:.1f} ms   p99 {p99 * 1000:.1f} ms")
    print(f"  non-200 answers {len(failures)}   journaled {journaled} of {args.events + 500} sent (warm-up included)")


if __name__ == "__main__":
    main()
