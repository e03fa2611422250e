"""A client-side token bucket shared by every worker of one apply."""

from __future__ import annotations

import threading
from collections.abc import Callable


class TokenBucket:
    """At most `rate` acquisitions per second on average, bursts up to `capacity`.

    A caller that finds the bucket empty reserves the next token (the level
    goes negative) and sleeps outside the lock until it is due, so waiters are
    served in arrival order and never spin.
    """

    def __init__(
        self,
        rate: float,
        *,
        capacity: float = 1.0,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._last = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is available; returns the wait."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """Hand out no token for `seconds` from now (beyond what is already
        reserved): after a 429 every worker backs off, not only the one that
        was refused."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            # The next acquire takes a token and finds the level at -seconds*rate.
            self._tokens = min(self._tokens, 1.0 - seconds * self.rate)
