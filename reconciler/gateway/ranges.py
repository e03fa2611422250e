"""How one list is cut into `created` ranges read in parallel (pure: no I/O).

A Stripe list is read newest first, one page of 100 after another: each
page's cursor comes from the page before, so one list is one round trip per
page. Lists filtered by creation time (`created[gte]`, `created[lt]`) are
disjoint, so a long list cut into ranges is read by several streams at once.
Nobody knows in advance how far back a list goes or how its objects spread
over time, so the cut is made while reading:

1. A list starts as one range, open at both ends. It is not cut until its
   pages span MIN_SPAN seconds or it has read SPLIT_AFTER_PAGES full pages
   (`created` counts whole seconds, so objects made within a few seconds are
   hard to tell apart; and small lists stay one stream, one request per 100
   objects).
2. Gallop: while a range open towards the past has more to read, each of its
   pages hands the older part beyond GALLOP times the list's span so far to a
   new open range, so the time covered grows GALLOP-fold per round trip
   until the oldest object is found, and the part before becomes a closed range.
3. Balance: once no range is open any more, a closed range whose estimate
   (its width at the density it has read so far) exceeds the list's fair
   share is cut into equal-time parts.

Both happen only while the window has room (in flight < rate x round trip),
so a rate-limited read is not made to send more requests, and a list never
has more than MAX_RANGES ranges: it costs at most ceil(N/100) + MAX_RANGES - 1
requests (each range ends with one partial or empty page).

The objects a range returns sort by (range.order, page number, position):
that is the list's own order (newest first), whatever order pages arrive in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.stripe_facts import PAGE_SIZE

MAX_RANGES = 12
MIN_SPAN = 10  # seconds
SPLIT_AFTER_PAGES = 3
GALLOP = 3
MIN_PAGES = 2.0  # a part worth cutting off holds at least this many pages


@dataclass
class Range:
    """Objects created in [lo, hi) (None: unbounded), read newest first."""

    lo: int | None
    hi: int | None
    # Sorts ranges in list order: the newest range (highest hi) first.
    order: float = field(init=False)
    cursor: str | None = None  # starting_after: the last object read
    pages: int = 0
    objects: int = 0
    top: int | None = None  # `created` of the first object read
    last: int | None = None  # `created` of the last object read
    prior: float | None = None  # objects per second assumed until it has read some
    done: bool = False

    def __post_init__(self) -> None:
        self.order = -math.inf if self.hi is None else -self.hi

    def params(self) -> dict[str, Any]:
        """The list request's filter and cursor for this range's next page."""
        params: dict[str, Any] = {}
        created = {name: bound for name, bound in (("gte", self.lo), ("lt", self.hi)) if bound is not None}
        if created:
            params["created"] = created
        if self.cursor is not None:
            params["starting_after"] = self.cursor
        return params

    def density(self) -> float | None:
        """Objects per second in what this range has read (else its prior)."""
        if self.objects >= 2 and self.top is not None and self.last is not None and self.top > self.last:
            return self.objects / (self.top - self.last + 1)
        return self.prior

    def pages_left(self) -> float:
        """Estimated pages still to read (infinite while open towards the past)."""
        density = self.density()
        if self.lo is None or density is None:
            return math.inf
        upper = self.last if self.last is not None else (self.hi - 1 if self.hi is not None else None)
        if upper is None:
            return math.inf
        return max(0.0, (upper - self.lo + 1) * density / PAGE_SIZE)


class CreatedRanges:
    """The ranges one list is read in, and where to cut next."""

    def __init__(self, *, max_ranges: int = MAX_RANGES) -> None:
        self.max_ranges = max_ranges
        self.ranges = [Range(None, None)]
        self.newest: int | None = None  # `created` of the list's newest object

    @property
    def first(self) -> Range:
        return self.ranges[0]

    @property
    def complete(self) -> bool:
        return all(r.done for r in self.ranges)

    def advance(self, r: Range, *, last_id: str | None, has_more: bool, created: Sequence[int] | None) -> None:
        """Record a page of `r`: its last object's id and, to cut by, the
        `created` of its objects in list order (None: the list is not cut)."""
        r.pages += 1
        r.cursor = last_id or r.cursor
        r.done = not has_more or last_id is None
        if created:
            r.objects += len(created)
            r.top = created[0] if r.top is None else r.top
            r.last = created[-1]
            if self.newest is None or created[0] > self.newest:
                self.newest = created[0]

    def split(self, r: Range, room: int) -> list[Range]:
        """New ranges cut off `r` (which narrows), at most `room` of them."""
        room = min(room, self.max_ranges - len(self.ranges))
        if room <= 0 or r.done or r.last is None or self.newest is None:
            return []
        if r.lo is None:
            return self._gallop(r)
        if any(x.lo is None and not x.done for x in self.ranges):
            return []  # balance once the oldest object is found: a long list needs the ranges then
        return self._balance(r, room)

    def _gallop(self, r: Range) -> list[Range]:
        assert r.last is not None and self.newest is not None
        span = self.newest - r.last
        if span < MIN_SPAN and r.pages < SPLIT_AFTER_PAGES:
            return []
        cut = r.last - (GALLOP - 1) * span
        r.lo = cut
        return self._add(Range(None, cut, prior=r.density()))

    def _balance(self, r: Range, room: int) -> list[Range]:
        assert r.lo is not None and r.last is not None
        left = r.pages_left()
        closed = [x for x in self.ranges if not x.done and x.lo is not None]
        total = sum(x.pages_left() for x in closed if x.pages_left() < math.inf)
        streams = min(self.max_ranges, len(closed) + room)
        share = max(MIN_PAGES, total / max(1, streams))
        width = r.last - r.lo + 1
        parts = min(room + 1, width, int(left / share + 0.5))
        if parts < 2:
            return []
        # r keeps the newest part (its cursor is there); equal widths below it.
        cuts = [r.last + 1 - (width * j) // parts for j in range(1, parts)]
        lows = [*cuts[1:], r.lo]
        r.lo = cuts[0]
        density = r.density()
        new: list[Range] = []
        for hi, lo in zip(cuts, lows, strict=True):
            new += self._add(Range(lo, hi, prior=density))
        return new

    def _add(self, r: Range) -> list[Range]:
        self.ranges.append(r)
        return [r]
