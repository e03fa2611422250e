"""apply_plan: run a plan's actions in dependency order, as many at once as the pacer allows.

Independent actions run in parallel: about rate x round-trip time of them
(reconciler.gateway.pacing), at most `parallelism`, every request through one
token bucket at `max_rps`.
A failed action marks everything that depends on it (transitively) as
skipped while independent work continues; `fail_fast` stops scheduling new
work after the first failure. Resuming needs no local state: a re-run plans
from live state, and deterministic idempotency keys make repeated writes
replays.

Ctrl-C (KeyboardInterrupt in the main thread) stops scheduling: actions
already running finish (each is idempotent, and stopping one between its
steps would leave more to redo), the rest are skipped as "interrupted", the
reporter's end hook runs, and the result says `interrupted`. A second Ctrl-C
stops waiting for the running ones too.
"""

from __future__ import annotations

import heapq
import logging
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

from reconciler.apply.execute import Execution
from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import Reporter
from reconciler.apply.result import ActionOutcome, ApplyResult, describe
from reconciler.apply.schedule import remaining_chains
from reconciler.apply.steps import steps_for
from reconciler.errors import ReconcilerError
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.pacing import Pacer
from reconciler.gateway.pool import PacedPool
from reconciler.live.records import Live
from reconciler.plan.actions import Action, Ref, SendInvoice, _Create, refs_in

if TYPE_CHECKING:
    from reconciler.plan.plan import Plan

log = logging.getLogger(__name__)


def dependency_graph(actions: list[Action]) -> dict[str, set[str]]:
    """Action id -> ids it waits for, within the plan.

    The planner's `depends_on` is the contract; ids outside the plan (already
    satisfied by live state) are dropped. A Ref to an object this plan
    creates adds that create as a dependency too, so a missing edge can never
    send a request with an unresolved id.
    """
    ids = {act.id for act in actions}
    creators = {(act.kind, act.key): act.id for act in actions if isinstance(act, _Create)}
    graph: dict[str, set[str]] = {}
    for act in actions:
        deps = {d for d in act.depends_on if d in ids}
        for step in steps_for(act):
            refs = refs_in(step.params) + ([step.target] if isinstance(step.target, Ref) else [])
            deps.update(creators[(r.kind, r.key)] for r in refs if (r.kind, r.key) in creators)
        deps.discard(act.id)
        graph[act.id] = deps
    return graph


