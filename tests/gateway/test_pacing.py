from __future__ import annotations

import math
import random
import threading

import pytest

from reconciler.gateway.errors import RateLimited
from reconciler.gateway.pacing import (
    HEADROOM,
    PACE,
    REQUEST_HEADROOM,
    REQUEST_SPARE,
    WINDOW_SHARE,
    Pacer,
    TokenBucket,
    call_paced,
)
from reconciler.gateway.pool import PacedPool
from reconciler.gateway.retry import RetryPolicy
from tests.apply.helpers import FakeClock


def test_first_token_is_free_then_one_per_interval() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits[0] == 0.0
    assert waits[1:] == pytest.approx([0.1, 0.1, 0.1, 0.1])
    assert clock.now == pytest.approx(0.4)


def test_average_rate_over_many_acquisitions_is_the_limit() -> None:
    clock = FakeClock()
    bucket = TokenBucket(20.0, clock=clock, sleep=clock.sleep)
    for _ in range(201):
        bucket.acquire()
    # 201 tokens: the first immediately, then 200 at 20/s = 10 s.
    assert clock.now == pytest.approx(10.0)


def test_idle_time_refills_only_up_to_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5.0, capacity=2.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    clock.now += 100.0  # idle for a long time: no burst beyond capacity
    assert [bucket.acquire(), bucket.acquire()] == [0.0, 0.0]
    assert bucket.acquire() == pytest.approx(0.2)


def test_concurrent_waiters_reserve_distinct_slots() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, clock=lambda: 0.0, sleep=clock.sleep)  # time frozen: pure reservations
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        w = bucket.acquire()
        with lock:
            waits.append(w)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])


def test_rate_must_be_positive() -> None:
    clock = FakeClock()
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(0, clock=clock, sleep=clock.sleep)


def test_a_new_rate_applies_from_the_next_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.set_rate(10.0)
    assert bucket.acquire() == pytest.approx(0.1)
    with pytest.raises(ValueError, match="rate must be positive"):
        bucket.set_rate(0)


def test_a_429_slows_the_shared_bucket_for_all_workers() -> None:
    clock = FakeClock()
    pacer = Pacer(1000.0, ceiling=8, clock=clock, sleep=clock.sleep)
    answers: list[Exception | str] = [RateLimited(), "ok"]

    def once() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    # The retrying worker's own backoff sleep is recorded apart from the bucket's.
    own_sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=3, base=0.5, sleep=own_sleeps.append, rng=random.Random(1))
    assert call_paced(once, policy=policy, pacer=pacer) == "ok"
    assert len(own_sleeps) == 1 and 0 <= own_sleeps[0] <= 0.5  # the refused request backed off
    # Every worker now gets tokens at a sixth less than the limit (plus what one answer won back).
    assert pacer.rate == pytest.approx(1000 * 5 / 6 + 0.25)
    assert pacer.bucket is not None
    pacer.bucket.acquire()
    assert pacer.bucket.acquire() == pytest.approx(1 / (pacer.rate * PACE))  # the bucket paces just below


# -- the window of requests in flight -------------------------------------------


