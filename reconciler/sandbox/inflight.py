"""Idempotency keys of requests still being answered.

Stripe answers a request whose Idempotency-Key another request is still
using with HTTP 409 (`idempotency_error`, code `idempotency_key_in_use`)
instead of waiting for the first and replaying it; nothing is saved for the
refused one, so a retry after the first finished gets the replay.
"""

from __future__ import annotations

import threading


class InFlightKeys:
    """A thread-safe set of claimed keys; tests can wait for a claim."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._keys: set[str] = set()

    def claim(self, key: str) -> bool:
        """Take `key` for one request; False if another request holds it."""
        with self._changed:
            if key in self._keys:
                return False
            self._keys.add(key)
            self._changed.notify_all()
            return True

    def release(self, key: str) -> None:
        with self._changed:
            self._keys.discard(key)
            self._changed.notify_all()

    def wait_claimed(self, key: str, timeout: float) -> bool:
        """Block until some request holds `key` (test synchronisation); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: key in self._keys, timeout)
