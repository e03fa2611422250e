"""Shared helpers for the applier's tests: the sandbox over HTTP (real SDK)
and a fake clock, so backoffs and rate-limit waits take no real time."""

from __future__ import annotations

import textwrap
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import NullReporter, Reporter
from reconciler.apply.result import ApplyResult
from reconciler.apply.runner import apply_plan
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.live.records import Live
from reconciler.plan.plan import Plan
from reconciler.plan.planner import make_plan
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from reconciler.spec.loader import load_specs

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"


class FakeClock:
    """Time that only moves when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def write_specs(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "specs.yaml").write_text(textwrap.dedent(text))
    return directory


def gateway_for(sandbox: RunningSandbox) -> StripeGateway:
    return StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)


def fast_options(**overrides: object) -> ApplyOptions:
    """Real time, but short backoffs and no client rate limit worth the name."""
    base: dict[str, object] = dict(parallelism=4, max_rps=1000.0, base_backoff=0.01, max_backoff=0.05, max_attempts=12)
    base.update(overrides)
    return ApplyOptions(**base)  # type: ignore[arg-type]


def overlapping_applies(sandbox: RunningSandbox, specs: Path, *, path_prefix: str) -> list[ApplyResult]:
    """Two applies of `specs` whose first POST to `path_prefix` overlap in flight:
    the first is held until the second's same-key request was refused (409)."""
    results: list[ApplyResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            # Patient retries: the second apply's 409s last until the first is released.
            results.append(plan_and_apply(gateway_for(sandbox), specs, options=fast_options(max_attempts=100))[1])
        except BaseException as exc:  # noqa: BLE001 - reported by the caller's assert
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    with sandbox.holding(path_prefix, method="POST"):
        threads[0].start()
        sandbox.wait_held()
        threads[1].start()
        sandbox.wait_for_status(409)
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def plan_for(gateway: StripeGateway, specs: Path, *, prune: bool = False) -> tuple[Plan, Live]:
    desired = load_specs([specs])
    live = read_live(gateway, adopt=desired.adopt_ids())
    return make_plan(desired, live, prune=prune), live


def plan_and_apply(
    gateway: StripeGateway,
    specs: Path,
    *,
    prune: bool = False,
    options: ApplyOptions | None = None,
    reporter: Reporter | None = None,
) -> tuple[Plan, ApplyResult]:
    plan, live = plan_for(gateway, specs, prune=prune)
    result = apply_plan(plan, gateway, live, options=options or fast_options(), reporter=reporter or NullReporter())
    return plan, result


def remaining_actions(gateway: StripeGateway, specs: Path, *, prune: bool = False) -> list[str]:
    plan, _ = plan_for(gateway, specs, prune=prune)
    return [a.id for a in plan.actions]


def duplicates(gateway: StripeGateway) -> list[str]:
    """Managed objects claiming one key twice, and items repeated on an invoice."""
    live = read_live(gateway)
    found = [f"{kind_key}: {', '.join(ids)}" for kind_key, ids in sorted(live.duplicates.items())]
    for key, invoice in sorted(live.invoices.items()):
        counts = Counter(item.key for item in invoice.items)
        found += [f"item {key}/{item}: {n} copies" for item, n in sorted(counts.items()) if n > 1]
    return found


def object_counts(gateway: StripeGateway) -> dict[str, int]:
    """Every object in the account (managed or not), by list endpoint."""
    paths = ("/v1/products", "/v1/prices", "/v1/customers", "/v1/invoices", "/v1/invoiceitems")
    return {path: sum(1 for _ in gateway.paginate(path)) for path in paths}


def sent_events(gateway: StripeGateway) -> Counter[str]:
    """invoice id -> number of invoice.sent events (emails to the customer)."""
    events = gateway.paginate("/v1/events", {"type": "invoice.sent"})
    return Counter(str(e["data"]["object"]["id"]) for e in events)


def invoice_ids_by_key(gateway: StripeGateway) -> dict[str, str]:
    return {key: inv.id for key, inv in read_live(gateway).invoices.items()}


def keyed_writes(sandbox: RunningSandbox, since: int = 0) -> list[dict[str, Any]]:
    """Requests the sandbox answered that carried an idempotency key, in order
    (method, path, key, status, replayed), from position `since` on."""
    return list(sandbox.stats()["idempotency_keys"][since:])