class Ticks:
    """A clock whose every reading is `step` seconds after the last: each
    request's round trip then lasts `step` (the pacer reads it twice)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _window(rate: float, pacer: Pacer) -> int:
    """Little's law with the pacer's headroom, plus one (within its ceiling)."""
    assert pacer.rtt is not None
    return min(pacer.ceiling, math.ceil(rate * pacer.rtt * HEADROOM) + 1)


def _answered(pacer: Pacer, times: int = 1) -> None:
    for _ in range(times):
        pacer.call(lambda: "ok")


def test_the_window_opens_at_one_request_until_an_answer_comes() -> None:
    clock = Ticks(0.1)
    pacer = Pacer(100.0, ceiling=64, clock=clock, sleep=clock.sleep)
    assert (pacer.window, pacer.rtt) == (1, None)
    _answered(pacer)
    assert pacer.rtt == pytest.approx(0.1)
    # Little's law: 100 req/s x 0.1 s = 10 in flight, with half as much again for headroom, plus one.
    assert HEADROOM == 1.5 and pacer.window == _window(100, pacer) == 16


@pytest.mark.parametrize(("rate", "rtt", "window"), [(25, 0.1, 5), (100, 0.29, 45), (100, 0.5, 64), (100, 2.0, 64), (20, 0.002, 2)])
def test_the_window_is_rate_times_round_trip_within_the_ceiling(rate: float, rtt: float, window: int) -> None:
    clock = Ticks(rtt)
    pacer = Pacer(rate, ceiling=64, clock=clock, sleep=clock.sleep)
    _answered(pacer)
    assert pacer.window == window


def test_without_a_rate_limit_the_window_is_the_ceiling_once_answered() -> None:
    clock = Ticks(0.001)
    pacer = Pacer(None, ceiling=8, clock=clock, sleep=clock.sleep)
    assert pacer.window == 1 and pacer.bucket is None
    _answered(pacer)
    assert pacer.window == 8


def test_a_429_cuts_the_rate_and_the_window_and_answers_win_them_back() -> None:
    clock = Ticks(0.3)
    pacer = Pacer(100.0, ceiling=64, clock=clock, sleep=clock.sleep)
    _answered(pacer)
    assert (pacer.rate, pacer.window) == (100.0, _window(100, pacer))
    with pytest.raises(RateLimited):
        pacer.call(lambda: (_ for _ in ()).throw(RateLimited()))
    assert pacer.rate == pytest.approx(100 * 5 / 6)
    assert pacer.window == _window(100 * 5 / 6, pacer) < _window(100, pacer)
    _answered(pacer, 40)  # each answer wins back 0.25 req/s: 10 req/s for 40 answers
    assert pacer.rate == pytest.approx(100 * 5 / 6 + 10)
    _answered(pacer, 20)  # up to just below the rate refused...
    assert pacer.rate == pytest.approx(97.0, abs=0.3)
    _answered(pacer, 600)  # ...then only creeping: 1/600 req/s an answer
    assert 97.5 < pacer.rate < 99.0
    _answered(pacer, 2000)
    assert (pacer.rate, pacer.window) == (100.0, _window(100, pacer))  # never past the limit


def test_a_429_at_a_lower_rate_lowers_what_was_learnt() -> None:
    clock = Ticks(0.3)
    pacer = Pacer(100.0, ceiling=64, clock=clock, sleep=clock.sleep)
    _answered(pacer)
    for _ in range(2):  # a round trip apart: the account refuses 83 req/s too
        with pytest.raises(RateLimited):
            pacer.call(lambda: (_ for _ in ()).throw(RateLimited()))
    assert pacer.rate == pytest.approx(100 * (5 / 6) ** 2)
    _answered(pacer, 60)
    assert pacer.rate == pytest.approx(100 * 5 / 6 * 0.97, abs=0.3)


def test_a_storm_of_429s_slows_down_to_one_request_a_second_at_most() -> None:
    clock = Ticks(0.01)
    pacer = Pacer(50.0, ceiling=64, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        with pytest.raises(RateLimited):
            pacer.call(lambda: (_ for _ in ()).throw(RateLimited()))
    assert pacer.rate == 1.0


def test_without_a_limit_a_429_sets_one_from_what_was_in_flight() -> None:
    clock = Ticks(0.1)
    pacer = Pacer(None, ceiling=8, clock=clock, sleep=clock.sleep)
    _answered(pacer)
    assert (pacer.rate, pacer.window) == (None, 8)
    with pytest.raises(RateLimited):
        pacer.call(lambda: (_ for _ in ()).throw(RateLimited()))
    assert pacer.rate == pytest.approx(8 / 0.1 * 5 / 6)  # 8 in flight every 0.1 s, a sixth less
    assert pacer.bucket is not None and pacer.window == 8  # ceil(66.7 x 0.1 x 1.5) + 1 = 11, capped at 8


def test_a_refused_request_is_a_round_trip_but_a_failed_connection_is_not() -> None:
    from reconciler.gateway.errors import InvalidRequest, NetworkFailure

    clock = Ticks(0.2)
    pacer = Pacer(50.0, ceiling=64, clock=clock, sleep=clock.sleep)
    for error in (NetworkFailure("api.stripe.com", "connection reset"), InvalidRequest(400, "bad", code="x")):

        def fail(error: Exception = error) -> str:
            raise error

        with pytest.raises(type(error)):
            pacer.call(fail)
        if isinstance(error, NetworkFailure):
            assert pacer.rtt is None
    assert pacer.rtt == pytest.approx(0.2)


def test_a_rejected_key_keeps_the_window_at_one_request() -> None:
    # A wrong key's 401 (or a restricted key's 403) must not open the window: the
    # pool would start a burst of requests that can only be refused the same way.
    from reconciler.gateway.errors import AuthenticationFailed, PermissionDenied

    clock = Ticks(0.2)
    pacer = Pacer(None, ceiling=64, clock=clock, sleep=clock.sleep)
    for error in (AuthenticationFailed(), PermissionDenied("no read access")):

        def fail(error: Exception = error) -> str:
            raise error

        with pytest.raises(type(error)):
            pacer.call(fail)
    assert (pacer.rtt, pacer.window) == (None, 1)


def test_listeners_hear_when_the_window_grows() -> None:
    clock = Ticks(0.1)
    pacer = Pacer(100.0, ceiling=64, clock=clock, sleep=clock.sleep)
    heard: list[int] = []
    remove = pacer.on_change(lambda: heard.append(pacer.window))
    _answered(pacer)
    assert heard == [16]
    _answered(pacer)  # the same round trip: no change, no call
    assert heard == [16]
    remove()
    clock.step = 0.2
    _answered(pacer)
    assert heard == [16]


def test_a_paced_pool_runs_at_most_the_window_at_once_and_wakes_when_it_grows() -> None:
    from reconciler.gateway.pool import PacedPool

    clock = Ticks(0.1)
    pacer = Pacer(30.0, ceiling=8, clock=clock, sleep=clock.sleep)
    pool: PacedPool[int] = PacedPool(pacer, name="test")
    release = threading.Event()
    try:
        assert pool.room() == 1
        pool.submit(0, lambda: pacer.call(lambda: "first"))
        done = pool.wait()
        assert [(key, future.result()) for key, future in done] == [(0, "first")]
        window = pacer.window
        assert pool.room() == window == _window(30, pacer) == 6  # ceil(30 x 0.1 x 1.5) + 1
        for n in range(1, window + 1):
            pool.submit(n, release.wait)
        assert pool.room() == 0
        release.set()
        finished: set[int] = set()
        while pool.running:
            finished.update(key for key, _ in pool.wait())
        assert finished == set(range(1, window + 1))
        # A task that opens the window wakes a waiting scheduler though nothing finished.
        gate = threading.Event()
        slow = Pacer(30.0, ceiling=8, clock=clock, sleep=clock.sleep)
        other: PacedPool[str] = PacedPool(slow, name="test")

        def answer_then_block() -> None:
            slow.call(lambda: "ok")
            gate.wait()

        other.submit("task", answer_then_block)
        assert other.wait() == [] and other.room() == window - 1
        gate.set()
        assert [key for key, _ in other.wait()] == ["task"]
        other.shutdown(wait=True)
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_the_429s_of_one_round_trip_cut_the_rate_once() -> None:
    clock = Ticks(0.5)
    pacer = Pacer(100.0, ceiling=64, clock=clock, sleep=clock.sleep)
    _answered(pacer)  # round trip 0.5 s
    clock.step = 0.0  # requests in flight, refused together by an overflowing window

    def refused() -> str:
        raise RateLimited()

    for _ in range(30):  # sent 0.01 s apart by the bucket: all within the round trip
        with pytest.raises(RateLimited):
            pacer.call(refused)
    assert pacer.rate == pytest.approx(100 * 5 / 6)
    clock.now += 0.6  # a round trip later: a new excess, a new cut
    with pytest.raises(RateLimited):
        pacer.call(refused)
    assert pacer.rate == pytest.approx(100 * (5 / 6) ** 2)


# -- the applier's window: requests, not tasks -----------------------------------


def test_the_request_window_is_rate_times_round_trip_with_a_little_headroom() -> None:
    clock = Ticks(0.3)
    pacer = Pacer(100.0, ceiling=96, clock=clock, sleep=clock.sleep)
    assert pacer.request_window == 1  # nothing answered yet
    _answered(pacer)
    assert REQUEST_HEADROOM == 1.2 and REQUEST_SPARE == 2
    assert pacer.request_window == math.ceil(100 * 0.3 * 1.2) + 2 == 38
    assert pacer.busy == 0


def _drained(pool: PacedPool[int]) -> list[int]:
    finished: list[int] = []
    while pool.running:
        finished.extend(key for key, _ in pool.wait())
    return finished


def test_a_task_between_its_requests_holds_no_place_in_a_per_request_pool() -> None:
    clock = Ticks(0.1)
    pacer = Pacer(30.0, ceiling=8, clock=clock, sleep=clock.sleep)
    _answered(pacer)
    window = pacer.request_window
    pool: PacedPool[int] = PacedPool(pacer, name="test", per_request=True)
    asked, gate = threading.Event(), threading.Event()

    def one_request_then_wait() -> None:
        pacer.call(lambda: "ok")
        asked.set()
        gate.wait()  # as the send guard waits for its ledger: no request of its own

    try:
        pool.submit(1, gate.wait)
        assert pacer.busy == 1 and pool.room() == window - 1  # started, not sending yet: its place is kept
        gate.set()
        assert _drained(pool) == [1]
        assert pacer.busy == 0 and pool.room() == window  # it ended without a request: the place is free
        gate.clear()
        pool.submit(2, one_request_then_wait)
        asked.wait(5)
        assert pacer.busy == 0 and pool.room() == window  # running, between requests
        gate.set()
        assert _drained(pool) == [2]  # (woken as its request ended, too)
    finally:
        gate.set()
        pool.shutdown(wait=True)


def test_a_second_of_the_server_never_counts_more_than_the_rate() -> None:
    # The round trip is 0 s here: a request counts when it is sent. Threads
    # woken late by a busy machine send the tokens due meanwhile at once; a
    # bucket letting everything through stands in for them.
    clock = FakeClock()
    pacer = Pacer(10.0, ceiling=8, clock=clock, sleep=clock.sleep)
    assert pacer.bucket is not None
    pacer.bucket.set_rate(1000.0)
    sent: list[float] = []
    for _ in range(30):
        pacer.call(lambda: sent.append(clock.now))
    assert WINDOW_SHARE == 0.99 and PACE == 0.97
    assert max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent) == 10
    assert sent[10] == pytest.approx(sent[0] + 1.0)
