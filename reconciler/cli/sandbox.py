"""`reconciler sandbox`: serve the Stripe emulator."""

from __future__ import annotations

import click

from reconciler.cli.errors import handle_errors
from reconciler.cli.main import main
from reconciler.cli.options import FileName, FiniteFloat, WholeNumber, _epilog


@main.command(epilog=_epilog("reconciler sandbox --db .reconciler/sandbox.db",
                             "reconciler sandbox --port 0 --rate-limit 0"))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the unauthenticated admin surface.")
@click.option("--port", type=WholeNumber(0, 65535), default=12111, show_default=True,
              help="Port to listen on (0: a free one, printed at start).")
@click.option("--db", "db_path", type=FileName(dir_okay=False), default=None,
              help="SQLite file to persist state in (in memory when omitted).")
@click.option("--latency-ms", type=FiniteFloat(0), default=0.0, help="Fault: added latency per request.")
@click.option("--rate-limit", type=FiniteFloat(0), default=25.0, show_default=True,
              help="Answer 429 past this many requests per second, as Stripe's test mode does (0: no limit).")
@click.option("--error-rate", type=FiniteFloat(0, 1), default=0.0, help="Fault: fraction of 500 answers.")
@click.option("--lose-response-rate", type=FiniteFloat(0, 1), default=0.0,
              help="Fault: fraction of writes committed but answered by a dropped connection.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for ids and faults.")
@handle_errors
def sandbox(host: str, port: int, db_path: str | None, latency_ms: float, rate_limit: float | None,
            error_rate: float, lose_response_rate: float, seed: int) -> None:
    """Run the local Stripe emulator (any sk_test_ key authenticates)."""
    from reconciler.sandbox.faults import FaultConfig
    from reconciler.sandbox.server import serve_forever

    faults = FaultConfig(latency_ms=latency_ms, rate_limit_rps=rate_limit or None, error_rate=error_rate,
                         lose_response_rate=lose_response_rate, seed=seed)
    serve_forever(host, port, db_path, faults)
