"""PacedPool: worker threads running as many tasks at once as a pacer's window allows.

The applier's runner and the live reader both schedule through one: start
tasks while `room()` is positive, then `wait()` for a task to finish or for
the window to grow (the first answers of a run open it), and go again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, Generic, TypeVar

from reconciler.gateway.pacing import Pacer

K = TypeVar("K")


class PacedPool(Generic[K]):
    """Tasks keyed by K; at most `pacer.window` of them run at once, or with
    `per_request`, as many as keep the pacer's busy requests within its
    request window (at most its ceiling)."""

    def __init__(self, pacer: Pacer, *, name: str, per_request: bool = False) -> None:
        self._pacer = pacer
        self._per_request = per_request
        self._executor = ThreadPoolExecutor(max_workers=pacer.ceiling, thread_name_prefix=name)
        self.running: dict[Future[Any], K] = {}
        self._changed = threading.Condition()
        self._done: list[Future[Any]] = []
        self._grew = False
        unsubscribe = [pacer.on_change(self._window_grew)]
        if per_request:
            unsubscribe.append(pacer.on_freed(self._window_grew))
        self._unsubscribe = unsubscribe

    def room(self) -> int:
        """How many more tasks may start now."""
        if self._per_request:
            pacer = self._pacer
            return min(pacer.request_window - pacer.busy, pacer.ceiling - len(self.running))
        return self._pacer.window - len(self.running)

    def submit(self, key: K, fn: Callable[[], Any]) -> None:
        if self._per_request:
            self._pacer.reserve()
            fn = partial(self._pacer.holding_reserved, fn)
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
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._executor.shutdown(wait=wait, cancel_futures=True)

    def _finished(self, future: Future[Any]) -> None:
        if self._per_request and future.cancelled():
            self._pacer.unreserve()  # never started: its reserved place is free
        with self._changed:
            self._done.append(future)
            self._changed.notify()

    def _window_grew(self) -> None:
        with self._changed:
            self._grew = True
            self._changed.notify()
