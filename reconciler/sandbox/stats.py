"""Request statistics for benchmarks and tests (e.g. "--dry-run sends no write")."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counts per (route, write, status); totals are summed when asked for.

    One counter increment per request keeps the hot path short; snapshots are rare.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._by_status: Counter[int] = Counter()
        self._counts: Counter[tuple[str, bool, int]] = Counter()
        # (method, path, key, status, replayed) of each request that carried an
        # Idempotency-Key, in the order answered: lets tests check which keys a
        # client sent and which requests were replays.
        self._keyed: list[tuple[str, str, str, int, bool]] = []

    def reset(self) -> None:
        with self._lock:
            self._counts = Counter()
            self._by_status = Counter()
            self._keyed = []

    def record(
        self,
        route: str,
        *,
        write: bool,
        status: int,
        keyed: tuple[str, str, str, int, bool] | None = None,
    ) -> None:
        with self._lock:
            self._counts[route, write, status] += 1
            self._by_status[status] += 1
            if keyed is not None:
                self._keyed.append(keyed)
            self._answered.notify_all()

    def wait_for_status(self, status: int, count: int = 1, timeout: float = 30.0) -> None:
        """Return once `count` answers with `status` were recorded; TimeoutError if they never are."""
        with self._answered:
            if not self._answered.wait_for(lambda: self._by_status[status] >= count, timeout):
                raise TimeoutError(f"{count} answer(s) with status {status} never came")

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            counts = list(self._counts.items())
            keyed = list(self._keyed)
        by_route: Counter[str] = Counter()
        by_status: Counter[int] = Counter()
        writes = 0
        for (route, write, status), n in counts:
            by_route[route] += n
            by_status[status] += n
            writes += n if write else 0
        return {
            "total": sum(n for _, n in counts),
            "writes": writes,
            "by_route": dict(by_route),
            "by_status": {str(k): v for k, v in by_status.items()},
            "idempotency_keys": [
                {"method": m, "path": p, "key": k, "status": s, "replayed": r} for m, p, k, s, r in keyed
            ],
        }
