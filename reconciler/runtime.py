"""What commands take from their surroundings that tests replace: retry waits and clocks.

The CLI finds a Runtime in click's context object (`CliRunner().invoke(main,
args, obj=Runtime(...))`), else uses the real one, so a test of a failing
network waits for no real backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.gateway.retry import RetryPolicy


@dataclass(frozen=True)
class Runtime:
    # Retries of reads (sleep, clock, attempts); None: RetryPolicy's defaults.
    retry: RetryPolicy | None = None
    # The clock of progress reports.
    clock: Callable[[], float] = time.monotonic
