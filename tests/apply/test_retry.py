from __future__ import annotations

import random

from reconciler.apply.errors import RetriesExhausted
from reconciler.gateway.errors import InvalidRequest, NetworkFailure, RateLimited, ServerError
from reconciler.gateway.pacing import Pacer, call_paced
from reconciler.gateway.retry import RetryPolicy, backoff_ceiling, backoff_delay

from .helpers import FakeClock


def test_backoff_ceiling_doubles_then_caps() -> None:
    ceilings = [backoff_ceiling(n, base=0.5, cap=5.0) for n in range(1, 7)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_full_jitter_stays_within_zero_and_the_ceiling() -> None:
    rng = random.Random(7)
    for attempt in range(1, 8):
        ceiling = backoff_ceiling(attempt, base=0.5, cap=8.0)
        delays = [backoff_delay(attempt, base=0.5, cap=8.0, rng=rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not a fixed delay


def _run(fn, *, max_attempts: int = 4):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    retries: list[tuple[int, float, str]] = []
    pacer = Pacer(1000.0, ceiling=8, clock=clock, sleep=clock.sleep)
    try:
        value = call_paced(
            fn,
            policy=RetryPolicy(max_attempts=max_attempts, base=1.0, cap=30.0, rng=random.Random(1), sleep=clock.sleep),
            pacer=pacer,
            on_retry=lambda n, d, e: retries.append((n, d, str(e))),
        )
    except Exception as exc:  # noqa: BLE001
        return exc, retries
    return value, retries


def test_retryable_errors_are_retried_until_success() -> None:
    errors = [RateLimited(), ServerError(500, "boom"), NetworkFailure("api.stripe.com", "connection reset")]

    def flaky() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    value, retries = _run(flaky)
    assert value == "ok"
    assert [n for n, _, _ in retries] == [1, 2, 3]
    assert retries[0][2] == "rate limited by Stripe (429): too many requests"
    assert all(0 <= d <= 2 ** (n - 1) for n, d, _ in retries)


def test_gives_up_after_max_attempts_with_a_clear_message() -> None:
    calls = []

    def always_500() -> str:
        calls.append(1)
        raise ServerError(503, "unavailable")

    error, retries = _run(always_500, max_attempts=3)
    assert isinstance(error, RetriesExhausted)
    assert str(error) == "Stripe server error (503): unavailable (gave up after 3 attempts)"
    assert len(calls) == 3 and len(retries) == 2


def test_non_retryable_errors_fail_at_once() -> None:
    calls = []

    def bad() -> str:
        calls.append(1)
        raise InvalidRequest(400, "No such price", code="resource_missing")

    error, retries = _run(bad)
    assert isinstance(error, InvalidRequest)
    assert calls == [1] and retries == []


def test_stripe_should_retry_false_is_honoured() -> None:
    # The gateway sets retryable=False when Stripe-Should-Retry says so, even on a 5xx.
    calls = []

    def refused() -> str:
        calls.append(1)
        raise ServerError(500, "do not retry", retryable=False)

    error, _ = _run(refused)
    assert isinstance(error, ServerError) and calls == [1]
