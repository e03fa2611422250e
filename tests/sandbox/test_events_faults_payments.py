"""Events, simulated customer payments (admin), and injected faults."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox
from reconciler.sandbox.exceptions import InvalidRequest

from .helpers import error_of, make_draft, make_open


def _types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": 100}).data]


def test_events_retrievable_and_filtered(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create({"name": "A"})
    stripe_client.v1.customers.update(customer.id, {"name": "B"})
    updated = stripe_client.v1.events.list({"type": "customer.updated"}).data
    assert len(updated) == 1
    event = stripe_client.v1.events.retrieve(updated[0].id)
    assert event.data.object["name"] == "B"
    assert event.data.previous_attributes.to_dict() == {"name": "A"}
    assert event.api_version == "2026-10-28.endive"


@pytest.mark.parametrize(
    ("outcomes", "status", "tail"),
    [
        (["succeeded"], "paid", ["payment_intent.succeeded", "invoice.payment_succeeded", "invoice.paid"]),
        (["failed"], "open", ["payment_intent.payment_failed", "invoice.payment_failed"]),
        (["processing"], "open", ["payment_intent.processing"]),
    ],
)
def test_customer_payment_outcomes(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox, outcomes: list[str], status: str,
    tail: list[str],
) -> None:
    invoice = make_open(stripe_client)
    for outcome in outcomes:
        sandbox.pay(invoice.id, outcome)
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == status
    assert _types(stripe_client)[: len(tail)] == tail[::-1]


def test_processing_then_settle(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    invoice = make_open(stripe_client)
    sandbox.pay(invoice.id, "processing")
    with pytest.raises(Exception, match="already processing"):
        sandbox.pay(invoice.id, "succeeded")
    sandbox.settle(invoice.id, "failed")
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "open"
    sandbox.pay(invoice.id, "processing")
    sandbox.settle(invoice.id, "succeeded")
    paid = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_paid, paid.attempt_count) == ("paid", 1000, 2)


def test_admin_http_pay_and_stats(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    invoice = make_open(stripe_client)
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/invoices/{invoice.id}/pay", data=b'{"outcome": "succeeded"}', method="POST"
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["status"] == "paid"
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/stats") as response:
        stats = json.loads(response.read())
    assert stats["by_route"]["POST /v1/invoices/{id}/finalize"] == 1
    assert stats["writes"] == 4 and stats["total"] == 5


def test_rate_limit_answers_429(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    sandbox.set_faults(rate_limit_rps=3)
    for _ in range(3):
        stripe_client.v1.customers.list()
    with pytest.raises(stripe.RateLimitError) as caught:
        stripe_client.v1.customers.list()
    assert caught.value.http_status == 429 and error_of(caught.value)["code"] == "rate_limit"


def test_error_rate_is_seeded(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    def run() -> list[bool]:
        sandbox.set_faults(error_rate=0.5, seed=7)
        outcome = []
        for _ in range(20):
            try:
                stripe_client.v1.customers.list()
                outcome.append(True)
            except stripe.APIError as exc:
                assert exc.http_status == 500
                outcome.append(False)
        return outcome

    first = run()
    assert first == run() and 0 < first.count(False) < 20


def test_lost_response_commits_then_replay_by_key(sandbox: RunningSandbox) -> None:
    sandbox.set_faults(lose_response_rate=1.0)
    client = sdk_client(sandbox.url, api_key="sk_test_sandbox")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.customers.create({"name": "Lost"}, {"idempotency_key": "lost-1"})
    sandbox.set_faults(lose_response_rate=0.0)
    again = client.v1.customers.create({"name": "Lost"}, {"idempotency_key": "lost-1"})
    assert again.last_response is not None and again.last_response.headers["Idempotent-Replayed"] == "true"
    assert [c.id for c in client.v1.customers.list().data] == [again.id]


def test_reset_empties_everything(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    stripe_client.v1.customers.create({})
    sandbox.set_faults(latency_ms=1)
    sandbox.reset()
    assert sandbox.stats()["total"] == 0 and sandbox.app.faults.config.latency_ms == 0
    assert stripe_client.v1.customers.list().data == []


def _post_json(url: str, data: bytes) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_fail_rule_strikes_n_times_then_stops(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/customers", "status": 429, "times": 2}])
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError) as caught:
            stripe_client.v1.customers.create({"name": "Jenny"}, {"idempotency_key": "jenny-1"})
        assert error_of(caught.value)["code"] == "rate_limit"
        assert caught.value.headers is not None and caught.value.headers["Stripe-Should-Retry"] == "false"
    assert stripe_client.v1.customers.list().data == []  # GETs untouched, the failed POSTs changed nothing
    assert sandbox.app.faults.fail_rules_left() == [0]
    # Not executed, so not remembered under the key: the same key now executes.
    created = stripe_client.v1.customers.create({"name": "Jenny"}, {"idempotency_key": "jenny-1"})
    assert created.last_response is not None and "Idempotent-Replayed" not in created.last_response.headers
    assert [c.id for c in stripe_client.v1.customers.list().data] == [created.id]
    assert sandbox.stats()["by_status"] == {"429": 2, "200": 3}


def test_fail_rule_singles_out_one_request_by_form_params(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    sandbox.set_faults(fail_routes=[{
        "path_prefix": "/v1/customers", "params": {"metadata[team]": "red"}, "status": 400,
        "code": "parameter_invalid", "message": "bad red customer",
    }])  # fmt: skip
    for _ in range(2):  # times omitted: always
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.customers.create({"name": "R", "metadata": {"team": "red"}})
        assert caught.value.http_status == 400
        assert error_of(caught.value) == {
            "type": "invalid_request_error", "code": "parameter_invalid", "message": "bad red customer",
        }  # fmt: skip
    blue = stripe_client.v1.customers.create({"name": "B", "metadata": {"team": "blue"}})
    assert [c.id for c in stripe_client.v1.customers.list().data] == [blue.id]


def test_fail_rule_path_segments_and_500(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    draft = make_draft(stripe_client)
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/invoices/{id}/finalize", "status": 500}])
    with pytest.raises(stripe.APIError) as caught:
        stripe_client.v1.invoices.finalize_invoice(draft.id)
    assert caught.value.http_status == 500 and error_of(caught.value)["type"] == "api_error"
    assert caught.value.headers is not None and "Stripe-Should-Retry" not in caught.value.headers
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"
    # Other invoice routes, and /v1/invoiceitems, are not under the prefix.
    stripe_client.v1.invoices.update(draft.id, {"description": "still editable"})
    stripe_client.v1.invoice_items.create({"customer": draft.customer, "invoice": draft.id, "amount": 5, "currency": "usd"})


def test_spent_rule_stays_spent_when_other_settings_change(
    stripe_client: stripe.StripeClient, sandbox: RunningSandbox
) -> None:
    sandbox.set_faults(fail_routes=[{"path_prefix": "/v1/products", "status": 500, "times": 1}])
    with pytest.raises(stripe.APIError):
        stripe_client.v1.products.create({"name": "Gold"})
    sandbox.set_faults(latency_ms=0)
    stripe_client.v1.products.create({"name": "Gold"})
    sandbox.set_faults(fail_routes=[{"path_prefix": "/v1/products", "status": 500, "times": 1}])  # re-armed
    with pytest.raises(stripe.APIError):
        stripe_client.v1.products.create({"name": "Gold"})


def test_fail_rules_over_http_and_their_validation(sandbox: RunningSandbox) -> None:
    url = f"{sandbox.url}/_sandbox/faults"
    rule = {"method": "DELETE", "path_prefix": "/v1/customers", "status": 404, "times": 3}
    status, body = _post_json(url, json.dumps({"fail_routes": [rule]}).encode())
    assert status == 200
    assert body["fail_routes"] == [{**rule, "code": None, "message": None, "params": {}}]
    assert sandbox.app.faults.fail_rules_left() == [3]
    bad = [
        (b"{not json", "Invalid JSON body: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b'{"fail_routes": {"status": 400}}', "Fault setting fail_routes must be a list of rules"),
        (b'{"fail_routes": [7]}', "fail_routes[0] must be an object"),
        (b'{"fail_routes": [{"status": 400}]}', "Missing fail rule field: fail_routes[0][path_prefix]"),
        (b'{"fail_routes": [{"path_prefix": "/v1/x", "status": 200}]}',
         "fail_routes[0][status] must be an HTTP error status (400-599)"),
        (b'{"fail_routes": [{"path_prefix": "customers", "status": 400}]}',
         "fail_routes[0][path_prefix] must be a path starting with /v1/"),
        (b'{"fail_routes": [{"path_prefix": "/v1/x", "status": 400, "method": "PUT"}]}',
         "fail_routes[0][method] must be one of GET, POST, DELETE"),
        (b'{"fail_routes": [{"path_prefix": "/v1/x", "status": 400, "times": 0}]}',
         "fail_routes[0][times] must be a positive integer or null (always)"),
        (b'{"fail_routes": [{"path_prefix": "/v1/x", "status": 400, "params": {"a": 1}}]}',
         "fail_routes[0][params] must map form field names to strings"),
        (b'{"fail_routes": [{"path_prefix": "/v1/x", "status": 400, "when": "now"}]}',
         "Unknown fail rule field: fail_routes[0][when]"),
    ]  # fmt: skip
    for data, message in bad:
        status, body = _post_json(url, data)
        assert (status, body["error"]["message"]) == (400, message)  # type: ignore[index]
    assert sandbox.app.faults.config.fail_routes[0].times == 3  # a refused change changes nothing
    with pytest.raises(InvalidRequest, match=r"fail_routes\[0\]\[status\] must be an HTTP error status"):
        sandbox.set_faults(fail_routes=[{"path_prefix": "/v1/x", "status": "500"}])


def test_stats_list_idempotency_keys_and_replays(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    stripe_client.v1.products.create({"name": "Gold"}, {"idempotency_key": "k1"})
    stripe_client.v1.products.create({"name": "Gold"}, {"idempotency_key": "k1"})
    stripe_client.v1.products.list()
    keys = sandbox.stats()["idempotency_keys"]
    assert [(k["method"], k["path"], k["key"], k["status"], k["replayed"]) for k in keys] == [
        ("POST", "/v1/products", "k1", 200, False),
        ("POST", "/v1/products", "k1", 200, True),
    ]
