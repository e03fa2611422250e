"""What commands take from their surroundings that tests replace: waits and clocks.

The CLI finds a Runtime in click's context object (`CliRunner().invoke(main,
args, obj=Runtime(...))`), else uses the real one, so a test of a failing
network waits out no real backoff, and one of apply no real rate-limit pacing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.gateway.retry import RetryPolicy


@dataclass(frozen=True)
class Runtime:
    # Every wait of a command: read retries' backoff, apply's backoff and rate-limit pacing.
    sleep: Callable[[float], None] = time.sleep
    # Retries of reads (attempts, backoff); None: RetryPolicy's defaults with `sleep`.
    retry: RetryPolicy | None = None
    # The clock of progress reports.
    clock: Callable[[], float] = time.monotonic

    def read_retry(self) -> RetryPolicy:
        return self.retry if self.retry is not None else RetryPolicy(sleep=self.sleep)
