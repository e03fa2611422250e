"""The Stripe gateway: the only package of the tool that imports `stripe`.

- client: StripeGateway (pinned API version, request counts, error translation)
- errors: GatewayError and its subclasses
- read: read_live(gateway) -> Live, through paginated list calls
- write: every write the applier sends, and request_for() for dry runs
"""

from __future__ import annotations

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import GatewayError

__all__ = ["GatewayError", "StripeGateway"]
