"""Shared fixtures: one sandbox per test session on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import stripe
from cli_runner import invoke
from click.testing import Result
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox, start_sandbox


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
    return sdk_client(sandbox.url)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """`reconciler ARGS` in-process, without the developer's RECONCILER_* and STRIPE_* variables."""
    return invoke
