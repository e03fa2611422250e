"""List semantics and idempotency keys, through the real SDK."""

from __future__ import annotations

import threading

import pytest
import stripe
from sdk_client import sdk_client

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
        assert caught.value.http_status == 400


def test_same_key_while_the_first_is_in_flight_is_409_key_in_use_then_replays(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    """Stripe does not queue a same-key request behind the one in flight: it
    refuses it with 409 and saves nothing, so a later retry gets the replay."""
    first: list[stripe.Customer] = []
    params = {"name": "Racer"}
    # Holding the store keeps the first request in flight (it has claimed its key).
    with sandbox.app.store.transaction():
        thread = threading.Thread(
            target=lambda: first.append(stripe_client.v1.customers.create(params, {"idempotency_key": "same-key"}))
        )
        thread.start()
        assert sandbox.app.in_flight.wait_claimed("same-key", timeout=10)
        with pytest.raises(stripe.APIError) as caught:
            stripe_client.v1.customers.create(params, {"idempotency_key": "same-key"})
    thread.join(timeout=10)
    assert caught.value.http_status == 409
    assert error_of(caught.value) == {
        "type": "idempotency_error",
        "code": "idempotency_key_in_use",
        "message": "There is currently another in-progress request using this Idempotent Key (that probably "
        "means you submitted twice, and the other request is still going through): same-key. "
        "Please try again later.",
    }
    replay = stripe_client.v1.customers.create(params, {"idempotency_key": "same-key"})
    assert len(first) == 1 and replay.id == first[0].id
    keyed = [(k["status"], k["replayed"]) for k in sandbox.stats()["idempotency_keys"]]
    assert keyed == [(409, False), (200, False), (200, True)]
    with sandbox.app.store.transaction() as tx:
        assert tx.count("customer") == 1


def test_concurrent_same_key_creates_one_object_and_refuses_the_overlap(sandbox: RunningSandbox) -> None:
    sandbox.hold("/v1/customers", method="POST")  # the first one stays in flight until released
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def create() -> None:
        client = sdk_client(sandbox.url, api_key="sk_test_sandbox")
        try:
            answer = (200, client.v1.customers.create({"name": "Racer"}, {"idempotency_key": "same-key"}).id)
        except stripe.APIError as exc:
            answer = (exc.http_status or 0, error_of(exc).get("code", ""))
        with lock:
            answers.append(answer)

    first = threading.Thread(target=create)
    first.start()
    sandbox.wait_held()
    others = [threading.Thread(target=create) for _ in range(7)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join()
    sandbox.release()
    first.join()
    created = {value for status, value in answers if status == 200}
    refused = [value for status, value in answers if status != 200]
    assert len(answers) == 8 and len(created) == 1
    assert refused == ["idempotency_key_in_use"] * 7
    assert answers[-1][0] == 200  # the held one, answered last
    assert sandbox.stats()["by_status"]["409"] == 7
    with sandbox.app.store.transaction() as tx:
        assert tx.count("customer") == 1
