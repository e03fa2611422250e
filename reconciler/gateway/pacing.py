"""Pacing: how fast, and how many at once, one command run sends requests.

A `Pacer` is shared by every request of a run, reads and writes alike (both
count against Stripe's rate limit). It holds

- a token bucket at the client-side limit (`--max-rps`): never more than
  that many requests a second, however many are in flight;
- a window of requests in flight sized by Little's law, rate x observed
  round-trip time (with some headroom), so a slow link is kept busy at the
  rate limit instead of waiting out each round trip. It opens at one
  request (nothing is known yet, and a run against a refusing server stops
  after one request's retries), follows the round-trip time from the first
  answer on, halves on a 429 and grows back by about one per window of
  answers, never past `ceiling`.

Schedulers (the applier's runner, the live reader) start work only while
fewer than `window` tasks run; `call_paced` sends one request through the
bucket with the shared retry loop.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TypeVar

from reconciler.gateway.retry import Deadline, RetryHook, RetryPolicy, call_with_retries

T = TypeVar("T")

# In flight = rate x RTT would just reach the rate on paper; requests also
# wait on the scheduler and the client's CPU between steps.
HEADROOM = 1.25
# Weight of the newest round trip in the running estimate.
RTT_WEIGHT = 0.2


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


class Pacer:
    """The rate limit and the window of requests in flight of one run (thread-safe).

    `max_rps` None: no client-side limit (a library caller's choice; the CLI
    always sets one), and the window is the ceiling once an answer came.
    """

    def __init__(
        self,
        max_rps: float | None,
        *,
        ceiling: int,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be at least 1")
        self.max_rps = max_rps
        self.ceiling = ceiling
        self.bucket = TokenBucket(max_rps, clock=clock, sleep=sleep) if max_rps is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._rtt: float | None = None
        self._cap = float(ceiling)  # lowered by 429s, regained by answers
        self._listeners: list[Callable[[], None]] = []

    @property
    def rtt(self) -> float | None:
        """The running estimate of one request's round trip, once one was answered."""
        with self._lock:
            return self._rtt

    @property
    def window(self) -> int:
        """How many requests (or single-request tasks) may be in flight now."""
        with self._lock:
            return self._window()

    def _window(self) -> int:
        if self._rtt is None:
            return 1
        target = self.ceiling if self.max_rps is None else math.ceil(self.max_rps * self._rtt * HEADROOM) + 1
        return max(1, min(self.ceiling, int(self._cap), target))

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` (from any thread) whenever the window grew; returns its removal."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                self._listeners.remove(listener)

        return remove

    def call(self, fn: Callable[[], T]) -> T:
        """One attempt of one request: take a token, send, learn from the answer."""
        if self.bucket is not None:
            self.bucket.acquire()
        started = self._clock()
        try:
            result = fn()
        except Exception as exc:
            status = getattr(exc, "http_status", None)
            if status == 429:
                self._throttled()
            elif status is not None and status < 500:
                self._answered(self._clock() - started)  # a refusal is a round trip all the same
            raise
        self._answered(self._clock() - started)
        return result

    def pause(self, seconds: float) -> None:
        """No token for anyone for `seconds` (after a 429)."""
        if self.bucket is not None:
            self.bucket.pause(seconds)

    def _answered(self, seconds: float) -> None:
        with self._lock:
            before = self._window()
            self._rtt = seconds if self._rtt is None else self._rtt + RTT_WEIGHT * (seconds - self._rtt)
            self._cap = min(float(self.ceiling), self._cap + 1.0 / max(1.0, self._cap))
            grew = self._window() > before
            listeners = list(self._listeners) if grew else []
        for listener in listeners:
            listener()

    def _throttled(self) -> None:
        with self._lock:
            self._cap = max(1.0, self._window() / 2)


def call_paced(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    pacer: Pacer,
    on_retry: RetryHook | None = None,
    deadline: Deadline | None = None,
) -> T:
    """Call `fn` (one request) through the pacer, retrying transient errors."""

    def retrying(attempt: int, delay: float, exc: BaseException) -> None:
        if getattr(exc, "http_status", None) == 429:
            # Stripe's limit is per second; the first backoff's ceiling is a
            # short, shared pause (the refused worker still sleeps its own delay).
            pacer.pause(policy.base)
        if on_retry is not None:
            on_retry(attempt, delay, exc)

    return call_with_retries(lambda: pacer.call(fn), policy, on_retry=retrying, deadline=deadline)
