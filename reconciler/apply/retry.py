"""The applier's use of the shared retry loop (reconciler.gateway.retry).

Every attempt takes a token from the run's shared bucket; a 429 also pauses
that bucket, so all workers slow down together instead of each finding out
by its own 429.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reconciler.apply.options import ApplyOptions
from reconciler.apply.ratelimit import TokenBucket
from reconciler.gateway.retry import RetryHook, RetryPolicy, call_with_retries

T = TypeVar("T")


def policy_of(options: ApplyOptions) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=options.max_attempts,
        base=options.base_backoff,
        cap=options.max_backoff,
        sleep=options.sleep,
        rng=options.rng,
    )


def call_rate_limited(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    limiter: TokenBucket,
    on_retry: RetryHook | None = None,
) -> T:
    """Call `fn` (one request) under the bucket, retrying transient errors."""

    def retrying(attempt: int, delay: float, exc: BaseException) -> None:
        if getattr(exc, "http_status", None) == 429:
            # Stripe's limit is per second; the first backoff's ceiling is a
            # short, shared pause (the refused worker still sleeps its own delay).
            limiter.pause(policy.base)
        if on_retry is not None:
            on_retry(attempt, delay, exc)

    return call_with_retries(fn, policy, before_attempt=limiter.acquire, on_retry=retrying)
