"""GETs retry transient errors (429, 5xx, network) with backoff; writes do not."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.gateway import write
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import RateLimited, RetriesExhausted, ServerError
from reconciler.gateway.read import read_live
from reconciler.gateway.retry import backoff_ceiling
from reconciler.kinds import KINDS
from reconciler.sandbox import RunningSandbox

from .conftest import Sleeps
from .seeding import Seed


def _seed_a_little(seed: Seed) -> None:
    product = seed.product("gold")
    seed.price("gold-usd", product.id)
    for n in range(3):
        seed.customer(f"c{n}")
    invoice = seed.invoice("i1", seed.customer("c9").id)
    seed.item(invoice, "fee", amount=300, currency="usd")


def test_read_live_survives_500s_retrying_each_failed_request_once_per_failure(
    gateway: StripeGateway, sandbox: RunningSandbox, seed: Seed, sleeps: Sleeps
) -> None:
    _seed_a_little(seed)
    expected = read_live(gateway)
    gateway.reset_counts()
    before = sandbox.stats()["by_status"].get("500", 0)
    sandbox.set_faults(error_rate=0.4, seed=1)

    live = read_live(gateway)

    failures = sandbox.stats()["by_status"].get("500", 0) - before
    assert failures == 4  # what the seeded faults strike over a list call per kind (credit notes' included)
    # read_at is Stripe's clock (its answers' Date): the second read may come a second later.
    assert dataclasses.replace(live, read_at=expected.read_at) == expected
    assert live.read_at is not None and expected.read_at is not None and live.read_at >= expected.read_at
    assert gateway.retries == failures
    assert gateway.total_requests == len(KINDS) + failures  # a list call per kind, plus one repeat per 500
    assert len(sleeps.delays) == failures


def test_a_read_that_keeps_failing_gives_up_after_max_attempts_with_a_clear_error(
    gateway: StripeGateway, sandbox: RunningSandbox, sleeps: Sleeps
) -> None:
    sandbox.set_faults(rate_limit_rps=0)  # every request is answered 429
    with pytest.raises(RetriesExhausted) as caught:
        read_live(gateway)
    assert str(caught.value) == "rate limited by Stripe (429): too many requests (gave up after 4 attempts)"
    assert isinstance(caught.value.last, RateLimited)
    assert (caught.value.http_status, caught.value.code) == (429, "rate_limit")
    assert gateway.total_requests == 4 and gateway.retries == 3
    # Exponential backoff with full jitter: each delay within 0..0.5·2^(n-1).
    assert len(sleeps.delays) == 3
    assert all(0 <= d <= backoff_ceiling(n, base=0.5, cap=20.0) for n, d in enumerate(sleeps.delays, 1))


def test_writes_are_not_retried_by_the_gateway(gateway: StripeGateway, sandbox: RunningSandbox) -> None:
    # The applier retries writes itself, under its rate limit and idempotency keys.
    sandbox.set_faults(error_rate=1.0)
    with pytest.raises(ServerError):
        write.send(gateway, "create_customer", None, {"name": "Jenny"}, idempotency_key="t-no-retry")
    assert gateway.total_requests == 1 and gateway.retries == 0


def test_a_caller_with_its_own_retries_can_turn_them_off(gateway: StripeGateway, sandbox: RunningSandbox) -> None:
    sandbox.set_faults(error_rate=1.0)
    with pytest.raises(ServerError):
        write.get_invoice(gateway, "in_123", retry=False)
    assert gateway.total_requests == 1
