"""ApplyOptions: how a plan is executed (parallelism, rate, retries, time)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Below Stripe's own limits (25 req/s test mode, 100 live), leaving room for
# other clients of the same account. The CLI picks one by the key's mode.
DEFAULT_MAX_RPS_TEST = 20.0
DEFAULT_MAX_RPS_LIVE = 80.0


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = 4
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
