"""List semantics and idempotency keys, through the real SDK."""

from __future__ import annotations

import threading

import pytest
import stripe

from reconciler.sandbox import RunningSandbox

from .helpers import error_of


def test_lists_newest_first_with_both_cursors(stripe_client: stripe.StripeClient) -> None:
    ids = [stripe_client.v1.products.create({"name": f"p{i}"}).id for i in range(5)]
    first = stripe_client.v1.products.list({"limit": 2})
    assert [p.id for p in first.data] == [ids[4], ids[3]] and first.has_more is True
    second = stripe_client.v1.products.list({"limit": 2, "starting_after": ids[3]})
    assert [p.id for p in second.data] == [ids[2], ids[1]]
    back = stripe_client.v1.products.list({"limit": 2, "ending_before": ids[1]})
    assert [p.id for p in back.data] == [ids[3], ids[2]] and back.has_more is True
    assert [p.id for p in stripe_client.v1.products.list({"limit": 2}).auto_paging_iter()] == ids[::-1]


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_out_of_range(stripe_client: stripe.StripeClient, limit: int) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.list({"limit": limit})
    assert error_of(caught.value)["param"] == "limit"
    assert caught.value.http_status == 400


def test_replay_returns_first_response(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    first = stripe_client.v1.customers.create({"name": "A"}, {"idempotency_key": "key-1"})
    again = stripe_client.v1.customers.create({"name": "A"}, {"idempotency_key": "key-1"})
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(stripe_client.v1.customers.list().data) == 1


def test_same_key_other_params_is_idempotency_error(stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.customers.create({"name": "A"}, {"idempotency_key": "key-2"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.customers.create({"name": "B"}, {"idempotency_key": "key-2"})
    assert caught.value.http_status == 400
    assert error_of(caught.value)["type"] == "idempotency_error"


def test_failed_request_is_replayed_as_failure(stripe_client: stripe.StripeClient) -> None:
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.invoices.create({"customer": "cus_x"}, {"idempotency_key": "key-3"})
        assert caught.value.http_status == 404


def test_concurrent_same_key_creates_one_object(sandbox: RunningSandbox) -> None:
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def create() -> None:
        client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": sandbox.url})
        barrier.wait()
        customer = client.v1.customers.create({"name": "Racer"}, {"idempotency_key": "same-key"})
        with lock:
            results.append(customer.id)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert sandbox.stats()["by_route"]["POST /v1/customers"] == 8
    with sandbox.app.store.transaction() as tx:
        assert tx.count("customer") == 1
