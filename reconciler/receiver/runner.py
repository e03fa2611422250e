"""The hook runner: claim a due (event, hook) run, read the invoice, run the command, record.

Each run has its own state and attempts: a failing hook is retried with
backoff without re-running the hooks that succeeded for the same event. Before
running a hook for an invoice's event, the runner reads the invoice from
Stripe and records it in the journal, which keeps the newest state: an event
delivered late, or in the same second as a newer one, never moves the recorded
state backwards, and the hook sees the recorded state
(RECONCILER_INVOICE_STATUS). The event id is the hook's idempotency key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from reconciler.errors import ReconcilerError
from reconciler.live.payments import InvoiceSnapshot
from reconciler.receiver.environment import hook_environment
from reconciler.receiver.hooks import Hook, HookSet
from reconciler.receiver.journal import Claim, Journal, RecordedInvoice
from reconciler.receiver.journal.records import HookState
from reconciler.receiver.process import Execute, HookOutcome, HookProcesses

log = logging.getLogger(__name__)

# Seconds before attempt 2, 3, …; the last repeats.
BACKOFF = (30.0, 120.0, 600.0, 1800.0, 3600.0)
# A run's lease outlives its timeout by this much; it only matters if a worker
# is alive but stuck (a dead worker's runs are taken over at once).
LEASE_GRACE = 600.0
# How long an idle runner waits before looking again: another replica may have
# died holding runs, which no notification announces.
IDLE_POLL = 2.0
_HURRY_CHECK = 0.2  # seconds: how soon a second stop signal is noticed while hooks finish


class InvoiceSource(Protocol):
    def invoice(self, invoice_id: str) -> InvoiceSnapshot: ...

    def invoice_of_payment_intent(self, payment_intent_id: str) -> str | None: ...


class HookRunner:
    def __init__(
        self,
        journal: Journal,
        hooks: HookSet,
        invoices: InvoiceSource,
        *,
        clock: Callable[[], float] = time.time,
        execute: Execute | None = None,
        concurrency: int = 4,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self.journal = journal
        self.hooks = hooks
        self.invoices = invoices
        self.clock = clock
        self.processes = HookProcesses()
        self.execute = execute or self.processes
        self.concurrency = concurrency
        self.backoff = backoff
        self.worker = journal.register_worker()
        self._leases = {hook.name: hook.timeout + LEASE_GRACE for hook in hooks.hooks}
        self._wake = threading.Condition()
        self._poked = False
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._active = 0  # worker threads not yet finished
        self._changed = threading.Event()  # a worker finished
        self._hurried = False

    # -- one run -------------------------------------------------------------

    def run_once(self, *, event_id: str | None = None) -> bool:
        """Claim and run one due hook run (of `event_id` only, if given); False when none is due."""
        claims = self.journal.claim(self.worker, now=self.clock(), leases=self._leases, limit=1, event_id=event_id)
        for claim in claims:
            self._run(claim)
        return bool(claims)

    def run_due(self, *, event_id: str | None = None) -> int:
        """Run every due hook run (of `event_id` only, if given), one after the other; how many ran."""
        count = 0
        while self.run_once(event_id=event_id):
            count += 1
        return count

    def _run(self, claim: Claim) -> None:
        hook = self.hooks.get(claim.hook)
        assert hook is not None  # only our hooks are claimed
        if claim.attempt > hook.attempts:
            # The last attempts were interrupted (the receiver died while they ran).
            self._record(claim, hook, HookOutcome(False, "interrupted"), force_dead=True)
            return
        try:
            recorded, read = self._refresh_invoice(claim)
        except ReconcilerError as exc:
            self._record(claim, hook, HookOutcome(False, f"cannot read the invoice from Stripe: {exc}"))
            return
        except Exception as exc:  # noqa: BLE001 - an odd answer must fail the attempt, never leave it `running`
            log.exception("hook %s for %s: reading the invoice failed", hook.name, claim.event_id)
            self._record(claim, hook, HookOutcome(False, f"cannot read the invoice from Stripe ({type(exc).__name__})"))
            return
        env = hook_environment(claim, hook, recorded, read=read)
        log.info("running hook %s for %s %s (attempt %s)", hook.name, claim.event_type, claim.event_id, claim.attempt)
        outcome = self.execute(hook.run, hook.folder, env, claim.payload.encode(), float(hook.timeout))
        self._record(claim, hook, outcome)

    def _refresh_invoice(self, claim: Claim) -> tuple[RecordedInvoice | None, InvoiceSnapshot | None]:
        """The invoice's recorded state after this read, and the read itself (None, None: no invoice)."""
        invoice_id = claim.invoice_id
        if invoice_id is None and claim.event_type.startswith("payment_intent.") and claim.object_id:
            invoice_id = self.invoices.invoice_of_payment_intent(claim.object_id)
            if invoice_id is not None:
                self.journal.set_invoice_id(claim.event_id, invoice_id)
        if invoice_id is None:
            return None, None
        snapshot = self.invoices.invoice(invoice_id)
        return self.journal.observe_invoice(snapshot, event_id=claim.event_id, now=self.clock()), snapshot

    def _record(self, claim: Claim, hook: Hook, outcome: HookOutcome, *, force_dead: bool = False) -> None:
        now = self.clock()
        state: HookState
        if outcome.ok:
            state, next_at, error = "done", None, None
        elif force_dead or claim.attempt >= hook.attempts:
            state, next_at, error = "dead", None, outcome.detail
        elif outcome.retry_now:
            state, next_at, error = "failed", now, outcome.detail
        else:
            delay = self.backoff[min(claim.attempt, len(self.backoff)) - 1]
            state, next_at, error = "failed", now + delay, outcome.detail
        if not self.journal.finish(claim, state, now=now, next_attempt_at=next_at, error=error):
            log.warning("hook %s for %s: the run was taken over by another worker; its outcome (%s) is dropped",
                        hook.name, claim.event_id, outcome.detail)  # fmt: skip
            return
        log_at = logging.INFO if state == "done" else logging.WARNING
        log.log(log_at, "hook %s for %s %s: %s (%s)", hook.name, claim.event_type, claim.event_id, state, outcome.detail)

    # -- in the background ---------------------------------------------------

    def start(self) -> None:
        for n in range(self.concurrency if self.hooks.hooks else 0):
            thread = threading.Thread(target=self._loop, name=f"hook-runner-{n}", daemon=True)
            with self._wake:
                self._active += 1
            thread.start()
            self._threads.append(thread)

    def notify(self) -> None:
        """New runs may be due (an event was journaled)."""
        with self._wake:
            self._poked = True
            self._wake.notify_all()

    def stop(self, *, grace: float | None = None) -> None:
        """Claim nothing more and let running hooks finish: within `grace` seconds if given, after which
        the commands still running are killed and their runs are due again at once (for the next start)."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        deadline = None if grace is None else time.monotonic() + grace
        while not self._hurried:
            self._changed.clear()  # before looking: a change from now on ends the wait below
            with self._wake:
                if not self._active:
                    break
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            # In slices: hurry() runs in a signal handler and may not take the event's lock.
            self._changed.wait(_HURRY_CHECK if remaining is None else min(remaining, _HURRY_CHECK))
        with self._wake:
            busy = self._active
        if busy:
            stopped = self.processes.stop_all()
            log.warning("stopping now: killed %s running hook command(s); their runs are due again at the next start",
                        stopped)  # fmt: skip
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def hurry(self) -> None:
        """Stop waiting for running hooks (a second SIGTERM or Ctrl-C during shutdown); signal-safe."""
        self._hurried = True

    def _loop(self) -> None:
        try:
            self._claim_until_stopped()
        finally:
            with self._wake:
                self._active -= 1
            self._changed.set()

    def _claim_until_stopped(self) -> None:
        while not self._stopping:
            try:
                if self.run_once():
                    continue
                wait = self._idle_wait()
            except Exception:  # a journal hiccup (a PostgreSQL restart) must not end the runner
                log.exception("hook runner: journal error; retrying")
                wait = IDLE_POLL
            with self._wake:
                if not self._poked and not self._stopping:
                    self._wake.wait(timeout=wait)
                self._poked = False

    def _idle_wait(self) -> float:
        due = self.journal.next_due()
        if due is None:
            return IDLE_POLL
        return max(0.01, min(IDLE_POLL, due - self.clock()))
