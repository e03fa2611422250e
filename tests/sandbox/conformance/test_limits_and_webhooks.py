"""Account limits of test mode: webhook retries and the request rate."""

from __future__ import annotations

import stripe
from sdk_client import sdk_client

from reconciler.sandbox import FaultConfig, start_sandbox
from reconciler.sandbox.faults import TEST_MODE_RATE_LIMIT
from tests.loopback_servers import canned_server
from tests.sandbox.conformance.rules import RATE_LIMITS, WEBHOOKS, stripe_rule

HOUR = 3600.0


@stripe_rule(WEBHOOKS, "In a sandbox, Stripe retries three times over a few hours.")
def test_a_failing_endpoint_is_retried_three_times_over_a_few_hours() -> None:
    now = [1_800_000_000.0]
    with canned_server({"error": "down"}, status=500) as (url, seen), start_sandbox(
        clock=lambda: now[0], deliver_webhooks=False
    ) as sandbox:
        client = sdk_client(sandbox.url)
        client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["customer.created"]})
        client.v1.customers.create({"name": "Retry"})
        attempts = sandbox.deliver_webhooks()
        start = now[0]
        while now[0] - start < 3 * 86_400:
            now[0] += 60
            attempts += sandbox.deliver_webhooks()
        [delivery] = sandbox.app.dispatcher.deliveries()
        assert (attempts, delivery["state"], delivery["attempts"]) == (4, "failed", 4)
        assert 1 * HOUR < sum(sandbox.app.dispatcher.backoff) < 6 * HOUR
    assert len([line for line in seen if line.startswith("POST")]) == 4


@stripe_rule(RATE_LIMITS, "Test mode: 25 read operations and 25 write operations")
def test_test_mode_rate_limit() -> None:
    assert TEST_MODE_RATE_LIMIT == 25
    with start_sandbox(faults=FaultConfig(rate_limit_rps=TEST_MODE_RATE_LIMIT)) as sandbox:
        client = sdk_client(sandbox.url)
        answers = []
        for _ in range(40):
            try:
                client.v1.customers.list({"limit": 1})
                answers.append(200)
            except stripe.RateLimitError as exc:
                answers.append(exc.http_status or 0)
        assert answers.count(200) >= 25 and 429 in answers
