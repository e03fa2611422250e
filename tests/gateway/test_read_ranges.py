"""Reading long lists in `created` ranges, concurrently and through the pacer.

The cutting rules on plain data (reconciler.gateway.ranges), then whole reads
against a sandbox whose clock spreads the objects over time."""

from __future__ import annotations

import math
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import InvalidRequest
from reconciler.gateway.pacing import PACE, Pacer
from reconciler.gateway.pages import ListRead, Page, read_lists
from reconciler.gateway.ranges import GALLOP, MAX_RANGES, MIN_SPAN, SPLIT_AFTER_PAGES, CreatedRanges, Range
from reconciler.gateway.read import read_live
from reconciler.kinds import KINDS
from reconciler.ownership import OWNER_KEY
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox, start_sandbox
from tests.apply.helpers import FakeClock

# -- where to cut, on plain data ------------------------------------------------


def _page(ranges: CreatedRanges, r: Range, created: list[int], *, more: bool = True) -> None:
    ranges.advance(r, last_id=f"obj_{created[-1]}" if created else None, has_more=more, created=created)


def test_a_range_asks_for_its_filter_and_cursor() -> None:
    assert Range(None, None).params() == {}
    r = Range(100, 200, cursor="cus_9")
    assert r.params() == {"created": {"gte": 100, "lt": 200}, "starting_after": "cus_9"}
    assert Range(None, 50).params() == {"created": {"lt": 50}}
    # Newest range first, whatever order they are made in.
    assert sorted([Range(0, 10), Range(None, None), Range(10, 20)], key=lambda x: x.order)[0].hi is None


