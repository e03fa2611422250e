"""Events, simulated customer payments (admin), and injected faults."""

from __future__ import annotations

import json
import urllib.request

import pytest
import stripe

from reconciler.sandbox import RunningSandbox

from .helpers import error_of, make_open


def _types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": 100}).data]


def test_events_retrievable_and_filtered(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create({"name": "A"})
    stripe_client.v1.customers.update(customer.id, {"name": "B"})
    updated = stripe_client.v1.events.list({"type": "customer.updated"}).data
    assert len(updated) == 1
    event = stripe_client.v1.events.retrieve(updated[0].id)
    assert event.data.object["name"] == "B"
    assert event.data.previous_attributes.to_dict() == {"name": "A"}
    assert event.api_version == "2026-10-28.endive"


@pytest.mark.parametrize(
    ("outcomes", "status", "tail"),
    [
        (["succeeded"], "paid", ["payment_intent.succeeded", "invoice.payment_succeeded", "invoice.paid"]),
        (["failed"], "open", ["payment_intent.payment_failed", "invoice.payment_failed"]),
        (["processing"], "open", ["payment_intent.processing"]),
    ],
)
def test_customer_payment_outcomes(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox, outcomes: list[str], status: str,
    tail: list[str],
) -> None:
    invoice = make_open(stripe_client)
    for outcome in outcomes:
        sandbox.pay(invoice.id, outcome)
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == status
    assert _types(stripe_client)[: len(tail)] == tail[::-1]


def test_processing_then_settle(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    invoice = make_open(stripe_client)
    sandbox.pay(invoice.id, "processing")
    with pytest.raises(Exception, match="already processing"):
        sandbox.pay(invoice.id, "succeeded")
    sandbox.settle(invoice.id, "failed")
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "open"
    sandbox.pay(invoice.id, "processing")
    sandbox.settle(invoice.id, "succeeded")
    paid = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_paid, paid.attempt_count) == ("paid", 1000, 2)


def test_admin_http_pay_and_stats(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    invoice = make_open(stripe_client)
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/invoices/{invoice.id}/pay", data=b'{"outcome": "succeeded"}', method="POST"
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["status"] == "paid"
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/stats") as response:
        stats = json.loads(response.read())
    assert stats["by_route"]["POST /v1/invoices/{id}/finalize"] == 1
    assert stats["writes"] == 4 and stats["total"] == 5


def test_rate_limit_answers_429(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    sandbox.set_faults(rate_limit_rps=3)
    for _ in range(3):
        stripe_client.v1.customers.list()
    with pytest.raises(stripe.RateLimitError) as caught:
        stripe_client.v1.customers.list()
    assert caught.value.http_status == 429 and error_of(caught.value)["code"] == "rate_limit"


def test_error_rate_is_seeded(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    def run() -> list[bool]:
        sandbox.set_faults(error_rate=0.5, seed=7)
        outcome = []
        for _ in range(20):
            try:
                stripe_client.v1.customers.list()
                outcome.append(True)
            except stripe.APIError as exc:
                assert exc.http_status == 500
                outcome.append(False)
        return outcome

    first = run()
    assert first == run() and 0 < first.count(False) < 20


def test_lost_response_commits_then_replay_by_key(sandbox: RunningSandbox) -> None:
    sandbox.set_faults(lose_response_rate=1.0)
    client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": sandbox.url}, max_network_retries=0)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create({"name": "Lost"}, {"idempotency_key": "lost-1"})
    sandbox.set_faults(lose_response_rate=0.0)
    again = client.v1.customers.create({"name": "Lost"}, {"idempotency_key": "lost-1"})
    assert again.last_response is not None and again.last_response.headers["Idempotent-Replayed"] == "true"
    assert [c.id for c in client.v1.customers.list().data] == [again.id]


def test_reset_empties_everything(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    stripe_client.v1.customers.create({})
    sandbox.set_faults(latency_ms=1)
    sandbox.reset()
    assert sandbox.stats()["total"] == 0 and sandbox.app.faults.config.latency_ms == 0
    assert stripe_client.v1.customers.list().data == []
