"""Request statistics for benchmarks and tests (e.g. "--dry-run sends no write")."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._writes = 0
            self._by_route: Counter[str] = Counter()
            self._by_status: Counter[int] = Counter()

    def record(self, route: str, *, write: bool, status: int) -> None:
        with self._lock:
            self._total += 1
            self._writes += int(write)
            self._by_route[route] += 1
            self._by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "writes": self._writes,
                "by_route": dict(self._by_route),
                "by_status": {str(k): v for k, v in self._by_status.items()},
            }
