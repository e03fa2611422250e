"""apply_plan: run a plan's actions in dependency order on a bounded pool.

Independent actions run in parallel; every request shares one token bucket.
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
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from reconciler.apply.execute import Execution
from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import Reporter
from reconciler.apply.result import ActionOutcome, ApplyResult, describe
from reconciler.apply.steps import steps_for
from reconciler.errors import ReconcilerError
from reconciler.gateway.client import StripeGateway
from reconciler.live.records import Live
from reconciler.plan.actions import Action, Ref, _Create, refs_in

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
    plan: Plan, gateway: StripeGateway, live: Live, *, options: ApplyOptions, reporter: Reporter
) -> ApplyResult:
    """Execute `plan` against `gateway`; never raises for a failed action."""
    actions = list(plan.actions)
    by_id = {act.id: act for act in actions}
    order = {act.id: i for i, act in enumerate(actions)}
    graph = dependency_graph(actions)
    dependents = dependents_of(graph)
    waiting = {node: set(deps) for node, deps in graph.items()}
    execution = Execution(gateway, live, options=options, reporter=reporter, fingerprint=plan.fingerprint)
    result = ApplyResult()
    finished: set[str] = set()
    stopped = False
    started_at = options.clock()
    reporter.on_begin(len(actions))

    def skip(root: str, reason: str) -> None:
        # Transitively: whatever waits on root can never run.
        stack = sorted(dependents[root], key=order.__getitem__)
        while stack:
            node = stack.pop(0)
            if node in finished:
                continue
            finished.add(node)
            result.skipped.append(ActionOutcome(node, describe(by_id[node]), "skipped", reason))
            reporter.on_skipped(by_id[node], reason)
            stack.extend(sorted(dependents[node] - finished, key=order.__getitem__))

    def run(action: Action) -> str:
        reporter.on_start(action)
        return execution.execute(action)

    # A heap by plan position: with parallelism 1 the run follows the plan's order.
    ready = [(order[act.id], act.id) for act in actions if not waiting[act.id]]
    running: dict[Future[str], str] = {}
    interrupts = 0

    def collect(completed: set[Future[str]]) -> None:
        nonlocal stopped, ready
        for future in sorted(completed, key=lambda f: order[running[f]]):
            node = running.pop(future)
            action = by_id[node]
            finished.add(node)
            error = future.exception()
            if error is None:
                note = future.result()
                result.done.append(ActionOutcome(node, describe(action), "done", note))
                reporter.on_done(action, note)
                for child in dependents[node]:
                    waiting[child].discard(node)
                    if not waiting[child] and child not in finished:
                        heapq.heappush(ready, (order[child], child))
                continue
            message = _message(error)
            log.debug("action %s failed: %s", node, message, exc_info=error)
            result.failed.append(ActionOutcome(node, describe(action), "failed", message))
            reporter.on_failed(action, message)
            skip(node, f"depends on {describe(action)}, which failed")
            if options.fail_fast:
                stopped = True
        ready = [entry for entry in ready if entry[1] not in finished]
        heapq.heapify(ready)

    pool = ThreadPoolExecutor(max_workers=options.parallelism, thread_name_prefix="apply")
    try:
        while running or (ready and not stopped):
            try:
                while ready and not stopped and len(running) < options.parallelism:
                    _, node = heapq.heappop(ready)
                    running[pool.submit(run, by_id[node])] = node
                completed, _ = wait(running, return_when=FIRST_COMPLETED)
                collect(completed)
            except KeyboardInterrupt:
                interrupts += 1
                stopped = result.interrupted = True
                if interrupts > 1:
                    break  # a second Ctrl-C: stop waiting for the running ones
                log.info("interrupted: waiting for %d running action(s) to finish", len(running))
    finally:
        # After a second Ctrl-C the workers finish in the background; no new one starts.
        pool.shutdown(wait=not running, cancel_futures=True)
    for _future, node in sorted(running.items(), key=lambda item: order[item[1]]):
        finished.add(node)
        reason = "interrupted while running: re-run apply to check it"
        result.skipped.append(ActionOutcome(node, describe(by_id[node]), "skipped", reason))
        reporter.on_skipped(by_id[node], reason)
    # Left over: interrupted, stopped by fail_fast, or (a planner bug) waiting in a cycle.
    for act in actions:
        if act.id not in finished:
            finished.add(act.id)
            if result.interrupted:
                reason = "interrupted"
            elif stopped:
                reason = "not started: stopped after the first failure (--fail-fast)"
            else:
                reason = "not started: its dependencies form a cycle"
            result.skipped.append(ActionOutcome(act.id, describe(act), "skipped", reason))
            reporter.on_skipped(act, reason)

    for outcomes in (result.done, result.failed, result.skipped):
        outcomes.sort(key=lambda o: order[o.id])
    result.requests = execution.attempts
    result.retries = execution.retries
    result.seconds = options.clock() - started_at
    reporter.on_end(result)
    return result


def _message(error: BaseException) -> str:
    """The one-line message of a failure; unexpected exceptions keep their type."""
    if isinstance(error, ReconcilerError):
        return str(error)
    return f"internal error: {type(error).__name__}: {error}"
