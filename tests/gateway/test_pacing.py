from __future__ import annotations

import threading

import pytest

from reconciler.gateway.errors import RateLimited
from reconciler.gateway.pacing import Pacer, TokenBucket, call_paced
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


def test_pause_holds_every_taker_back_for_the_pause() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.pause(2.0)
    assert bucket.acquire() == pytest.approx(2.0)
    assert bucket.acquire() == pytest.approx(0.01)  # then the normal rate again


def test_a_429_pauses_the_shared_bucket_for_all_workers() -> None:
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
    policy = RetryPolicy(max_attempts=3, base=0.5, sleep=own_sleeps.append)
    assert call_paced(once, policy=policy, pacer=pacer) == "ok"
    assert clock.sleeps == [pytest.approx(0.5)]  # the retry's token waited out the pause
    assert pacer.bucket is not None
    assert pacer.bucket.acquire() == pytest.approx(0.001)  # another worker: the pause is over, normal rate
