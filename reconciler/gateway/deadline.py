"""Wall-clock limits on HTTP attempts, so a slow or dripping server cannot hang a command.

The socket timeout that requests/urllib3 apply bounds each read, not the whole
answer: a server that sends one byte a second never trips it. Here each
attempt registers the connection it uses with one watchdog thread, which shuts
the socket down once the attempt's limit has passed; the blocked read then
returns at once and the SDK raises its connection error.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Attempt:
    """One HTTP attempt under a limit; `expired` once the watchdog cut it."""

    __slots__ = ("limit", "ends_at", "expired", "_connection")

    def __init__(self, limit: float, ends_at: float) -> None:
        self.limit = limit
        self.ends_at = ends_at
        self.expired = False
        self._connection: HTTPConnection | None = None


class Watchdog:
    """Cuts attempts that outlive their limit. One daemon thread, started on first use.

    It wakes at the earliest limit of the attempts in flight (there are at most
    as many as threads sending), not per request.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._active: set[Attempt] = set()
        self._wake_at: float | None = None
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    @contextmanager
    def attempt(self, limit: float) -> Iterator[Attempt]:
        """Watch the HTTP request this thread sends inside the block."""
        current = Attempt(limit, self._clock() + limit)
        with self._cond:
            self._active.add(current)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-watchdog", daemon=True)
                self._thread.start()
            if self._wake_at is None or current.ends_at < self._wake_at:
                self._cond.notify()
        self._local.current = current
        try:
            yield current
        finally:
            self._local.current = None
            with self._cond:
                self._active.discard(current)

    def adopt(self, connection: HTTPConnection) -> None:
        """Called by a connection about to send: it belongs to this thread's attempt."""
        current: Attempt | None = getattr(self._local, "current", None)
        if current is None:
            return
        with self._cond:
            current._connection = connection
            if current.expired:
                _cut(connection)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = self._clock()
                for attempt in [a for a in self._active if a.ends_at <= now and not a.expired]:
                    attempt.expired = True
                    if attempt._connection is not None:
                        _cut(attempt._connection)
                pending = [a.ends_at for a in self._active if not a.expired]
                self._wake_at = min(pending) if pending else None
                self._cond.wait(None if self._wake_at is None else max(0.0, self._wake_at - now))


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed: nothing left to cut
        pass


def watched_session(watchdog: Watchdog) -> requests.Session:
    """A requests session whose connections report to `watchdog` before each request."""
    session = requests.Session()
    adapter = _WatchedAdapter(watchdog)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _WatchedAdapter(HTTPAdapter):
    def __init__(self, watchdog: Watchdog) -> None:
        self._pools = _pool_classes(watchdog)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = self._pools
        return manager


def _pool_classes(watchdog: Watchdog) -> dict[str, type[HTTPConnectionPool]]:
    class WatchedHTTPConnection(HTTPConnection):
        def request(self, *args: Any, **kwargs: Any) -> None:
            watchdog.adopt(self)
            super().request(*args, **kwargs)

    class WatchedHTTPSConnection(HTTPSConnection):
        def request(self, *args: Any, **kwargs: Any) -> None:
            watchdog.adopt(self)
            super().request(*args, **kwargs)

    class WatchedHTTPPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTPConnection

    class WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPSConnection

    return {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}
