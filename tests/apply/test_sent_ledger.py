"""The send guard's ledger of `invoice.sent` events under concurrent sends:
checks that arrive together share one fetch, and none is answered by a fetch
that began before it asked (it could have missed a send made since)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import stripe

from reconciler.apply.sendguard import SentLedger
from reconciler.gateway.pacing import Pacer
from reconciler.gateway.read import read_live
from reconciler.sandbox import RunningSandbox
from reconciler.stripe_facts import TRUSTED_EVENTS_WINDOW

from .helpers import gateway_for, plan_and_apply, write_specs

SENT_SPECS = """
customers:
  c1: {name: One, email: one@example.com}
invoices:
  i1:
    customer: c1
    collection_method: send_invoice
    days_until_due: 30
    status: sent
    items: [{key: fee, description: Fee, amount: 300, currency: usd}]
"""


def _sent_invoice(client: stripe.StripeClient) -> str:
    customer = client.v1.customers.create({"name": "Jenny", "email": "jenny@example.com"})
    invoice = client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 500, "currency": "usd"})
    client.v1.invoices.finalize_invoice(invoice.id, {"auto_advance": False})
    client.v1.invoices.send_invoice(invoice.id)
    return str(invoice.id)


def test_concurrent_checks_share_a_fetch_that_began_after_they_asked(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    ledger = SentLedger(gateway_for(sandbox), _pacer())
    first_fetch_may_end = threading.Event()
    call, fetches = _gated([first_fetch_may_end])
    first = threading.Thread(target=ledger.refresh, args=(call,))
    first.start()
    _wait_for(lambda: len(fetches) == 1)  # the first fetch is on its way (blocked in `call`)
    # An email goes out after the first fetch began: it may not have seen it.
    sent_id = _sent_invoice(stripe_client)
    later = [threading.Thread(target=ledger.refresh, args=(call,)) for _ in range(5)]
    for thread in later:
        thread.start()
    _wait_for(lambda: _asked(ledger) == 6)  # all five are waiting
    first_fetch_may_end.set()
    for thread in [first, *later]:
        thread.join(timeout=30)
    # Fetch 1 answered the first check only; one more fetch answered the other five.
    assert len(fetches) == 2
    assert ledger.was_sent(sent_id)


def test_a_check_arriving_while_a_fetch_is_on_its_way_starts_its_own_beside_it(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    ledger = SentLedger(gateway_for(sandbox), _pacer())
    ledger.refresh(lambda fn: fn())  # the whole window, read once
    sent_id = _sent_invoice(stripe_client)  # now there is an event to read on from
    ledger.refresh(lambda fn: fn())
    gates = [threading.Event(), threading.Event()]
    call, fetches = _gated(gates)
    first = threading.Thread(target=ledger.refresh, args=(call,))
    first.start()
    _wait_for(lambda: len(fetches) == 1)
    second = threading.Thread(target=ledger.refresh, args=(call,))
    second.start()
    # It does not wait for the first fetch (begun before it asked) to end: a second one goes out.
    _wait_for(lambda: len(fetches) == 2)
    third = threading.Thread(target=ledger.refresh, args=(call,))
    third.start()
    _wait_for(lambda: _asked(ledger) == 5)  # two in flight already: the third check waits
    assert len(fetches) == 2
    gates[1].set()  # the second fetch ends first: its check is answered, and room for the third's
    second.join(timeout=30)
    _wait_for(lambda: len(fetches) == 3)
    gates[0].set()
    for thread in (first, third):
        thread.join(timeout=30)
    assert ledger.was_sent(sent_id) and len(fetches) == 3


def test_a_failed_fetch_lets_the_next_check_fetch_again(sandbox: RunningSandbox) -> None:
    ledger = SentLedger(gateway_for(sandbox), _pacer())
    calls = []

    def failing(fn: Callable[[], Any]) -> Any:
        calls.append(1)
        raise RuntimeError("no answer")

    try:
        ledger.refresh(failing)
    except RuntimeError:
        pass
    ledger.refresh(lambda fn: fn())
    assert len(calls) == 1 and not ledger.was_sent("in_nothing")


def _gated(gates: list[threading.Event]) -> tuple[Callable[[Callable[[], Any]], Any], list[int]]:
    """A `call` for the ledger whose Nth request waits for gates[N-1] (later ones go at once),
    and the list that counts the requests."""
    fetches: list[int] = []
    lock = threading.Lock()

    def call(fn: Callable[[], Any]) -> Any:
        with lock:
            fetches.append(1)
            number = len(fetches)
        if number <= len(gates):
            gates[number - 1].wait()
        return fn()

    return call, fetches


def _pacer() -> Pacer:
    return Pacer(None, ceiling=4, clock=time.monotonic, sleep=time.sleep)


def _asked(ledger: SentLedger) -> int:
    with ledger._changed:  # noqa: SLF001 - the test watches the ledger's own counter
        return ledger._asked  # noqa: SLF001


def _wait_for(condition: Callable[[], bool]) -> None:
    """Until another thread reached a state (no timing is asserted)."""
    done = threading.Event()
    for _ in range(10_000):
        if condition():
            return
        done.wait(0.001)
    raise AssertionError("the other threads never got there")


def test_a_ledger_started_from_the_read_reads_on_from_its_newest_event(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    # The read already holds every invoice.sent event: apply reads only the newer ones.
    specs = write_specs(tmp_path, SENT_SPECS)
    _, result = plan_and_apply(gateway_for(sandbox), specs)
    assert result.ok, result.lines()
    gateway = gateway_for(sandbox)
    live = read_live(gateway)
    ours = live.invoices["i1"]
    assert ours.sent_event and live.newest_sent_event is not None
    theirs = _sent_invoice(stripe_client)  # a colleague sends one after the read
    ledger = SentLedger(gateway, _pacer(), read=live)
    before = gateway.request_counts["GET /v1/events"]
    ledger.refresh(lambda fn: fn())
    assert gateway.request_counts["GET /v1/events"] - before == 1
    assert ledger.was_sent(ours.id) and ledger.was_sent(theirs)
    assert ledger.server_time >= live.events_complete_since + TRUSTED_EVENTS_WINDOW  # type: ignore[operator]
