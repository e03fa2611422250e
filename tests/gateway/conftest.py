"""Gateway fixtures: a StripeGateway on the test sandbox, and seeding helpers
that write through the real SDK (the `stripe_client` fixture)."""

from __future__ import annotations

import random

import pytest
import stripe

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.retry import RetryPolicy
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

from .seeding import Seed


class Sleeps:
    """A sleep that records the delay and returns at once (tests never wait)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def gateway(sandbox: RunningSandbox, sleeps: Sleeps) -> StripeGateway:
    """GETs retried up to 4 attempts in all, without waiting."""
    policy = RetryPolicy(max_attempts=4, base=0.5, cap=20.0, sleep=sleeps, rng=random.Random(0))
    return StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url, retry=policy)


@pytest.fixture
def seed(stripe_client: stripe.StripeClient) -> Seed:
    return Seed(stripe_client)
