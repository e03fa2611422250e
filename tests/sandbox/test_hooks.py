"""The sandbox's deterministic test hooks: hold a request in flight, wait for
an answer, and a fake clock for the injected rate limit."""

from __future__ import annotations

import threading

import pytest
import stripe

from reconciler.sandbox import RunningSandbox

from .helpers import error_of


def test_a_held_request_waits_until_released_and_others_pass(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    sandbox.hold("/v1/customers", method="POST", params={"name": "Held"})
    created: list[str] = []
    thread = threading.Thread(target=lambda: created.append(stripe_client.v1.customers.create({"name": "Held"}).id))
    thread.start()
    sandbox.wait_held()
    other = stripe_client.v1.customers.create({"name": "Free"})  # does not match: not held
    assert created == [] and [c.id for c in stripe_client.v1.customers.list().data] == [other.id]
    sandbox.release()
    thread.join()
    assert len(created) == 1


def test_holding_times_then_letting_by(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    sandbox.hold("/v1/products", method="POST", times=1)
    thread = threading.Thread(target=lambda: stripe_client.v1.products.create({"name": "First"}))
    thread.start()
    sandbox.wait_held()
    stripe_client.v1.products.create({"name": "Second"})  # the hold is spent
    sandbox.release()
    thread.join()
    assert sorted(p.name for p in stripe_client.v1.products.list().data) == ["First", "Second"]


def test_wait_held_and_wait_for_status_fail_when_nothing_comes(sandbox: RunningSandbox) -> None:
    sandbox.hold("/v1/products")
    with pytest.raises(TimeoutError, match="1 request"):
        sandbox.wait_held(timeout=0.01)
    with pytest.raises(TimeoutError, match="status 409"):
        sandbox.wait_for_status(409, timeout=0.01)
    sandbox.reset()  # releases and forgets holds


def test_wait_for_status_returns_once_answered(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve("cus_nope")
    sandbox.wait_for_status(404)


def test_the_rate_limit_window_runs_on_the_fault_clock(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    now = [0.0]
    sandbox.set_fault_clock(lambda: now[0])
    sandbox.set_faults(rate_limit_rps=2)
    stripe_client.v1.customers.list()
    stripe_client.v1.customers.list()
    with pytest.raises(stripe.RateLimitError) as caught:
        stripe_client.v1.customers.list()
    assert error_of(caught.value)["code"] == "rate_limit"
    now[0] = 1.0  # a second later, on that clock alone
    stripe_client.v1.customers.list()
