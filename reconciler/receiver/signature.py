"""Stripe-Signature verification, on the request's raw bytes.

Stripe signs `f"{t}.{body}"` with HMAC-SHA256 under the endpoint's secret and
sends `t=<unix time>,v1=<hex>[,v1=<hex>…]` (one v1 per active secret while a
secret is being rolled). A request is genuine when some v1 matches some secret
we hold and `t` is within the tolerance of our clock, in either direction: a
future timestamp is as suspect as an old one (a replay with a forged clock).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

DEFAULT_TOLERANCE = 300  # seconds, Stripe's own default
SCHEME = "v1"


class SignatureRejected(Exception):
    """The request is not a genuine, fresh Stripe delivery; `reason` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign(secret: str, payload: bytes, timestamp: int) -> str:
    """The header Stripe would send (tests, the bench, and the sandbox's shape)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},{SCHEME}={digest}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            if timestamp is not None or not value.isdigit() or len(value) > 12:
                raise SignatureRejected("malformed timestamp in Stripe-Signature")
            timestamp = int(value)
        elif name == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise SignatureRejected("no timestamp in Stripe-Signature")
    if not signatures:
        raise SignatureRejected("no v1 signature in Stripe-Signature")
    return timestamp, signatures


def verify(
    payload: bytes,
    header: str | None,
    secrets: Sequence[bytes],
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> int:
    """The signed timestamp, or SignatureRejected. `secrets` are UTF-8 encoded."""
    if not header:
        raise SignatureRejected("no Stripe-Signature header")
    if len(header) > 4096:
        raise SignatureRejected("Stripe-Signature header too long")
    timestamp, signatures = _parse(header)
    if abs(now - timestamp) > tolerance:
        raise SignatureRejected(f"timestamp {timestamp} is more than {tolerance}s from now")
    signed = f"{timestamp}.".encode() + payload
    for secret in secrets:
        expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
        for candidate in signatures:
            if hmac.compare_digest(expected, candidate):
                return timestamp
    raise SignatureRejected("no signature matches a configured secret")
