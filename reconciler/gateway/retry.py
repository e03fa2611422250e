"""Retries of transient Stripe errors: exponential backoff with full jitter.

The one retry loop of the tool. The gateway retries its GETs with it (a read
is safe to repeat); the applier retries its writes with it (safe because
every write carries a deterministic idempotency key, so a repeat replays).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.gateway.errors import RetriesExhausted

# Seconds one call may take, retries included (`--timeout`), and one attempt
# of it: a server that never answers fails a command well within a minute.
# Here, not in client.py, so the CLI's --help reads them without loading the SDK.
DEFAULT_TIMEOUT = 45.0
ATTEMPT_TIMEOUT = 20.0

log = logging.getLogger(__name__)
T = TypeVar("T")

# (attempt that failed, delay before the next one, the error)
RetryHook = Callable[[int, float, BaseException], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. `sleep` and `rng` are injected so
    tests never wait for real time."""

    max_attempts: int = 6  # total tries per request, the first included
    base: float = 0.5  # seconds; ceiling of the first retry's delay
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self.base, cap=self.cap, rng=self.rng)


@dataclass(frozen=True)
class Deadline:
    """The point (on `clock`) by which a call, retries included, must be done."""

    seconds: float
    ends_at: float
    clock: Callable[[], float]

    @classmethod
    def start(cls, seconds: float, clock: Callable[[], float]) -> Deadline:
        return cls(seconds, clock() + seconds, clock)

    def remaining(self) -> float:
        return self.ends_at - self.clock()


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """Upper bound of the delay after failed attempt number `attempt` (1-based)."""
    return min(cap, base * float(2 ** (attempt - 1)))


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter (uniform 0..ceiling): concurrent retriers spread out instead of
    hitting the rate limit again in lockstep."""
    return rng.uniform(0.0, backoff_ceiling(attempt, base=base, cap=cap))


def is_retryable(exc: BaseException) -> bool:
    """The gateway decides (5xx, network, 409, Stripe-Should-Retry) via `.retryable`.

    A 429 is always retryable: StripeGateway.translate makes every 429 a
    RateLimited whatever `Stripe-Should-Retry` says (see there). A spent
    RetriesExhausted is never retried, whatever status its last error had.
    """
    return bool(getattr(exc, "retryable", False))


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    before_attempt: Callable[[], object] | None = None,
    on_retry: RetryHook | None = None,
    deadline: Deadline | None = None,
) -> T:
    """Call `fn` (one request) until it succeeds, fails for good, or the
    policy's attempts (or the `deadline`) run out (RetriesExhausted, naming
    the last error).

    `before_attempt` runs before every attempt (the applier takes a
    rate-limit token there); `on_retry` before every backoff sleep.
    """
    attempt = 0
    while True:
        attempt += 1
        if before_attempt is not None:
            before_attempt()
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - classified just below
            if not is_retryable(exc):
                raise
            if attempt >= policy.max_attempts:
                raise RetriesExhausted(exc, attempt) from exc
            delay = policy.delay(attempt)
            if deadline is not None and deadline.remaining() <= delay:
                raise RetriesExhausted(exc, attempt, within=deadline.seconds) from exc
            log.debug("attempt %s failed (%s); retrying in %.2fs", attempt, exc, delay)
            if on_retry is not None:
                on_retry(attempt, delay, exc)
            policy.sleep(delay)
