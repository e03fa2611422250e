"""read_lists: every page of several list endpoints, read concurrently.

The lists are read at once, and a long list in `created` ranges too
(reconciler.gateway.ranges), as many pages in flight as the pacer's window
allows; every request goes through the pacer's rate limit and the gateway's
retry loop. Pages reach the caller's `on_page` in the calling thread, as
they arrive, each with a position that sorts its list's pages in the list's
own order (newest first); `on_page` may ask for more lists (an invoice's
lines), and `on_done` hears when a list is complete. Each page is fetched by
`fetch` (path, params) -> Reply: by default one GET through the pacer with
the gateway's retry loop; a caller with its own (the applier) passes one.

The first failure stops the read: nothing new starts, pages in flight are
dropped, retries still waiting give up, and the error of the first list
that failed (in the order the lists were given) is raised.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from reconciler.gateway.client import Reply, StripeGateway, list_data
from reconciler.gateway.pacing import Pacer
from reconciler.gateway.pool import PacedPool
from reconciler.gateway.ranges import CreatedRanges, Range
from reconciler.gateway.retry import RetryPolicy
from reconciler.stripe_facts import PAGE_SIZE

Obj = dict[str, Any]


@dataclass(frozen=True, eq=False)
class ListRead:
    """One list endpoint to read to its end; `tag` is the caller's to tell reads apart."""

    path: str
    tag: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)
    # Cut into `created` ranges when long (top-level lists; not an invoice's lines).
    split: bool = True
    # Its pages count in the gateway's progress report (`on_page`) of the live-state read.
    progress: bool = True


@dataclass(frozen=True)
class Page:
    read: ListRead
    objects: list[Obj]
    # Sorts the pages of one list in the list's order (range, then page number).
    position: tuple[float, int]
    server_time: int | None = None  # the answer's Date


PageHandler = Callable[[Page], Iterable[ListRead]]
Fetch = Callable[[str, dict[str, Any]], Reply]


class ReadStopped(Exception):
    """A read was abandoned because another failed (never reaches the caller)."""


def read_lists(
    gateway: StripeGateway,
    reads: Iterable[ListRead],
    *,
    pacer: Pacer,
    on_page: PageHandler,
    on_done: Callable[[ListRead], None] = lambda read: None,
    fetch: Fetch | None = None,
) -> None:
    """Read every page of `reads` (and of the reads `on_page` asks for)."""
    _Reading(gateway, pacer, on_page, on_done, fetch).run(reads)


@dataclass(eq=False)
class _List:
    read: ListRead
    ranges: CreatedRanges
    splittable: bool
    rank: int  # in the order the lists were started


class _Reading:
    def __init__(
        self,
        gateway: StripeGateway,
        pacer: Pacer,
        on_page: PageHandler,
        on_done: Callable[[ListRead], None],
        fetch: Fetch | None,
    ) -> None:
        self.gateway = gateway
        self.pacer = pacer
        self.on_page = on_page
        self.on_done = on_done
        self.stop = threading.Event()
        policy = _stoppable(gateway.retry_policy, self.stop)
        self.fetch = fetch or (lambda path, params: gateway.exchange("GET", path, params, pacer=pacer, policy=policy))
        self.queue: deque[tuple[_List, Range]] = deque()
        self.started = 0

    def run(self, reads: Iterable[ListRead]) -> None:
        for read in reads:
            self._start(read)
        pool: PacedPool[tuple[_List, Range]] = PacedPool(self.pacer, name="read")
        failures: list[tuple[int, BaseException]] = []
        try:
            while (self.queue and not failures) or pool.running:
                while self.queue and not failures and pool.room() > 0:
                    listing, r = self.queue.popleft()
                    pool.submit((listing, r), partial(self._fetch, listing, r))
                for (listing, r), future in pool.wait():
                    try:
                        # (after a failure too: what else failed decides which error is told)
                        self._arrived(listing, r, future.result(), pool)
                    except Exception as exc:  # noqa: BLE001 - the read stops, and says why below
                        self.stop.set()
                        if not isinstance(exc, ReadStopped):
                            failures.append((listing.rank, exc))
        except BaseException:
            self.stop.set()
            raise
        finally:
            pool.shutdown(wait=True)
        if failures:
            # Several lists may fail at once (a server answering nonsense to all):
            # the first list's error, whatever answered first.
            raise min(failures, key=lambda failure: failure[0])[1]

    def _start(self, read: ListRead) -> None:
        listing = _List(read, CreatedRanges(), splittable=read.split, rank=self.started)
        self.started += 1
        self.queue.append((listing, listing.ranges.first))

    def _fetch(self, listing: _List, r: Range) -> Reply:
        if self.stop.is_set():
            raise ReadStopped()
        return self.fetch(listing.read.path, {**listing.read.params, **r.params(), "limit": PAGE_SIZE})

    def _arrived(self, listing: _List, r: Range, reply: Reply, pool: PacedPool[tuple[_List, Range]]) -> None:
        answer = reply.data
        objects = list_data(answer, host=self.gateway.host, request=f"GET {listing.read.path}")
        has_more = bool(answer["has_more"])
        if self.gateway.on_page is not None and listing.read.progress:
            self.gateway.on_page(listing.read.path, len(objects))  # progress (on stderr)
        created: list[int] | None = None
        if listing.splittable:
            created = [obj.get("created") for obj in objects]  # type: ignore[misc]
            if not all(type(c) is int for c in created):
                listing.splittable, created = False, None  # nothing to cut by
        position = (r.order, r.pages)
        last_id = str(objects[-1]["id"]) if objects else None
        listing.ranges.advance(r, last_id=last_id, has_more=has_more, created=created)
        for read in self.on_page(Page(listing.read, objects, position, reply.server_time)):
            self._start(read)
        if not r.done:
            self.queue.append((listing, r))
            if listing.splittable:
                room = pool.room() - len(self.queue)
                self.queue.extend((listing, new) for new in listing.ranges.split(r, room))
        elif listing.ranges.complete:
            self.on_done(listing.read)


def _stoppable(policy: RetryPolicy, stop: threading.Event) -> RetryPolicy:
    """`policy` whose backoff sleeps end (raising ReadStopped) once the read stops."""
    sleep = policy.sleep

    def sleep_unless_stopped(seconds: float) -> None:
        if sleep is time.sleep:
            stop.wait(seconds)
        else:
            sleep(seconds)  # an injected sleep (tests): it does not wait anyway
        if stop.is_set():
            raise ReadStopped()

    return dataclasses.replace(policy, sleep=sleep_unless_stopped)
