"""The journal on SQLite and on a real PostgreSQL: once per event, one owner per hook run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.live.payments import InvoiceSnapshot
from reconciler.receiver.errors import HookRunning, UnknownEvent
from reconciler.receiver.journal import Journal

from .builders import received
from .conftest import wait_for_worker_locks

LEASES = {"confirm": 90.0, "notify": 90.0}


def _hooks(event_type: str) -> list[str]:
    return ["confirm", "notify"] if event_type == "invoice.paid" else []


def _snapshot(status: str, amount_paid: int = 0, remaining: int = 1000) -> InvoiceSnapshot:
    return InvoiceSnapshot(id="in_1", key="jenny-2026-11", number="A-0001", customer_id="cus_1", status=status,
                           currency="usd", total=1000, amount_paid=amount_paid, amount_remaining=remaining,
                           due_date=None, created=0)  # fmt: skip


def test_an_event_is_journaled_once_with_one_run_per_hook(journals: Callable[[], Journal]) -> None:
    journal = journals()
    first = journal.record([received("evt_1"), received("evt_2", "invoice.created")], _hooks, now=10.0, source="webhook")
    again = journal.record([received("evt_1")], _hooks, now=11.0, source="webhook")
    assert (first, again) == ([True, True], [False])
    listed = journal.events()
    assert [(e.id, e.received_at, [(h.name, h.state, h.attempts) for h in e.hooks]) for e in listed] == [
        ("evt_1", 10.0, [("confirm", "pending", 0), ("notify", "pending", 0)]),
        ("evt_2", 10.0, []),
    ]
    assert journal.newest_created() == 1_800_000_000


def test_two_workers_never_claim_the_same_run(journals: Callable[[], Journal]) -> None:
    one, two = journals(), journals()
    one.record([received(f"evt_{n}") for n in range(5)], _hooks, now=0.0, source="webhook")
    a, b = one.register_worker(), two.register_worker()
    claimed = []
    while True:
        batch = one.claim(a, now=1.0, leases=LEASES, limit=3) + two.claim(b, now=1.0, leases=LEASES, limit=3)
        if not batch:
            break
        claimed.extend(batch)
    pairs = [(c.event_id, c.hook) for c in claimed]
    assert len(pairs) == 10 and len(set(pairs)) == 10
    assert {c.worker for c in claimed} == {a, b}
    assert all(c.attempt == 1 for c in claimed)


def test_a_finished_run_is_never_claimed_again_and_a_failed_one_when_due(journals: Callable[[], Journal]) -> None:
    journal = journals()
    journal.record([received("evt_1")], _hooks, now=0.0, source="webhook")
    worker = journal.register_worker()
    confirm, notify = journal.claim(worker, now=1.0, leases=LEASES, limit=2)
    assert journal.finish(confirm, "done", now=2.0)
    assert journal.finish(notify, "failed", now=2.0, next_attempt_at=32.0, error="exit 1: mail server down")
    assert journal.claim(worker, now=31.0, leases=LEASES) == []
    (retry,) = journal.claim(worker, now=32.0, leases=LEASES)
    assert (retry.hook, retry.attempt) == ("notify", 2)
    assert journal.claim(worker, now=100.0, leases=LEASES) == []  # running, lease until 122
    (event,) = journal.events(state="running")
    assert [(h.name, h.state, h.attempts) for h in event.hooks] == [("confirm", "done", 1), ("notify", "running", 2)]


def test_runs_of_a_dead_worker_are_taken_over_at_once(journals: Callable[[], Journal], journal_target: str) -> None:
    crashed, survivor = journals(), journals()
    crashed.record([received("evt_1")], _hooks, now=0.0, source="webhook")
    gone = crashed.register_worker()
    held = crashed.claim(gone, now=1.0, leases=LEASES, limit=2)
    alive = survivor.register_worker()
    assert survivor.claim(alive, now=2.0, leases=LEASES) == []  # the owner is alive: hands off
    crashed.close()  # its liveness lock goes, as when the process is killed
    wait_for_worker_locks(journal_target, count=1)  # PostgreSQL ends the closed session's backend on its own time
    taken = survivor.claim(alive, now=3.0, leases=LEASES, limit=2)
    assert [(c.hook, c.attempt, c.worker) for c in taken] == [("confirm", 2, alive), ("notify", 2, alive)]
    # The dead worker's late report does not overwrite the new owner's run.
    assert not survivor.finish(held[0], "done", now=4.0)


def test_a_lease_that_ran_out_is_taken_over_even_from_a_live_worker(journals: Callable[[], Journal]) -> None:
    one, two = journals(), journals()
    one.record([received("evt_1")], _hooks, now=0.0, source="webhook")
    a, b = one.register_worker(), two.register_worker()
    assert len(one.claim(a, now=0.0, leases=LEASES, limit=2)) == 2
    assert two.claim(b, now=89.0, leases=LEASES) == []
    assert [c.hook for c in two.claim(b, now=90.0, leases=LEASES, limit=2)] == ["confirm", "notify"]


def test_only_hooks_this_worker_knows_are_claimed(journals: Callable[[], Journal]) -> None:
    journal = journals()
    journal.record([received("evt_1")], _hooks, now=0.0, source="webhook")
    worker = journal.register_worker()
    assert [c.hook for c in journal.claim(worker, now=1.0, leases={"notify": 60.0}, limit=5)] == ["notify"]


def test_replay_resets_finished_runs_and_refuses_running_ones(journals: Callable[[], Journal]) -> None:
    journal = journals()
    journal.record([received("evt_1")], _hooks, now=0.0, source="webhook")
    worker = journal.register_worker()
    confirm, notify = journal.claim(worker, now=1.0, leases=LEASES, limit=2)
    journal.finish(confirm, "done", now=2.0)
    with pytest.raises(HookRunning, match="hook notify of event evt_1 is running now"):
        journal.replay("evt_1", ["confirm", "notify"], now=3.0)
    journal.finish(notify, "dead", now=3.0, error="exit 1")
    assert journal.replay("evt_1", ["confirm", "notify"], now=4.0) == ["confirm", "notify"]
    (event,) = journal.events()
    assert [(h.state, h.attempts, h.last_error) for h in event.hooks] == [("pending", 0, None)] * 2
    with pytest.raises(UnknownEvent, match="event evt_9 is not in the journal"):
        journal.replay("evt_9", ["confirm"], now=5.0)


def test_recorded_invoice_state_never_moves_backwards(journals: Callable[[], Journal]) -> None:
    journal = journals()
    assert journal.observe_invoice(_snapshot("open"), event_id="evt_1", now=1.0).status == "open"
    paid = journal.observe_invoice(_snapshot("paid", 1000, 0), event_id="evt_3", now=2.0)
    # A read that started earlier but lands later (an out-of-order event's handler) loses.
    late = journal.observe_invoice(_snapshot("open"), event_id="evt_2", now=3.0)
    assert (paid.status, late.status, late.event_id, late.amount_paid) == ("paid", "paid", "evt_3", 1000)
    again = journal.observe_invoice(_snapshot("paid", 1000, 0), event_id="evt_4", now=4.0)
    assert again.event_id == "evt_3"  # an equal state keeps the event that first saw it
    assert journal.recorded_invoices()["in_1"].observed_at == 2.0


def test_last_payment_event_per_invoice(journals: Callable[[], Journal]) -> None:
    journal = journals()
    journal.record([
        received("evt_1", "invoice.payment_failed", created=100, status="open"),
        received("evt_3", "invoice.finalized", created=300, status="open"),
        received("evt_2", "invoice.paid", created=200),
        received("evt_5", "invoice.paid", created=500, object_id="in_2"),
        received("evt_4", "invoice.payment_failed", created=500, object_id="in_2", status="open"),
    ], _hooks, now=0.0, source="webhook")  # fmt: skip
    last = journal.last_payment_events()
    assert (last["in_1"].id, last["in_1"].type, last["in_1"].created) == ("evt_2", "invoice.paid", 200)
    # Same second, received in the other order: the success is the later of the two.
    assert last["in_2"].id == "evt_5"
