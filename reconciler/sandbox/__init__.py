"""A faithful, stateful local emulator of Stripe's invoicing API.

`start_sandbox()` serves it on a free loopback port in a background thread;
the real `stripe` SDK talks to it with `base_addresses={"api": sandbox.url}`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from reconciler.sandbox.admin import account_settings, account_tax_id, payment
from reconciler.sandbox.app import SandboxApp
from reconciler.sandbox.faults import FaultConfig, HoldRule
from reconciler.sandbox.server import SandboxHTTPServer, make_server, url_of

SANDBOX_API_KEY = "sk_test_sandbox"

__all__ = ["SANDBOX_API_KEY", "FaultConfig", "RunningSandbox", "SandboxApp", "start_sandbox"]


class RunningSandbox:
    """A sandbox serving in a background thread. Use as a context manager."""

    def __init__(self, app: SandboxApp, server: SandboxHTTPServer, thread: threading.Thread) -> None:
        self.app = app
        self._server = server
        self._thread = thread
        self.url = url_of(server)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.app.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Empty all state, faults and statistics (held requests are released)."""
        self.app.reset()

    def set_fault_clock(self, clock: Callable[[], float] | None) -> None:
        """The clock of the injected rate limit's window (None, and reset(): the real one)."""
        self.app.faults.use_clock(clock)

    def hold(self, path_prefix: str, *, method: str | None = None, params: dict[str, str] | None = None,
             times: int | None = 1) -> None:
        """Keep the next `times` matching requests (None: all) in flight until `release()`.

        A held request has claimed its idempotency key and executed nothing;
        `wait_held()` returns once it is there. Deterministic where latency
        would only make an overlap likely.
        """
        self.app.faults.hold(HoldRule(path_prefix, method=method, params=dict(params or {}), times=times))

    @contextmanager
    def holding(self, path_prefix: str, *, method: str | None = None, params: dict[str, str] | None = None,
                times: int | None = 1) -> Iterator[None]:
        """`hold(...)` for the block; whatever is held is released when it ends."""
        self.hold(path_prefix, method=method, params=params, times=times)
        try:
            yield
        finally:
            self.release()

    def wait_held(self, count: int = 1, timeout: float = 30.0) -> None:
        """Return once `count` requests are held (TimeoutError after `timeout` s: a failed test)."""
        self.app.faults.wait_held(count, timeout)

    def release(self) -> None:
        """Let every held request go on; hold no more."""
        self.app.faults.release()

    def wait_for_status(self, status: int, count: int = 1, timeout: float = 30.0) -> None:
        """Return once `count` answers with HTTP `status` were sent since the last reset."""
        self.app.stats.wait_for_status(status, count, timeout)

    def stats(self) -> dict[str, Any]:
        """{"total", "writes", "by_route": {"POST /v1/customers": n, …}, "by_status",
        "idempotency_keys": [{"method", "path", "key", "status", "replayed"}, …]}."""
        return self.app.stats.snapshot()

    def set_faults(self, **changes: Any) -> FaultConfig:
        """Change fault settings (FaultConfig fields); returns the new settings.

        `fail_routes=[{"method": "POST", "path_prefix": "/v1/invoiceitems",
        "params": {"amount": "5000"}, "status": 400, "code": "...", "times": 1}]`
        makes matching requests fail without executing (see FailRule);
        setting it replaces the rules and re-arms their `times`.
        """
        config = self.app.faults.config.updated(changes)
        self.app.faults.configure(config)
        return config

    def set_account_settings(self, **changes: str | None) -> dict[str, Any]:
        """Set the account's invoice defaults, `invoice_footer` and `invoice_memo`
        (None clears one): like Stripe, new invoices that set no footer (and
        whose customer has none) or no description get them. Returns the settings."""
        return account_settings(self.app, changes)

    def seed_account_tax_id(self, tax_type: str, value: str) -> str:
        """One of the account's own tax IDs (POST /_sandbox/tax_ids does the same over HTTP): its txi_ id."""
        return str(account_tax_id(self.app, tax_type, value)["id"])

    def pay(self, invoice_id: str, outcome: str = "succeeded") -> dict[str, Any]:
        """The customer pays an open invoice: succeeded, processing or failed."""
        return payment(self.app, invoice_id, "pay", outcome)

    def settle(self, invoice_id: str, outcome: str = "succeeded") -> dict[str, Any]:
        """A processing payment ends: succeeded or failed."""
        return payment(self.app, invoice_id, "settle", outcome)

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox's clock forward (keys expire after 24 h, events after
        30 days); the new time. `reset()` puts it back."""
        self.app.clock.advance(seconds)
        self.app.run_timers()  # e.g. an auto-advancing draft whose grace period passed
        self.app.dispatcher.notify()
        return self.app.clock()

    def deliver_webhooks(self) -> int:
        """Attempt every due webhook delivery now; how many were attempted."""
        return self.app.dispatcher.deliver_due()


def start_sandbox(
    db_path: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultConfig | None = None,
    clock: Callable[[], float] = time.time,
    seed: int = 0,
    deliver_webhooks: bool = True,
    holder: str | None = None,
) -> RunningSandbox:
    """Serve a sandbox in a background thread; returns once it listens.

    `holder` names this process to another finding `db_path` in use.
    """
    who = holder or f"a sandbox in process {os.getpid()}"
    app = SandboxApp(db_path, faults=faults, clock=clock, seed=seed, holder=who)
    try:
        server = make_server(host, port, app)
    except BaseException:
        app.close()
        raise
    app.store.describe_holder(f"{who}, serving {url_of(server)}")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
    )
    thread.start()
    if deliver_webhooks:
        app.dispatcher.start()
    return RunningSandbox(app, server, thread)
