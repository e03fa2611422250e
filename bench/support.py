"""What the benchmarks share: a sandbox in its own process, and accounts seeded
straight into it at its full speed.

The sandbox runs in a child process (as `reconciler sandbox` does), so the
figures are the client's alone and client and server do not share one
interpreter lock. Seeding skips HTTP and the CLI's rate limit: the planner
plans the specs against an empty account and every write of that plan goes
straight into the sandbox application (`SandboxApp.handle`: the same
validation and models the HTTP server calls), with a clock that spreads the
objects' `created` over the past, as in an account that grew over time.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
import urllib.request
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.apply.resolve import Resolver  # noqa: E402
from reconciler.apply.runner import dependency_graph  # noqa: E402
from reconciler.apply.steps import steps_for  # noqa: E402
from reconciler.gateway import write  # noqa: E402
from reconciler.live.records import Live  # noqa: E402
from reconciler.plan.actions import Ref, _Create  # noqa: E402
from reconciler.plan.planner import make_plan  # noqa: E402
from reconciler.sandbox import SANDBOX_API_KEY, start_sandbox  # noqa: E402
from reconciler.spec.loader import load_specs  # noqa: E402

YEAR = 365 * 86400


class SpreadClock:
    """The sandbox clock: `now` ticks forward per object while seeding, real time after."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.seeding = True

    def __call__(self) -> float:
        return self.now if self.seeding else time.time()


def seed_specs(app: Any, clock: SpreadClock, spec_dir: str, *, spread: float = YEAR, progress: bool = True) -> int:
    """Create everything the specs in `spec_dir` describe; returns the writes sent.

    The objects' creation times are spread evenly over `spread` seconds up to now.
    """
    plan = make_plan(load_specs([spec_dir]), Live())
    headers = {"authorization": f"Bearer {SANDBOX_API_KEY}"}
    resolver = Resolver(Live())
    actions = _in_dependency_order(plan.actions)
    step = spread / max(1, len(actions))
    clock.now = time.time() - spread
    writes = 0
    for n, action in enumerate(actions):
        clock.now += step
        for one in steps_for(action):
            target = str(resolver.resolve(one.target)) if one.target is not None else None
            method, path, params = write.request_for(one.op, target, resolver.resolve(one.params))
            reply = app.handle(method, path, "", headers, urlencode(form_fields(params)).encode())
            if reply.status != 200:
                raise RuntimeError(f"seeding {method} {path} failed: {reply.status} {reply.body}")
            writes += 1
            if one.name == "create" and isinstance(action, _Create):
                resolver.record(Ref(action.kind, action.key), str(reply.body["id"]))
        if progress and (n + 1) % max(1, len(actions) // 10) == 0:
            print(f"  seeded {n + 1}/{len(actions)} actions", file=sys.stderr, flush=True)
    clock.seeding = False
    return writes


def _in_dependency_order(actions: Any) -> list[Any]:
    graph = dependency_graph(list(actions))
    by_id = {a.id: a for a in actions}
    done: set[str] = set()
    ordered = []
    for action in actions:  # plan order, each action after what it waits for
        stack = [action.id]
        while stack:
            node = stack[-1]
            pending = [d for d in sorted(graph[node]) if d not in done]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if node not in done:
                done.add(node)
                ordered.append(by_id[node])
    return ordered


def form_fields(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: a[b]=c, a[0]=x; None is left out."""
    out: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, dict) else enumerate(params)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, (dict, list, tuple)):
            out.extend(form_fields(value, name))  # type: ignore[arg-type]
        elif isinstance(value, bool):
            out.append((name, str(value).lower()))
        else:
            out.append((name, str(value)))
    return out


def _serve(spec_dir: str | None, spread: float, conn: Connection) -> None:
    clock = SpreadClock(time.time())
    with start_sandbox(clock=clock, deliver_webhooks=False) as running:
        started = time.perf_counter()
        writes = seed_specs(running.app, clock, spec_dir, spread=spread) if spec_dir else 0
        clock.seeding = False
        conn.send((running.url, writes, time.perf_counter() - started))
        conn.recv()


class ChildSandbox:
    """A sandbox in a child process, seeded with `spec_dir` (if given) before it answers."""

    def __init__(self, spec_dir: str | Path | None = None, *, spread: float = YEAR) -> None:
        self._parent, child = multiprocessing.Pipe()
        context = multiprocessing.get_context("spawn")
        self._process = context.Process(
            target=_serve, args=(str(spec_dir) if spec_dir else None, spread, child), daemon=True
        )
        self._process.start()
        self.url, self.seed_writes, self.seed_seconds = self._parent.recv()

    def __enter__(self) -> ChildSandbox:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._parent.send("stop")
        self._process.join(timeout=30)

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_sandbox/{path}", data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=60) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result

    def set_faults(self, **faults: Any) -> None:
        self.admin("faults", faults)

    def stats(self) -> dict[str, Any]:
        return self.admin("stats")


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest wall time of `runs` calls, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def row(cells: list[Any], widths: list[int]) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