def test_objects_made_within_a_few_seconds_stay_one_stream() -> None:
    ranges = CreatedRanges()
    r = ranges.first
    _page(ranges, r, [1000 + MIN_SPAN - 1 - i // 20 for i in range(100)])  # 100 objects in under MIN_SPAN s
    assert ranges.split(r, room=8) == []
    assert r.params() == {"starting_after": f"obj_{r.last}"}


def test_a_long_list_made_within_seconds_is_cut_after_a_few_pages() -> None:
    ranges = CreatedRanges()
    r = ranges.first
    for _ in range(SPLIT_AFTER_PAGES):
        assert ranges.split(r, room=8) == []
        _page(ranges, r, [5000] * 100)  # a bulk import: all within one second
    (tail,) = ranges.split(r, room=8)
    # The range keeps the rest of its second (after its cursor), the new one all before.
    assert (r.lo, r.params()["starting_after"], tail.lo, tail.hi) == (5000, "obj_5000", None, 5000)


def test_an_open_range_gallops_into_the_past() -> None:
    ranges = CreatedRanges()
    r = ranges.first
    _page(ranges, r, list(range(10_000, 9_900, -1)))  # one object a second: span 99 s
    (tail,) = ranges.split(r, room=8)
    cut = 9_901 - (GALLOP - 1) * 99
    assert (r.lo, r.hi, tail.lo, tail.hi) == (cut, None, None, cut)
    assert r.params() == {"created": {"gte": cut}, "starting_after": "obj_9901"}
    assert tail.prior == pytest.approx(100 / 100)
    # The new open range gallops on from what the list has covered so far.
    _page(ranges, tail, list(range(cut - 1, cut - 101, -1)))
    (tail2,) = ranges.split(tail, room=8)
    assert tail2.hi == tail.lo == (cut - 100) - (GALLOP - 1) * (10_000 - (cut - 100))


def test_closed_ranges_are_balanced_once_the_oldest_object_is_found() -> None:
    ranges = CreatedRanges()
    r = ranges.first
    _page(ranges, r, list(range(100_000, 99_900, -1)))
    (tail,) = ranges.split(r, room=8)
    assert ranges.split(r, room=8) == []  # the tail is still open: wait for it
    _page(ranges, tail, [10, 5], more=False)  # found the oldest
    assert ranges.split(r, room=8) == []  # ~2 pages left at its density: not worth a cut
    r.lo = 99_901 - 1000  # (as if the gallop had cut further back) ~10 pages left
    parts = ranges.split(r, room=3)
    assert len(parts) == 3 and len(ranges.ranges) == 5
    bounds = sorted([(x.lo, x.hi) for x in [r, *parts]], key=lambda b: b[0] or 0)
    # Equal widths, contiguous, r keeping the newest part (where its cursor is).
    assert [hi for _, hi in bounds[:-1]] == [lo for lo, _ in bounds[1:]]
    assert bounds[-1] == (r.lo, None) and r.cursor == "obj_99901"


def test_a_list_never_has_more_than_max_ranges() -> None:
    ranges = CreatedRanges()
    r = ranges.first
    _page(ranges, r, list(range(1_000_000, 999_900, -1)))
    tail = ranges.split(r, room=64)[0]
    _page(ranges, tail, [5], more=False)
    r.lo = 0  # a closed range of ~10,000 pages at its density
    ranges.split(r, room=64)
    assert len(ranges.ranges) == MAX_RANGES
    assert all(ranges.split(x, room=64) == [] for x in ranges.ranges)


def test_no_room_no_cut() -> None:
    ranges = CreatedRanges()
    r = ranges.first
    _page(ranges, r, list(range(10_000, 9_900, -1)))
    assert ranges.split(r, room=0) == []


# -- whole reads, against a sandbox with a clock that moves -----------------------


class Spread:
    """The sandbox's clock: each object `step` seconds (alternately 0 and 2*step: ties) after the last."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.calls = 0

    def __call__(self) -> float:
        return self.now

    def tick(self, step: int) -> None:
        self.calls += 1
        self.now += 0 if self.calls % 2 else 2 * step


@pytest.fixture(scope="module")
def spread_account() -> Iterator[tuple[RunningSandbox, int, int]]:
    """450 customers over ~7.5 h and 330 invoices over ~5.5 h, seeded straight into the app."""
    clock = Spread()
    customers, invoices = 450, 330
    with start_sandbox(clock=clock, deliver_webhooks=False) as running:
        headers = {"authorization": f"Bearer {SANDBOX_API_KEY}"}

        def post(path: str, fields: dict[str, str]) -> str:
            reply = running.app.handle("POST", path, "", headers, urlencode(fields).encode())
            assert reply.status == 200, reply.body
            return str(reply.body["id"])

        ids = []
        for n in range(customers):
            clock.tick(60)
            ids.append(post("/v1/customers", {"name": f"C {n}", f"metadata[{OWNER_KEY}]": f"c-{n:03d}"}))
        for n in range(invoices):
            clock.tick(60)
            post("/v1/invoices", {"customer": ids[n], "collection_method": "send_invoice", "days_until_due": "30",
                                  "auto_advance": "false", f"metadata[{OWNER_KEY}]": f"i-{n:03d}"})  # fmt: skip
        yield running, customers, invoices


def test_a_long_list_is_read_in_ranges_each_object_once(spread_account: tuple[RunningSandbox, int, int]) -> None:
    running, customers, invoices = spread_account
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=running.url)
    seen: dict[str, list[str]] = {"/v1/customers": [], "/v1/invoices": []}
    ranges: dict[str, set[float]] = {"/v1/customers": set(), "/v1/invoices": set()}

    def page(p: Page) -> list[ListRead]:
        seen[p.read.path] += [obj["id"] for obj in p.objects]
        ranges[p.read.path].add(p.position[0])
        return []

    reads = [ListRead("/v1/invoices"), ListRead("/v1/customers")]
    read_lists(gateway, reads, pacer=Pacer(None, ceiling=16, clock=FakeClock(), sleep=lambda s: None), on_page=page)

    assert len(seen["/v1/customers"]) == len(set(seen["/v1/customers"])) == customers
    assert len(seen["/v1/invoices"]) == len(set(seen["/v1/invoices"])) == invoices
    assert len(ranges["/v1/customers"]) > 1 and len(ranges["/v1/invoices"]) > 1
    counts = gateway.request_counts
    for path, n in (("/v1/customers", customers), ("/v1/invoices", invoices)):
        assert math.ceil(n / 100) < counts[f"GET {path}"] <= math.ceil(n / 100) + MAX_RANGES - 1


def test_read_live_in_ranges_is_the_same_state_as_one_page_at_a_time(
    spread_account: tuple[RunningSandbox, int, int],
) -> None:
    running, customers, invoices = spread_account
    concurrent = read_live(StripeGateway(SANDBOX_API_KEY, api_base=running.url))
    # A window of one: the sequential read, one page after the other.
    clock = FakeClock()
    sequential_gateway = StripeGateway(SANDBOX_API_KEY, api_base=running.url)
    sequential = read_live(sequential_gateway, pacer=Pacer(1000.0, ceiling=1, clock=clock, sleep=clock.sleep))
    assert concurrent == sequential
    assert (len(concurrent.customers), len(concurrent.invoices)) == (customers, invoices)
    # One call each for the kinds with nothing to page (products, prices, tax rates, coupons).
    assert sequential_gateway.total_requests == len(KINDS) - 2 + math.ceil(customers / 100) + math.ceil(invoices / 100)


def test_every_read_takes_a_token_from_the_rate_limit(spread_account: tuple[RunningSandbox, int, int]) -> None:
    running, _, _ = spread_account
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=running.url)
    clock = FakeClock()  # no time passes but the limiter's: each round trip takes 0 s
    read_live(gateway, pacer=Pacer(10.0, ceiling=16, clock=clock, sleep=clock.sleep))
    # The first token is free, then one each 0.1 s (paced a hair below): nothing was sent faster than 10 a second.
    assert clock.now == pytest.approx((gateway.total_requests - 1) / (10 * PACE))


def test_a_failing_list_stops_the_whole_read(gateway: StripeGateway, sandbox: RunningSandbox) -> None:
    sandbox.set_faults(fail_routes=[{"method": "GET", "path_prefix": "/v1/customers", "status": 400,
                                     "code": "parameter_invalid_empty"}])  # fmt: skip
    with pytest.raises(InvalidRequest) as caught:
        read_live(gateway)
    assert caught.value.http_status == 400
    assert gateway.total_requests <= len(KINDS)  # one list call per kind at most; nothing retried
