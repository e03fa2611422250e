"""The sandbox's clock: a base clock (real time, or a test's) plus an offset
that the admin surface moves forward, so key expiry (24 h) and the events
window (30 days) can be crossed without waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Stripe keeps idempotency keys at least 24 hours and events 30 days.
IDEMPOTENCY_KEY_TTL = 24 * 3600
EVENTS_WINDOW = 30 * 86_400


class SandboxClock:
    """Callable like time.time; `advance(seconds)` moves it forward for good."""

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self._base = base
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            offset = self._offset
        return self._base() + offset

    def base(self) -> float:
        """The base clock's time, without what `advance` added: the time Stripe signs
        webhook deliveries with (the real time of sending), which a receiver checks
        against its own clock."""
        return self._base()

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` (≥ 0); the new time."""
        if not seconds >= 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self()

    def rewind(self) -> None:
        """Back to the base clock; only for a reset, when no state remains."""
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset
