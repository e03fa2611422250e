"""End to end on the sandbox: applied specs, a registered endpoint, simulated payments, hooks run once."""

from __future__ import annotations

import json
import os
import stat
import time

import stripe

from reconciler.gateway.client import StripeGateway
from reconciler.sandbox import SANDBOX_API_KEY
from reconciler.status.command import status_report

from .world import World, cli, on, stdin_of, wait_until


def _event_id(client: stripe.StripeClient, event_type: str, object_id: str) -> str:
    found = [e.id for e in client.v1.events.list({"type": event_type, "limit": 100}).data
             if e.data.object["id"] == object_id]  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def test_each_payment_outcome_runs_its_hook_once_with_the_invoice_facts(world: World) -> None:
    ada, bob, cyd = (world.invoices[key] for key in ("ada-2026-11", "bob-2026-11", "cyd-2026-11"))
    world.sandbox.pay(ada, "succeeded")
    world.sandbox.pay(bob, "processing")
    world.sandbox.pay(cyd, "failed")
    wait_until(lambda: world.settled(3), what="three hook runs")
    world.sandbox.settle(bob, "succeeded")
    wait_until(lambda: world.settled(4), what="the settled payment's hook run")

    client = world.client
    (processing,) = client.v1.events.list({"type": "payment_intent.processing"}).data
    assert world.runs() == sorted([
        ("confirm-order", _event_id(client, "invoice.paid", ada), "invoice.paid", ada, "ada-2026-11", "paid"),
        ("pending-notice", processing.id, "payment_intent.processing", bob, "bob-2026-11", "open"),
        ("retry-offer", _event_id(client, "invoice.payment_failed", cyd), "invoice.payment_failed", cyd,
         "cyd-2026-11", "open"),
        ("confirm-order", _event_id(client, "invoice.paid", bob), "invoice.paid", bob, "bob-2026-11", "paid"),
    ])  # fmt: skip
    paid = stdin_of(world, _event_id(client, "invoice.paid", ada))
    assert paid["type"] == "invoice.paid" and paid["data"]["object"]["id"] == ada  # type: ignore[index]
    # Only the subscribed types reached the receiver: no payment_intent.succeeded, no invoice.created.
    assert sorted({e.type for e in world.events()}) == [
        "invoice.paid", "invoice.payment_failed", "payment_intent.processing"
    ]
    assert all(d["state"] == "delivered" for d in world.sandbox.app.dispatcher.deliveries())


def test_paid_out_of_band_through_the_spec_runs_the_confirmation(world: World) -> None:
    world.apply({"ada-2026-11": "paid"})
    wait_until(lambda: world.settled(1), what="the confirmation")
    ada = world.invoices["ada-2026-11"]
    (run,) = world.runs()
    assert run[0] == "confirm-order" and run[3:] == (ada, "ada-2026-11", "paid")


def test_register_writes_a_private_secret_and_subscribes_to_the_hooks_events(world: World) -> None:
    assert stat.S_IMODE(os.stat(world.secret_file).st_mode) == 0o600
    assert world.secret_file.read_text().startswith("whsec_")
    (endpoint,) = world.client.v1.webhook_endpoints.list().data
    assert sorted(endpoint.enabled_events) == ["invoice.paid", "invoice.payment_failed", "payment_intent.processing"]
    assert endpoint.url.endswith("/stripe/webhook")


def test_status_reports_paid_outstanding_and_overdue_with_the_last_payment_event(world: World) -> None:
    ada, cyd = world.invoices["ada-2026-11"], world.invoices["cyd-2026-11"]
    world.sandbox.pay(ada, "succeeded")
    world.sandbox.pay(cyd, "failed")
    wait_until(lambda: world.settled(2), what="two hook runs")
    result = cli("status", str(world.folder / "specs.yaml"), "--journal", world.journal, "--format", "json",
                 *on(world.sandbox))  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    rows = {row["key"]: row for row in document["invoices"]}
    assert {key: (row["desired_status"], row["live_status"], row["amount_remaining"], row["overdue"],
                  (row["last_event"] or {}).get("type")) for key, row in rows.items()} == {
        "ada-2026-11": ("sent", "paid", 0, False, "invoice.paid"),
        "bob-2026-11": ("sent", "open", 1000, False, None),
        "cyd-2026-11": ("sent", "open", 1000, False, "invoice.payment_failed"),
    }  # fmt: skip
    assert rows["ada-2026-11"]["id"] == ada and rows["ada-2026-11"]["number"]
    assert document["totals"] == {"usd": {"outstanding": 2000, "overdue": 0, "paid": 1000}}
    # Overdue is judged by Stripe's clock (the Date of its answers), not the local one:
    # a local clock a month fast calls nothing overdue ...
    specs = [str(world.folder / "specs.yaml")]
    month = 31 * 86_400
    fast = status_report(specs, StripeGateway(SANDBOX_API_KEY, api_base=world.sandbox.url), journal_target=None,
                         clock=lambda: time.time() + month)  # fmt: skip
    assert [row.key for row in fast.invoices if row.overdue] == []
    # ... and once Stripe's clock is a month on, the two unpaid ones are, whatever the local clock says.
    world.sandbox.advance_clock(month)
    later = status_report(specs, StripeGateway(SANDBOX_API_KEY, api_base=world.sandbox.url), journal_target=None,
                          clock=lambda: time.time() - month)  # fmt: skip
    assert [row.key for row in later.invoices if row.overdue] == ["bob-2026-11", "cyd-2026-11"]
    assert later.totals["usd"].overdue == 2000


def test_deliveries_after_the_sandbox_clock_moved_on_still_pass_the_receivers_tolerance(world: World) -> None:
    # Stripe signs a delivery with the time it sends it; the sandbox's advanced clock
    # (40 days: past the events window) must not put every signature 40 days ahead.
    world.sandbox.advance_clock(40 * 86_400)
    world.sandbox.pay(world.invoices["ada-2026-11"], "succeeded")
    wait_until(lambda: world.settled(1), what="the hook run of a payment made after the clock moved", timeout=10)
    assert [run[2] for run in world.runs()] == ["invoice.paid"]
    assert all(d["state"] == "delivered" for d in world.sandbox.app.dispatcher.deliveries())
