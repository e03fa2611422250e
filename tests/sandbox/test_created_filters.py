"""`created` filters on every list endpoint the reader uses, alone and with a
cursor: what reading a long list in created ranges relies on. The sandbox's
clock is set by the test, so objects get the timestamps they need."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox, start_sandbox

from .helpers import StillClock


@pytest.fixture(scope="module")
def clocked() -> Iterator[tuple[RunningSandbox, StillClock]]:
    clock = StillClock()
    with start_sandbox(clock=clock, deliver_webhooks=False) as running:
        yield running, clock


@pytest.fixture
def client(clocked: tuple[RunningSandbox, StillClock]) -> stripe.StripeClient:
    clocked[0].reset()
    return sdk_client(clocked[0].url)


Maker = Callable[[stripe.StripeClient], Any]


def _product(client: stripe.StripeClient) -> Any:
    return client.v1.products.create({"name": "Gold"})


def _price(client: stripe.StripeClient) -> Any:
    product = client.v1.products.list({"limit": 1}).data or [_product(client)]
    return client.v1.prices.create({"product": product[0].id, "unit_amount": 100, "currency": "usd"})


def _customer(client: stripe.StripeClient) -> Any:
    return client.v1.customers.create({"name": "Jenny"})


def _invoice(client: stripe.StripeClient) -> Any:
    customer = client.v1.customers.list({"limit": 1}).data or [_customer(client)]
    return client.v1.invoices.create({"customer": customer[0].id, "collection_method": "send_invoice", "days_until_due": 30})


KINDS: dict[str, tuple[Maker, str]] = {
    "products": (_product, "/v1/products"),
    "prices": (_price, "/v1/prices"),
    "customers": (_customer, "/v1/customers"),
    "invoices": (_invoice, "/v1/invoices"),
}
BASE = 1_700_000_000


def _made_at(client: stripe.StripeClient, clock: StillClock, make: Maker, offsets: list[int]) -> list[str]:
    ids = []
    for offset in offsets:
        clock.now = BASE + offset
        ids.append(make(client).id)
    return ids


def _list(client: stripe.StripeClient, path: str, **params: Any) -> list[str]:
    answer = client.raw_request("get", path, **params)
    return [obj["id"] for obj in client.deserialize(answer, api_mode="V1").data]


@pytest.mark.parametrize("kind", list(KINDS))
def test_created_ranges_are_half_open_and_listed_newest_first(
    kind: str, client: stripe.StripeClient, clocked: tuple[RunningSandbox, StillClock]
) -> None:
    make, path = KINDS[kind]
    a, b, c, d, e = _made_at(client, clocked[1], make, [0, 10, 10, 20, 30])
    assert _list(client, path, created={"gte": BASE + 10, "lt": BASE + 30}) == [d, c, b]
    assert _list(client, path, created={"lt": BASE + 10}) == [a]
    assert _list(client, path, created={"gte": BASE + 30}) == [e]
    assert _list(client, path, created={"gt": BASE + 10, "lte": BASE + 30}) == [e, d]
    assert _list(client, path, created=BASE + 10) == [c, b]
    # Disjoint ranges cover the list exactly once.
    cuts = [None, BASE + 30, BASE + 10, BASE + 5, None]
    pieces: list[str] = []
    for hi, lo in zip(cuts, cuts[1:], strict=False):
        created = {name: bound for name, bound in (("gte", lo), ("lt", hi)) if bound is not None}
        pieces += _list(client, path, created=created)
    assert pieces == [e, d, c, b, a]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_cursor_pages_within_a_created_range(
    kind: str, client: stripe.StripeClient, clocked: tuple[RunningSandbox, StillClock]
) -> None:
    make, path = KINDS[kind]
    ids = _made_at(client, clocked[1], make, [0, 10, 10, 20, 30])
    window = {"gte": BASE + 10, "lt": BASE + 30}
    first = _list(client, path, created=window, limit=2)
    rest = _list(client, path, created=window, limit=2, starting_after=first[-1])
    assert (first, rest) == ([ids[3], ids[2]], [ids[1]])
    # A cursor from an unfiltered page, continued inside a range (the reader's cut of a range it is reading).
    top = _list(client, path, limit=2)
    assert top == [ids[4], ids[3]]
    assert _list(client, path, created={"gte": BASE + 10}, starting_after=top[-1]) == [ids[2], ids[1]]
    assert _list(client, path, created={"lt": BASE + 10}) == [ids[0]]


def test_a_created_range_must_be_integers(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _list(client, "/v1/customers", created={"gte": "soon"})
    assert caught.value.http_status == 400
