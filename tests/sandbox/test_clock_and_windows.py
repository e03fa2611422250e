"""The sandbox's clock, and the two windows it moves through: idempotency keys
(24 h) and events (30 days); invoice payments and their payment intents."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox, start_sandbox

from .helpers import StillClock

DAY = 86_400


@pytest.fixture(scope="module")
def still_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox whose clock moves only by advance_clock: a window's last second is
    still inside it however long the requests before the check took (on the session
    sandbox, real time moved on between the write and the check and a loaded machine
    could push an event past the 30 days)."""
    with start_sandbox(clock=StillClock(), deliver_webhooks=False) as running:
        yield running


@pytest.fixture
def still_client(still_sandbox: RunningSandbox) -> stripe.StripeClient:
    still_sandbox.reset()
    return sdk_client(still_sandbox.url)


def _admin(sandbox: RunningSandbox, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(sandbox.url + path, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_an_idempotency_key_is_kept_for_24_hours_then_forgotten(
    still_sandbox: RunningSandbox, still_client: stripe.StripeClient
) -> None:
    sandbox, stripe_client = still_sandbox, still_client
    first = stripe_client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k-1"})
    sandbox.advance_clock(DAY - 60)
    replay = stripe_client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k-1"})
    assert replay.id == first.id
    sandbox.advance_clock(120)
    fresh = stripe_client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k-1"})
    assert fresh.id != first.id
    assert len(stripe_client.v1.customers.list().data) == 2


def test_events_are_listed_and_retrieved_for_30_days_only(
    still_sandbox: RunningSandbox, still_client: stripe.StripeClient
) -> None:
    sandbox, stripe_client = still_sandbox, still_client
    stripe_client.v1.customers.create(params={"name": "A"})
    (event,) = stripe_client.v1.events.list().data
    sandbox.advance_clock(30 * DAY - 1)
    assert [e.id for e in stripe_client.v1.events.list().data] == [event.id]
    sandbox.advance_clock(2)
    assert stripe_client.v1.events.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.events.retrieve(event.id)
    assert err.value.http_status == 404 and err.value.code == "resource_missing"


def test_the_clock_moves_forward_through_the_admin_surface_and_back_on_reset(sandbox: RunningSandbox) -> None:
    status, before = _admin(sandbox, "/_sandbox/clock")
    assert status == 200 and before["offset"] == 0
    status, after = _admin(sandbox, "/_sandbox/clock", {"advance": 3600})
    assert status == 200 and after["offset"] == 3600 and after["now"] >= before["now"] + 3600
    assert _admin(sandbox, "/_sandbox/clock", {"advance": -5}) == (
        400,
        {"error": {"type": "invalid_request_error", "message":
                   "advance must be a number of seconds, 0 or more (under ten years)", "param": "advance"}},
    )
    sandbox.reset()
    assert _admin(sandbox, "/_sandbox/clock")[1]["offset"] == 0


def test_the_date_header_follows_the_sandbox_clock(still_sandbox: RunningSandbox, still_client: stripe.StripeClient) -> None:
    from email.utils import parsedate_to_datetime

    sandbox = still_sandbox
    sandbox.advance_clock(10 * DAY)
    with urllib.request.urlopen(sandbox.url + "/_sandbox/clock") as response:
        shown = int(parsedate_to_datetime(response.headers["Date"]).timestamp())
        now = json.loads(response.read())["now"]
    assert abs(shown - now) <= 1


def test_invoice_payments_show_a_processing_payment_and_its_intent(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    customer = stripe_client.v1.customers.create(params={"name": "A"})
    invoice = stripe_client.v1.invoices.create(
        params={"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 3, "auto_advance": False}
    )
    stripe_client.v1.invoice_items.create(
        params={"customer": customer.id, "invoice": invoice.id, "amount": 100, "currency": "usd"}
    )
    stripe_client.v1.invoices.finalize_invoice(invoice.id, params={"auto_advance": False})
    sandbox.pay(invoice.id, "processing")
    params = {"status": "open", "expand": ["data.payment.payment_intent"]}
    (payment,) = stripe_client.v1.invoice_payments.list(params=params).data
    assert payment.invoice == invoice.id and payment.status == "open"
    assert payment.payment.payment_intent.status == "processing"
    sandbox.settle(invoice.id, "succeeded")
    assert stripe_client.v1.invoice_payments.list(params=params).data == []
    (paid,) = stripe_client.v1.invoice_payments.list(params={"status": "paid"}).data
    assert paid.id == payment.id and paid.amount_paid == 100
