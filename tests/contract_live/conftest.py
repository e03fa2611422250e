"""One client per backend: the sandbox always, real Stripe test mode when a key is set."""

from __future__ import annotations

import os

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox

LIVE_KEY_VAR = "STRIPE_TEST_API_KEY"


@pytest.fixture(params=["sandbox", "stripe-test-mode"])
def backend(request: pytest.FixtureRequest) -> stripe.StripeClient:
    if request.param == "sandbox":
        sandbox: RunningSandbox = request.getfixturevalue("sandbox")
        return sdk_client(sandbox.url)
    key = os.environ.get(LIVE_KEY_VAR, "")
    if not key:
        pytest.skip(f"{LIVE_KEY_VAR} is not set: no real Stripe test-mode run")
    if not key.startswith("sk_test_"):
        pytest.skip(f"{LIVE_KEY_VAR} must be a test-mode key (sk_test_…)")
    return sdk_client(None, api_key=key, retries=2)
