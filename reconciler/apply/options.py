"""ApplyOptions: how a plan is executed (parallelism ceiling, rate, retries, time)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.gateway.pacing import Pacer
from reconciler.gateway.retry import RetryPolicy

# Below Stripe's own limits (25 req/s test mode, 100 live), leaving room for
# other clients of the same account. The CLI picks one by the key's mode.
DEFAULT_MAX_RPS_TEST = 20.0
DEFAULT_MAX_RPS_LIVE = 80.0
# Requests in flight adapt to rate x round-trip time up to this ceiling:
# enough for 100 req/s through 500 ms of latency (50, and half as many again
# for the time tasks spend between requests; 64 sustained only 86% there).
MAX_PARALLELISM = 96


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = MAX_PARALLELISM  # a ceiling; the pacer's window is the operating point
    max_rps: float = DEFAULT_MAX_RPS_TEST
    fail_fast: bool = False
    max_attempts: int = 6  # total tries per request, the first included
    base_backoff: float = 0.5  # seconds; ceiling of the first retry's delay
    max_backoff: float = 20.0
    # Injected so tests never wait for real time.
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        if self.max_rps <= 0:
            raise ValueError("max_rps must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def pacer(self) -> Pacer:
        """A pacer for a run of its own (the CLI shares the read's: its round trips are known)."""
        return Pacer(self.max_rps, ceiling=self.parallelism, clock=self.clock, sleep=self.sleep)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base=self.base_backoff,
            cap=self.max_backoff,
            sleep=self.sleep,
            rng=self.rng,
            clock=self.clock,
        )
