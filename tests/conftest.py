"""Shared fixtures: one sandbox per test session on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from reconciler.ownership import API_VERSION
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox, start_sandbox


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[RunningSandbox]:
    with start_sandbox() as running:
        yield running


@pytest.fixture
def sandbox(sandbox_session: RunningSandbox) -> Iterator[RunningSandbox]:
    """A sandbox emptied before the test (state, faults and statistics)."""
    sandbox_session.reset()
    yield sandbox_session


@pytest.fixture
def stripe_client(sandbox: RunningSandbox) -> stripe.StripeClient:
    """The real SDK pointed at the sandbox over HTTP."""
    return stripe.StripeClient(
        SANDBOX_API_KEY,
        base_addresses={"api": sandbox.url},
        stripe_version=API_VERSION,
        max_network_retries=0,
    )
