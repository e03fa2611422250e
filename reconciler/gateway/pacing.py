"""Pacing: how fast, and how many at once, one command run sends requests.

A `Pacer` is shared by every request of a run, reads and writes alike (both
count against Stripe's rate limit). It holds

- a token bucket at the client-side limit (`--max-rps`): never more than
  that many requests a second, however many are in flight;
- a window of requests in flight sized by Little's law, rate x observed
  round-trip time (with some headroom), so a slow link is kept busy at the
  rate limit instead of waiting out each round trip. It opens at one
  request (nothing is known yet, and a run against a refusing server stops
  after one request's retries) and follows the round-trip time from the
  first answer on, never past `ceiling`.

A 429 means the account's limit is lower than the rate in use (Stripe counts
every client of the account, and its window is not our bucket): the rate is
cut by a sixth, and regained within seconds up to just below the rate that
was refused (the account's limit as learnt), past which it only creeps, so a
run at the limit loses a request now and then instead of a pause for
everyone. The refused request itself backs off and retries like any
transient error. The window shrinks with the rate. The 429s of requests sent
before a cut took effect (within a round trip of it) answer the same excess:
they cut once.

Schedulers (the applier's runner, the live reader) start work only while
fewer than `window` tasks run; `call_paced` sends one request through the
pacer with the shared retry loop.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TypeVar

from reconciler.gateway.retry import Deadline, RetryHook, RetryPolicy, call_with_retries

T = TypeVar("T")

# In flight = rate x RTT would just reach the rate on paper; a task also
# spends time between its requests (the client's CPU, the scheduler, the send
# guard waiting for its ledger fetch), so the window holds half as many again.
HEADROOM = 1.5
# Weight of the newest round trip in the running estimate.
RTT_WEIGHT = 0.2
# After a 429 the rate is multiplied by RATE_CUT; each answer then adds
# 1/RECOVERY_SECONDS req/s up to LEARNT x the refused rate (back exponentially,
# within seconds), and 1/PROBE_SECONDS beyond (the account's limit may have
# risen: its other clients went quiet).
RATE_CUT = 5 / 6
LEARNT = 0.97
RECOVERY_SECONDS = 4.0
PROBE_SECONDS = 600.0
MIN_RATE = 1.0


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

    def set_rate(self, rate: float) -> None:
        """From now on, `rate` tokens a second (what is already reserved stays)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self.rate = rate


class Pacer:
    """The rate limit and the window of requests in flight of one run (thread-safe).

    `max_rps` None: no client-side limit (a library caller's choice; the CLI
    always sets one): the window is the ceiling once an answer came, until a
    429 sets a rate from what was being sent.
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
        self._clock = clock
        self._sleep = sleep
        self.bucket = TokenBucket(max_rps, clock=clock, sleep=sleep) if max_rps is not None else None
        self._lock = threading.Lock()
        self._rtt: float | None = None
        self._rate = max_rps  # the rate in use: max_rps, or less after 429s
        self._cut_at: float | None = None
        self._learnt: float | None = None  # just below the last rate refused
        self._listeners: list[Callable[[], None]] = []

    @property
    def rtt(self) -> float | None:
        """The running estimate of one request's round trip, once one was answered."""
        with self._lock:
            return self._rtt

    @property
    def rate(self) -> float | None:
        """Requests a second allowed now (None: no limit)."""
        with self._lock:
            return self._rate

    @property
    def window(self) -> int:
        """How many requests (or single-request tasks) may be in flight now."""
        with self._lock:
            return self._window()

    def _window(self) -> int:
        if self._rtt is None:
            return 1
        if self._rate is None:
            return self.ceiling
        return max(1, min(self.ceiling, math.ceil(self._rate * self._rtt * HEADROOM) + 1))

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
        bucket = self.bucket
        if bucket is not None:
            bucket.acquire()
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

    def _answered(self, seconds: float) -> None:
        with self._lock:
            before = self._window()
            self._rtt = seconds if self._rtt is None else self._rtt + RTT_WEIGHT * (seconds - self._rtt)
            if self._rate is not None and (self.max_rps is None or self._rate < self.max_rps):
                below = self._learnt is None or self._rate < self._learnt
                self._set_rate(self._rate + 1 / (RECOVERY_SECONDS if below else PROBE_SECONDS))
            listeners = list(self._listeners) if self._window() > before else []
        for listener in listeners:
            listener()

    def _throttled(self) -> None:
        with self._lock:
            now = self._clock()
            if self._cut_at is not None and self._rtt is not None and now - self._cut_at < self._rtt:
                return  # sent before the last cut could slow it
            self._cut_at = now
            if self._rate is None and self._rtt:
                self._rate = self._window() / self._rtt  # what was being sent
            if self._rate is not None:
                self._learnt = self._rate * LEARNT
                self._set_rate(self._rate * RATE_CUT)

    def _set_rate(self, rate: float) -> None:
        """(lock held)"""
        rate = max(min(MIN_RATE, self.max_rps or MIN_RATE), rate)
        if self.max_rps is not None:
            rate = min(rate, self.max_rps)
        self._rate = rate
        if self.bucket is None:
            self.bucket = TokenBucket(rate, clock=self._clock, sleep=self._sleep)
        else:
            self.bucket.set_rate(rate)


def call_paced(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    pacer: Pacer,
    on_retry: RetryHook | None = None,
    deadline: Deadline | None = None,
) -> T:
    """Call `fn` (one request) through the pacer, retrying transient errors
    (a 429 among them, after the pacer has slowed every worker down)."""
    return call_with_retries(lambda: pacer.call(fn), policy, on_retry=on_retry, deadline=deadline)
