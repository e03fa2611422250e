"""The one way tests build the real SDK's client against a sandbox (or another base)."""

from __future__ import annotations

import stripe

from reconciler.sandbox import SANDBOX_API_KEY
from reconciler.stripe_facts import API_VERSION


def sdk_client(base: str | None, *, api_key: str = SANDBOX_API_KEY, retries: int = 0,
               version: str = API_VERSION) -> stripe.StripeClient:
    """A StripeClient at `base` (None: api.stripe.com), pinned to our API version, no retries unless asked."""
    addresses = {"api": base} if base is not None else {}
    return stripe.StripeClient(api_key, base_addresses=addresses, stripe_version=version,
                               max_network_retries=retries)
