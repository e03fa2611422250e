"""The journal: one SQL implementation, a small dialect per backend.

Every verified event is a row keyed by its Stripe id (a redelivery is a
no-op), written in the same transaction as one run row per hook that wants
it. A run is claimed (state `running`, its worker and a lease recorded) in a
transaction that locks it against other workers, so across receivers sharing
a PostgreSQL journal each run has one owner at a time. A run whose worker
died (its liveness lock is gone) or whose lease passed is claimed again; a
finished run is never claimed again unless replayed on purpose.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from reconciler.live.payments import InvoiceSnapshot
from reconciler.receiver.errors import HookRunning, UnknownEvent
from reconciler.receiver.event import ReceivedEvent
from reconciler.receiver.journal.records import (
    Claim,
    HookRun,
    HookState,
    JournaledEvent,
    LastEvent,
    RecordedInvoice,
)

# Event types that say something about a payment (status's "last event"), in
# the order a payment moves through them: a tie within one second goes to the later.
PAYMENT_EVENT_TYPES = (
    "payment_intent.payment_failed", "payment_intent.canceled", "invoice.payment_failed",
    "invoice.payment_action_required", "payment_intent.processing", "invoice.marked_uncollectible",
    "payment_intent.succeeded", "invoice.payment_succeeded", "invoice_payment.paid", "invoice.paid",
    "invoice.voided",
)  # fmt: skip
Cursor = Any


class Journal(abc.ABC):
    """Thread-safe: one connection, one lock; each method is one transaction."""

    placeholder = "?"
    lock_rows = ""  # the dialect's row-locking suffix for the claim query

    def __init__(self, target: str) -> None:
        self.target = target  # for messages: a path, or a URL without its password
        self._lock = threading.RLock()

    # -- dialect -------------------------------------------------------------

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[Cursor]:
        """A cursor inside a write transaction, committed on success."""

    @abc.abstractmethod
    def register_worker(self) -> str:
        """A worker id, kept alive (to other journals) until close()."""

    @abc.abstractmethod
    def _alive(self, workers: set[str]) -> set[str]:
        """Which of these workers still hold their liveness lock."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _run(self, cursor: Cursor, sql: str, args: Sequence[Any] = ()) -> Cursor:
        cursor.execute(self._sql(sql), tuple(args))
        return cursor

    # -- events --------------------------------------------------------------

    def record(
        self, events: Sequence[ReceivedEvent], hooks_for: Callable[[str], list[str]], *, now: float, source: str
    ) -> list[bool]:
        """Journal each event once; True for the ones new to the journal."""
        fresh: list[bool] = []
        with self._lock, self._transaction() as cur:
            for event in events:
                self._run(cur,
                    "INSERT INTO reconciler_events (event_id, type, created, object_id, invoice_id, received_at, source,"
                    " payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                    (event.id, event.type, event.created, event.object_id, event.invoice_id, now, source, event.payload),
                )  # fmt: skip
                new = cur.rowcount == 1
                fresh.append(new)
                if new:
                    for hook in hooks_for(event.type):
                        self._run(cur,
                            "INSERT INTO reconciler_hook_runs (event_id, hook, state, attempts, next_attempt_at,"
                            " updated_at) VALUES (?, ?, 'pending', 0, ?, ?)",
                            (event.id, hook, now, now),
                        )  # fmt: skip
        return fresh

    def newest_created(self) -> int | None:
        with self._lock, self._transaction() as cur:
            row = self._run(cur, "SELECT MAX(created) FROM reconciler_events").fetchone()
        return None if row[0] is None else int(row[0])

    def set_invoice_id(self, event_id: str, invoice_id: str) -> None:
        with self._lock, self._transaction() as cur:
            self._run(cur, "UPDATE reconciler_events SET invoice_id = ? WHERE event_id = ?", (invoice_id, event_id))

    def events(self, *, state: HookState | None = None) -> list[JournaledEvent]:
        """Journaled events in the order received, each with its hook runs;
        with `state`, only events that have a run in that state."""
        with self._lock, self._transaction() as cur:
            rows = self._run(cur,
                "SELECT e.event_id, e.type, e.created, e.received_at, e.source, e.invoice_id, r.hook, r.state,"
                " r.attempts, r.next_attempt_at, r.last_error FROM reconciler_events e"
                " LEFT JOIN reconciler_hook_runs r ON r.event_id = e.event_id"
                " ORDER BY e.received_at, e.event_id, r.hook",
            ).fetchall()  # fmt: skip
        heads: dict[str, tuple[str, str, int, float, str, str | None]] = {}
        runs: dict[str, list[HookRun]] = {}
        for event_id, type_, created, received_at, source, invoice_id, hook, hook_state, attempts, next_at, error in rows:
            heads.setdefault(event_id, (event_id, type_, int(created), float(received_at), source, invoice_id))
            hooks = runs.setdefault(event_id, [])
            if hook is not None:
                due = float(next_at) if hook_state in ("pending", "failed") else None
                hooks.append(HookRun(hook, hook_state, int(attempts), due, error))
        listed = [JournaledEvent(*head, tuple(runs[event_id])) for event_id, head in heads.items()]
        if state is not None:
            listed = [e for e in listed if any(run.state == state for run in e.hooks)]
        return listed

    def event_runs(self, event_id: str) -> list[HookRun]:
        """The hook runs of one event, by hook name."""
        with self._lock, self._transaction() as cur:
            rows = self._run(cur,
                "SELECT hook, state, attempts, next_attempt_at, last_error FROM reconciler_hook_runs"
                " WHERE event_id = ? ORDER BY hook", (event_id,),
            ).fetchall()  # fmt: skip
        return [HookRun(hook, state, int(attempts), float(next_at) if state in ("pending", "failed") else None, error)
                for hook, state, attempts, next_at, error in rows]  # fmt: skip

    def last_payment_events(self) -> dict[str, LastEvent]:
        """Per invoice id, the newest payment event journaled for it. Events of the same second
        are ordered by how far along they say the payment is (a failure, then a success)."""
        marks = ", ".join("?" for _ in PAYMENT_EVENT_TYPES)
        with self._lock, self._transaction() as cur:
            rows = self._run(cur,
                "SELECT invoice_id, event_id, type, created FROM reconciler_events"
                f" WHERE invoice_id IS NOT NULL AND type IN ({marks})",
                PAYMENT_EVENT_TYPES,
            ).fetchall()  # fmt: skip
        ordered = sorted(rows, key=lambda r: (int(r[3]), PAYMENT_EVENT_TYPES.index(r[2]), r[1]))
        return {invoice_id: LastEvent(event_id, type_, int(created)) for invoice_id, event_id, type_, created in ordered}

    # -- hook runs -----------------------------------------------------------

    def claim(self, worker: str, *, now: float, leases: Mapping[str, float], limit: int = 1,
              event_id: str | None = None) -> list[Claim]:  # fmt: skip
        """Up to `limit` due runs of the hooks in `leases` (hook -> lease seconds), now this worker's;
        with `event_id`, only that event's."""
        if not leases:
            return []
        with self._lock, self._transaction() as cur:
            holders = {row[0] for row in self._run(cur,
                "SELECT DISTINCT worker FROM reconciler_hook_runs WHERE state = 'running' AND worker IS NOT NULL"
            ).fetchall()}  # fmt: skip
            holders.discard(worker)
            dead = sorted(holders - self._alive(holders))
            names = sorted(leases)
            dead_clause = f" OR r.worker IN ({', '.join('?' for _ in dead)})" if dead else ""
            only = " AND r.event_id = ?" if event_id is not None else ""
            rows = self._run(cur,
                "SELECT r.event_id, r.hook, r.attempts, e.type, e.object_id, e.invoice_id, e.payload"
                " FROM reconciler_hook_runs r JOIN reconciler_events e ON e.event_id = r.event_id"
                f" WHERE r.hook IN ({', '.join('?' for _ in names)}){only} AND ("
                " (r.state IN ('pending', 'failed') AND r.next_attempt_at <= ?)"
                f" OR (r.state = 'running' AND (r.lease_until <= ?{dead_clause})))"
                f" ORDER BY r.next_attempt_at, e.created, r.event_id, r.hook LIMIT ?{self.lock_rows}",
                (*names, *([event_id] if event_id is not None else []), now, now, *dead, limit),
            ).fetchall()  # fmt: skip
            claims = []
            for event_id, hook, attempts, type_, object_id, invoice_id, payload in rows:
                self._run(cur,
                    "UPDATE reconciler_hook_runs SET state = 'running', attempts = ?, worker = ?, lease_until = ?,"
                    " updated_at = ? WHERE event_id = ? AND hook = ?",
                    (int(attempts) + 1, worker, now + leases[hook], now, event_id, hook),
                )  # fmt: skip
                claims.append(Claim(event_id, type_, hook, int(attempts) + 1, worker, object_id, invoice_id, payload))
        return claims

    def finish(self, claim: Claim, state: HookState, *, now: float, next_attempt_at: float | None = None,
               error: str | None = None) -> bool:  # fmt: skip
        """Record the outcome; False if the run is no longer this worker's (its lease was taken over)."""
        with self._lock, self._transaction() as cur:
            self._run(cur,
                "UPDATE reconciler_hook_runs SET state = ?, next_attempt_at = ?, lease_until = NULL, last_error = ?,"
                " updated_at = ? WHERE event_id = ? AND hook = ? AND state = 'running' AND worker = ? AND attempts = ?",
                (state, now if next_attempt_at is None else next_attempt_at, error, now, claim.event_id, claim.hook,
                 claim.worker, claim.attempt),
            )  # fmt: skip
            return bool(cur.rowcount == 1)

    def replay(self, event_id: str, hooks: Sequence[str], *, now: float) -> list[str]:
        """Make the event's runs of `hooks` pending again (attempts from zero); the hooks reset."""
        with self._lock, self._transaction() as cur:
            row = self._run(cur, "SELECT type FROM reconciler_events WHERE event_id = ?", (event_id,)).fetchone()
            if row is None:
                raise UnknownEvent(event_id)
            for hook in hooks:
                current = self._run(cur,
                    "SELECT state FROM reconciler_hook_runs WHERE event_id = ? AND hook = ?", (event_id, hook),
                ).fetchone()  # fmt: skip
                if current is None:
                    self._run(cur,
                        "INSERT INTO reconciler_hook_runs (event_id, hook, state, attempts, next_attempt_at, updated_at)"
                        " VALUES (?, ?, 'pending', 0, ?, ?)", (event_id, hook, now, now),
                    )  # fmt: skip
                elif current[0] == "running":
                    raise HookRunning(event_id, hook)
                else:
                    self._run(cur,
                        "UPDATE reconciler_hook_runs SET state = 'pending', attempts = 0, next_attempt_at = ?,"
                        " last_error = NULL, worker = NULL, updated_at = ? WHERE event_id = ? AND hook = ?",
                        (now, now, event_id, hook),
                    )  # fmt: skip
        return list(hooks)

    def event_type(self, event_id: str) -> str:
        with self._lock, self._transaction() as cur:
            row = self._run(cur, "SELECT type FROM reconciler_events WHERE event_id = ?", (event_id,)).fetchone()
        if row is None:
            raise UnknownEvent(event_id)
        return str(row[0])

    def next_due(self) -> float | None:
        """When a run next becomes claimable by time (a retry, or a lease running out)."""
        with self._lock, self._transaction() as cur:
            row = self._run(cur,
                "SELECT MIN(CASE WHEN state = 'running' THEN lease_until ELSE next_attempt_at END)"
                " FROM reconciler_hook_runs WHERE state IN ('pending', 'failed', 'running')",
            ).fetchone()  # fmt: skip
        return None if row[0] is None else float(row[0])

    # -- invoices ------------------------------------------------------------

    def observe_invoice(self, snapshot: InvoiceSnapshot, *, event_id: str, now: float) -> RecordedInvoice:
        """Record what Stripe said if it is newer than the recorded state (a higher status, or more
        paid); the recorded state. An equal state keeps the event that first saw it."""
        with self._lock, self._transaction() as cur:
            self._run(cur,
                "INSERT INTO reconciler_invoices (invoice_id, invoice_key, status, status_rank, amount_paid,"
                " amount_remaining, observed_at, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (invoice_id) DO UPDATE SET invoice_key = excluded.invoice_key,"
                " status = excluded.status, status_rank = excluded.status_rank, amount_paid = excluded.amount_paid,"
                " amount_remaining = excluded.amount_remaining, observed_at = excluded.observed_at,"
                " event_id = excluded.event_id"
                " WHERE reconciler_invoices.status_rank < excluded.status_rank"
                " OR (reconciler_invoices.status_rank = excluded.status_rank"
                " AND reconciler_invoices.amount_paid < excluded.amount_paid)",
                (snapshot.id, snapshot.key, snapshot.status, snapshot.rank, snapshot.amount_paid,
                 snapshot.amount_remaining, now, event_id),
            )  # fmt: skip
            (recorded,) = self._invoices(cur, snapshot.id)
        return recorded

    def recorded_invoices(self) -> dict[str, RecordedInvoice]:
        with self._lock, self._transaction() as cur:
            return {recorded.id: recorded for recorded in self._invoices(cur)}

    def _invoices(self, cur: Cursor, invoice_id: str | None = None) -> list[RecordedInvoice]:
        where = " WHERE invoice_id = ?" if invoice_id is not None else ""
        rows = self._run(cur,
            "SELECT invoice_id, invoice_key, status, amount_paid, amount_remaining, observed_at, event_id"
            f" FROM reconciler_invoices{where} ORDER BY invoice_id", [invoice_id] if invoice_id is not None else [],
        ).fetchall()  # fmt: skip
        return [RecordedInvoice(r[0], r[1], r[2], int(r[3]), int(r[4]), float(r[5]), r[6]) for r in rows]

