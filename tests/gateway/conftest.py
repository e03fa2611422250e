"""Gateway fixtures: a StripeGateway on the test sandbox, and seeding helpers
that write through the real SDK (the `stripe_client` fixture)."""

from __future__ import annotations

import pytest
import stripe

from reconciler.gateway.client import StripeGateway
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

from .seeding import Seed


@pytest.fixture
def gateway(sandbox: RunningSandbox) -> StripeGateway:
    return StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)


@pytest.fixture
def seed(stripe_client: stripe.StripeClient) -> Seed:
    return Seed(stripe_client)
