"""Retries of transient gateway errors: exponential backoff with full jitter."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TypeVar

from reconciler.apply.errors import RetriesExhausted
from reconciler.apply.ratelimit import TokenBucket

log = logging.getLogger(__name__)
T = TypeVar("T")

# (attempt that failed, delay before the next one, the error)
RetryHook = Callable[[int, float, BaseException], None]


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """Upper bound of the delay after failed attempt number `attempt` (1-based)."""
    return min(cap, base * (2 ** (attempt - 1)))


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter (uniform 0..ceiling): concurrent retriers spread out instead of
    hitting the rate limit again in lockstep."""
    return rng.uniform(0.0, backoff_ceiling(attempt, base=base, cap=cap))


def is_retryable(exc: BaseException) -> bool:
    """The gateway decides (5xx, network, 409, Stripe-Should-Retry) via `.retryable`.

    A 429 is always retried after a backoff: Stripe's rate-limit guidance is
    to back off and retry, and the `Stripe-Should-Retry: false` it may carry
    only tells the SDK not to retry at once.
    """
    if getattr(exc, "http_status", None) == 429:
        return True
    return bool(getattr(exc, "retryable", False))


def call_with_retries(
    fn: Callable[[], T],
    *,
    limiter: TokenBucket,
    max_attempts: int,
    base: float,
    cap: float,
    rng: random.Random,
    sleep: Callable[[float], None],
    on_retry: RetryHook | None = None,
) -> T:
    """Call `fn` (one request), each attempt taking a rate-limit token.

    Safe for writes only because every POST carries a deterministic
    idempotency key: a retry of a request whose response was lost replays it.
    """
    attempt = 0
    while True:
        attempt += 1
        limiter.acquire()
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - classified just below
            if not is_retryable(exc):
                raise
            if attempt >= max_attempts:
                raise RetriesExhausted(exc, attempt) from exc
            delay = backoff_delay(attempt, base=base, cap=cap, rng=rng)
            log.debug("attempt %s failed (%s); retrying in %.2fs", attempt, exc, delay)
            if on_retry is not None:
                on_retry(attempt, delay, exc)
            sleep(delay)
