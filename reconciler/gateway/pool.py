"""PacedPool: worker threads running as many tasks at once as a pacer's window allows.

The applier's runner and the live reader both schedule through one: start
tasks while `room()` is positive, then `wait()` for a task to finish or for
the window to grow (the first answers of a run open it), and go again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from reconciler.gateway.pacing import Pacer

K = TypeVar("K")


class PacedPool(Generic[K]):
    """Tasks keyed by K; at most `pacer.window` of them run at once."""

    def __init__(self, pacer: Pacer, *, name: str) -> None:
        self._pacer = pacer
        self._executor = ThreadPoolExecutor(max_workers=pacer.ceiling, thread_name_prefix=name)
        self.running: dict[Future[Any], K] = {}
        self._changed = threading.Condition()
        self._done: list[Future[Any]] = []
        self._grew = False
        self._unsubscribe = pacer.on_change(self._window_grew)

    def room(self) -> int:
        """How many more tasks may start now."""
        return self._pacer.window - len(self.running)

    def submit(self, key: K, fn: Callable[[], Any]) -> None:
        future = self._executor.submit(fn)
        self.running[future] = key
        future.add_done_callback(self._finished)

    def wait(self) -> list[tuple[K, Future[Any]]]:
        """Block until a task finished or the window grew; the tasks that finished."""
        with self._changed:
            while not self._done and not self._grew:
                self._changed.wait()
            done, self._done, self._grew = self._done, [], False
        return [(self.running.pop(future), future) for future in done]

    def shutdown(self, *, wait: bool) -> None:
        """Start nothing more; with `wait`, return once the running tasks finished."""
        self._unsubscribe()
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def _finished(self, future: Future[Any]) -> None:
        with self._changed:
            self._done.append(future)
            self._changed.notify()

    def _window_grew(self) -> None:
        with self._changed:
            self._grew = True
            self._changed.notify()
