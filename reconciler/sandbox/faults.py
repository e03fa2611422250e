"""Injected faults: latency, a rate limit, 500s, responses lost after commit."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.exceptions import ApiError, InvalidRequest, RateLimited, StripeApiError


@dataclass
class FaultConfig:
    """What to inject into /v1 requests; all off by default. Seeded: repeatable."""

    latency_ms: float = 0
    rate_limit_rps: float | None = None
    error_rate: float = 0.0
    lose_response_rate: float = 0.0
    seed: int = 0

    def updated(self, changes: dict[str, Any]) -> FaultConfig:
        """A copy with `changes` applied; unknown or ill-typed fields are refused."""
        names = {f.name for f in dataclasses.fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise InvalidRequest(f"Unknown fault setting: {key}", code="parameter_unknown", param=key)
            if key == "rate_limit_rps" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidRequest(f"Fault setting {key} must be a number", param=key)
            if key in ("error_rate", "lose_response_rate") and not 0 <= value <= 1:
                raise InvalidRequest(f"Fault setting {key} must be between 0 and 1", param=key)
            if value < 0:
                raise InvalidRequest(f"Fault setting {key} must not be negative", param=key)
        return dataclasses.replace(self, **changes)


class FaultInjector:
    """Decides, per request, which fault (if any) strikes. Thread-safe."""

    def __init__(
        self,
        config: FaultConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._sleep = sleep
        self._monotonic = monotonic
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self._recent: deque[float] = deque()

    def before(self) -> StripeApiError | None:
        """Apply latency; the error to answer instead of executing, if any."""
        config = self.config
        if config.latency_ms:
            self._sleep(config.latency_ms / 1000)
        with self._lock:
            if config.rate_limit_rps is not None:
                now = self._monotonic()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) >= config.rate_limit_rps:
                    return RateLimited()
                self._recent.append(now)
            if config.error_rate and self._rng.random() < config.error_rate:
                return ApiError()
        return None

    def lose_response(self) -> bool:
        """Whether to drop the connection after committing this request."""
        with self._lock:
            rate = self.config.lose_response_rate
            return bool(rate) and self._rng.random() < rate
