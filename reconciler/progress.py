"""Progress of reading live state, on stderr: reading 10,000 invoices takes a while.

On a terminal, one line redrawn in place (cleared when reading ends); in a
log (CI), a line every INTERVAL seconds and a last one, and nothing at all
for a read shorter than that. A ticker thread keeps the line moving while the
API is silent, so a slow answer is visible as waiting, not as a hang.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from reconciler.text import plural

LOG_INTERVAL = 5.0
TERMINAL_INTERVAL = 0.1
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class ReadProgress:
    """Counts list pages as they arrive and reports them; thread-safe."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        terminal: bool,
        host: str = "",
        clock: Callable[[], float] = time.monotonic,
        interval: float | None = None,
    ) -> None:
        self._write = write
        self._terminal = terminal
        self._host = host
        self._clock = clock
        self._interval = interval if interval is not None else (TERMINAL_INTERVAL if terminal else LOG_INTERVAL)
        self._lock = threading.Lock()
        self._objects: Counter[str] = Counter()
        self._requests = 0
        self._started = clock()
        self._last = self._started
        self._shown = False
        self._finished = False
        self._frame = 0

    def page(self, path: str, objects: int) -> None:
        """One list page of `path` arrived with `objects` objects."""
        with self._lock:
            self._requests += 1
            self._objects[_kind_of(path)] += objects
        self.tick()

    def tick(self) -> None:
        """Report if the interval has passed since the last report."""
        with self._lock:
            now = self._clock()
            if self._finished or now - self._last < self._interval:
                return
            self._last = now
            self._frame += 1
            text = self._status(now)
            self._shown = True
            self._write(f"\r\x1b[K{_SPINNER[self._frame % len(_SPINNER)]} {text}" if self._terminal else text)

    def finish(self, *, failed: bool = False) -> None:
        """Reading is over: clear the terminal line, or log the total if anything
        was logged (not after a failure: the error line that follows says why)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            if not self._shown:
                return
            if self._terminal:
                self._write("\r\x1b[K")
            elif not failed:
                total = sum(self._objects.values())
                self._write(
                    f"read live state: {plural(total, 'object')} in {plural(self._requests, 'request')} "
                    f"({self._clock() - self._started:.0f} s)"
                )

    def _status(self, now: float) -> str:
        kinds = " · ".join(f"{kind} {n:,}" for kind, n in sorted(self._objects.items()) if n)
        seen = kinds or "nothing yet"
        where = f" from {self._host}" if self._host else ""
        requests = plural(self._requests, "request")
        return f"reading live state{where}: {seen} ({requests}, {now - self._started:.0f} s)"


def _kind_of(path: str) -> str:
    """'products' for /v1/products, 'invoice lines' for /v1/invoices/in_1/lines."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    if len(parts) >= 4 and parts[-1] == "lines":
        return "invoice lines"
    return parts[1] if len(parts) > 1 else path


class Ticker:
    """Calls `progress.tick()` every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, progress: ReadProgress, interval: float) -> None:
        self._progress = progress
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="read-progress", daemon=True)

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self._progress.finish(failed=exc_type is not None)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._progress.tick()
