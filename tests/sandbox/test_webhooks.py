"""Webhook endpoints and signed deliveries, retried with backoff on failure."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox, start_sandbox


class Receiver:
    """A local webhook receiver answering with the queued status codes (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[bytes, str]] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, self.headers["Stripe-Signature"]))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.arrived.set()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver([])
    yield made
    made.close()


def test_endpoint_secret_returned_once(stripe_client: stripe.StripeClient, receiver: Receiver) -> None:
    endpoint = stripe_client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    listed = stripe_client.v1.webhook_endpoints.list().data
    assert [e.id for e in listed] == [endpoint.id] and "secret" not in listed[0].to_dict()
    assert stripe_client.v1.webhook_endpoints.delete(endpoint.id).deleted is True
    assert stripe_client.v1.webhook_endpoints.list().data == []


def test_delivery_is_signed_like_stripe(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox, receiver: Receiver
) -> None:
    endpoint = stripe_client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["customer.created"]}
    )
    stripe_client.v1.products.create({"name": "not wanted"})
    customer = stripe_client.v1.customers.create({"name": "Hooked"})
    assert receiver.arrived.wait(timeout=10)
    body, signature = receiver.received[0]
    assert endpoint.secret is not None
    event = stripe.Webhook.construct_event(body.decode(), signature, endpoint.secret)
    assert event.type == "customer.created" and event.data.object["id"] == customer.id
    assert len(receiver.received) == 1
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.decode(), signature, "whsec_wrong")


def test_failed_delivery_retried_with_backoff() -> None:
    now = [1_800_000_000.0]
    flaky = Receiver([500, 503])
    with start_sandbox(clock=lambda: now[0], deliver_webhooks=False) as sandbox:
        client = sdk_client(sandbox.url)
        client.v1.webhook_endpoints.create({"url": flaky.url, "enabled_events": ["*"]})
        client.v1.customers.create({"name": "Retry"})
        assert sandbox.deliver_webhooks() == 1
        [delivery] = sandbox.app.dispatcher.deliveries()
        assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("pending", 1, 500)
        assert sandbox.deliver_webhooks() == 0  # not due yet: backoff
        now[0] += 60
        assert sandbox.deliver_webhooks() == 1
        now[0] += 299
        assert sandbox.deliver_webhooks() == 0
        now[0] += 1
        assert sandbox.deliver_webhooks() == 1
        [delivery] = sandbox.app.dispatcher.deliveries()
        assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 3, 200)
    flaky.close()
    assert len(flaky.received) == 3


def test_pending_webhooks_counts_one_delivery_per_endpoint(stripe_client: stripe.StripeClient) -> None:
    for n in range(2):
        stripe_client.v1.webhook_endpoints.create(
            {"url": f"http://127.0.0.1:9/hook{n}", "enabled_events": ["customer.created"]}
        )
    stripe_client.v1.customers.create({"name": "Jenny"})
    (event,) = stripe_client.v1.events.list({"type": "customer.created"}).data
    assert event.pending_webhooks == 2