def dependents_of(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {node: set() for node in graph}
    for node, deps in graph.items():
        for dep in deps:
            out[dep].add(node)
    return out


def apply_plan(
    plan: Plan,
    gateway: StripeGateway,
    live: Live,
    *,
    options: ApplyOptions,
    reporter: Reporter,
    pacer: Pacer | None = None,
) -> ApplyResult:
    """Execute `plan` against `gateway`; never raises for a failed action.

    `pacer`: the one the live state was read through (its window already
    follows the round trip); by default a fresh one from `options`.
    """
    execution = Execution(
        gateway, live, options=options, reporter=reporter, fingerprint=plan.fingerprint, pacer=pacer
    )
    return _Run(plan, execution, options=options, reporter=reporter).execute()


class _Run:
    """One apply in progress: what waits, what is ready, what finished, the result so far."""

    def __init__(self, plan: Plan, execution: Execution, *, options: ApplyOptions, reporter: Reporter) -> None:
        self.actions = list(plan.actions)
        self.execution = execution
        self.options = options
        self.reporter = reporter
        self.by_id = {act.id: act for act in self.actions}
        self.order = {act.id: i for i, act in enumerate(self.actions)}
        graph = dependency_graph(self.actions)
        self.dependents = dependents_of(graph)
        self.waiting = {node: set(deps) for node, deps in graph.items()}
        # A heap: the longest chain still ahead first (reconciler.apply.schedule), then plan position.
        chains = remaining_chains(self.actions, self.dependents)
        self.priority = {act.id: (-chains[act.id], self.order[act.id]) for act in self.actions}
        self.ready = [(self.priority[act.id], act.id) for act in self.actions if not self.waiting[act.id]]
        heapq.heapify(self.ready)
        self.finished: set[str] = set()
        self.result = ApplyResult()
        self.stopped = False  # by fail_fast or Ctrl-C: start nothing more

    def execute(self) -> ApplyResult:
        started_at = self.options.clock()
        self.reporter.on_begin(len(self.actions))
        pool: PacedPool[str | None] = PacedPool(self.execution.pacer, name="apply", per_request=True)
        if any(isinstance(act, SendInvoice) for act in self.actions):
            pool.submit(None, self.execution.prefetch_sent_ledger)  # a run task, not an action
        try:
            self._schedule(pool)
        finally:
            # After a second Ctrl-C the workers finish in the background; no new one starts.
            pool.shutdown(wait=not pool.running)
            self.execution.close()
        self._skip_unfinished(pool.running)
        for outcomes in (self.result.done, self.result.failed, self.result.skipped):
            outcomes.sort(key=lambda o: self.order[o.id])
        self.result.requests = self.execution.attempts
        self.result.retries = self.execution.retries
        self.result.seconds = self.options.clock() - started_at
        self.reporter.on_end(self.result)
        return self.result

    def _schedule(self, pool: PacedPool[str | None]) -> None:
        interrupts = 0
        while True:
            # The loop's test inside the try too: Ctrl-C may land while it is evaluated.
            try:
                if not (pool.running or (self.ready and not self.stopped)):
                    return
                while self.ready and not self.stopped and pool.room() > 0:
                    _, node = heapq.heappop(self.ready)
                    pool.submit(node, partial(self._run_one, self.by_id[node]))
                self._collect(pool.wait())
            except KeyboardInterrupt:
                interrupts += 1
                self.stopped = self.result.interrupted = True
                if interrupts > 1:
                    return  # a second Ctrl-C: stop waiting for the running ones
                log.info("interrupted: waiting for %d running action(s) to finish", len(pool.running))

    def _run_one(self, action: Action) -> str:
        self.reporter.on_start(action)
        return self.execution.execute(action)

    def _collect(self, completed: list[tuple[str | None, Future[Any]]]) -> None:
        # (The prefetch's failure is the first send's to report, when it reads again.)
        actions = [(node, future) for node, future in completed if node is not None]
        for node, future in sorted(actions, key=lambda item: self.order[item[0]]):
            action = self.by_id[node]
            self.finished.add(node)
            error = future.exception()
            if error is None:
                note = future.result()
                self.result.done.append(ActionOutcome(node, describe(action), "done", note))
                self.reporter.on_done(action, note)
                for child in self.dependents[node]:
                    self.waiting[child].discard(node)
                    if not self.waiting[child] and child not in self.finished:
                        heapq.heappush(self.ready, (self.priority[child], child))
                continue
            message = _message(error)
            log.debug("action %s failed: %s", node, message, exc_info=error)
            self.result.failed.append(ActionOutcome(node, describe(action), "failed", message))
            self.reporter.on_failed(action, message)
            self._skip_dependents(node, f"depends on {describe(action)}, which failed")
            if self.options.fail_fast:
                self.stopped = True
        self.ready = [entry for entry in self.ready if entry[1] not in self.finished]
        heapq.heapify(self.ready)

    def _skip(self, node: str, reason: str) -> None:
        self.finished.add(node)
        self.result.skipped.append(ActionOutcome(node, describe(self.by_id[node]), "skipped", reason))
        self.reporter.on_skipped(self.by_id[node], reason)

    def _skip_dependents(self, root: str, reason: str) -> None:
        """Transitively: whatever waits on `root` can never run."""
        stack = sorted(self.dependents[root], key=self.order.__getitem__)
        while stack:
            node = stack.pop(0)
            if node in self.finished:
                continue
            self._skip(node, reason)
            stack.extend(sorted(self.dependents[node] - self.finished, key=self.order.__getitem__))

    def _skip_unfinished(self, running: dict[Future[Any], str | None]) -> None:
        """Still running after a second Ctrl-C; then interrupted, stopped by
        fail_fast, or (a planner bug) waiting in a cycle."""
        for node in sorted((n for n in running.values() if n is not None), key=self.order.__getitem__):
            self._skip(node, "interrupted while running: re-run apply to check it")
        for act in self.actions:
            if act.id in self.finished:
                continue
            if self.result.interrupted:
                reason = "interrupted"
            elif self.stopped:
                reason = "not started: stopped after the first failure (--fail-fast)"
            else:
                reason = "not started: its dependencies form a cycle"
            self._skip(act.id, reason)


def _message(error: BaseException) -> str:
    """The one-line message of a failure; unexpected exceptions keep their type."""
    if isinstance(error, ReconcilerError):
        return str(error)
    return f"internal error: {type(error).__name__}: {error}"
