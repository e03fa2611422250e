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

The bucket fills at PACE of the rate: the server counts a request when it
arrives, in its own one-second window, and the link blurs the bucket's even
spacing, so a second of the server's can hold a request or two more than a
second of ours; at the full rate a run at the account's limit was refused a
dozen times.

Schedulers start work only while the window has room. The live reader
counts tasks (each is mostly one request); the applier counts requests
(`busy`: sent or waiting for a token, and tasks started but not yet
sending), so an action's time between its requests (the send guard waiting
for its ledger, the client's own work) does not hold a place a request
could use. `call_paced` sends one request through the pacer with the shared
retry loop.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from reconciler.gateway.retry import Deadline, RetryHook, RetryPolicy, call_with_retries

T = TypeVar("T")

# In flight = rate x RTT would just reach the rate on paper; a task also
# spends time between its requests (the client's CPU, the scheduler, the send
# guard waiting for its ledger fetch), so the window holds half as many again.
HEADROOM = 1.5
# Counted in requests (sent or waiting for a token), the window needs less:
# the round trips' spread, and a few waiting so the bucket is never idle; more
# would only queue at the bucket and lengthen every chain.
REQUEST_HEADROOM = 1.2
REQUEST_SPARE = 2
# The bucket's share of the rate (see above).
PACE = 0.97
WINDOW_SHARE = 0.99
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
        self.bucket = TokenBucket(max_rps * PACE, clock=clock, sleep=sleep) if max_rps is not None else None
        self._lock = threading.Lock()
        self._busy = 0  # requests sent or waiting for a token, and reserved places (reserve)
        self._reserved = threading.local()  # this thread's task holds a reserved place
        self._sending = threading.Lock()
        self._answers: deque[float] = deque()  # when requests were answered (recently)
        self._flying = 0  # requests sent and not answered
        self._rtt: float | None = None
        self._rate = max_rps  # the rate in use: max_rps, or less after 429s
        self._cut_at: float | None = None
        self._learnt: float | None = None  # just below the last rate refused
        self._listeners: list[Callable[[], None]] = []
        self._freed: list[Callable[[], None]] = []

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

    def _window(self, headroom: float = HEADROOM, spare: int = 1) -> int:
        """Little's law: rate x round trip, with headroom (lock held)."""
        if self._rtt is None:
            return 1
        if self._rate is None:
            return self.ceiling
        return max(1, min(self.ceiling, math.ceil(self._rate * self._rtt * headroom) + spare))

    @property
    def request_window(self) -> int:
        """How many requests may be busy (sent or waiting for a token) now."""
        with self._lock:
            return self._request_window()

    def _request_window(self) -> int:
        return self._window(REQUEST_HEADROOM, REQUEST_SPARE)

    @property
    def busy(self) -> int:
        """Requests sent or waiting for a token, and places reserved for tasks not sending yet."""
        with self._lock:
            return self._busy

    def reserve(self) -> None:
        """Count a task about to start as busy until its first request (or its
        end), so a scheduler does not start more than the window meanwhile;
        the task must run inside `holding_reserved`."""
        with self._lock:
            self._busy += 1

    def holding_reserved(self, fn: Callable[[], T]) -> T:
        """Run a task whose place `reserve` counted: its first request takes it over."""
        self._reserved.held = True
        try:
            return fn()
        finally:
            if getattr(self._reserved, "held", False):
                self._reserved.held = False
                self._release()

    def unreserve(self) -> None:
        """Give back the place reserved for a task that never ran."""
        self._release()

    def _claim(self) -> None:
        if getattr(self._reserved, "held", False):
            self._reserved.held = False  # the place reserved for this task's start
            return
        with self._lock:
            self._busy += 1

    def _release(self) -> None:
        with self._lock:
            self._busy -= 1
            listeners = list(self._freed) if self._busy < self._request_window() else []
        for listener in listeners:
            listener()

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` (from any thread) whenever the window grew; returns its removal."""
        return self._listen(self._listeners, listener)

    def on_freed(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` (from any thread) whenever a busy request ended
        and the request window has room; returns its removal."""
        return self._listen(self._freed, listener)

    def _listen(self, listeners: list[Callable[[], None]], listener: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            listeners.append(listener)

        def remove() -> None:
            with self._lock:
                listeners.remove(listener)

        return remove

    def call(self, fn: Callable[[], T]) -> T:
        """One attempt of one request: take a token, send, learn from the answer."""
        self._claim()
        try:
            bucket = self.bucket
            if bucket is not None:
                bucket.acquire()
            self._within_second()
            started = self._clock()
            try:
                result = fn()
            except Exception as exc:
                ended = self._landed()
                status = getattr(exc, "http_status", None)
                if status == 429:
                    self._throttled()
                elif status in (401, 403):
                    pass  # a rejected key opens no window: a burst would only be refused the same way
                elif status is not None and status < 500:
                    self._answered(ended - started)  # a refusal is a round trip all the same
                raise
            self._answered(self._landed() - started)
            return result
        finally:
            self._release()

    def _within_second(self) -> None:
        """Hold this request while the server's last second, as it will stand
        when this request reaches it (a round trip from now), would hold
        WINDOW_SHARE x rate requests: the requests answered since then (the
        server counts a request just before it answers), and those still in
        flight. A thread woken late by a busy machine, or a server that
        stalled, sends or answers a burst of them at once, and the server
        refuses what exceeds its second (the bucket alone cannot see it)."""
        with self._sending:  # one at a time: each sees the ones before it
            while True:
                with self._lock:
                    now = self._clock()
                    cap = math.inf if self._rate is None else math.ceil(self._rate * WINDOW_SHARE)
                    rtt = min(self._rtt or 0.0, 1.0)
                    answers = self._answers
                    while answers and answers[0] <= now + rtt - 1.0:
                        answers.popleft()
                    if len(answers) + self._flying < cap or not answers:
                        self._flying += 1
                        return
                    wait = answers[0] - (now + rtt - 1.0)
                self._sleep(max(wait, 0.001))
                if self._clock() <= now:  # a clock that sleeping does not move (tests): no waiting on it
                    with self._lock:
                        self._flying += 1
                    return

    def _landed(self) -> float:
        """A request came back (answered or not); returns the time."""
        with self._lock:
            self._flying -= 1
            now = self._clock()
            self._answers.append(now)
            while self._answers[0] <= now - 1.0:
                self._answers.popleft()
            return now

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
            self.bucket = TokenBucket(rate * PACE, clock=self._clock, sleep=self._sleep)
        else:
            self.bucket.set_rate(rate * PACE)


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
