"""Events, lists and idempotent requests."""

from __future__ import annotations

import uuid

import pytest
import stripe
from sdk_client import sdk_client

from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from tests.sandbox.conformance.rules import (
    IDEMPOTENCY,
    LIST_EVENTS,
    PAGINATION,
    sandbox_choice,
    stripe_rule,
)
from tests.sandbox.helpers import error_of, make_customer, make_draft


@stripe_rule(LIST_EVENTS, "A string containing a specific event name, or group of events using * as a wildcard. "
             "The list will be filtered to include only events with a matching event property.")
def test_event_type_wildcard(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client)
    stripe_client.v1.invoices.finalize_invoice(draft.id)
    types = [e.type for e in stripe_client.v1.events.list({"type": "invoice.*", "limit": 100}).data]
    assert types == ["invoice.finalized", "invoice.updated", "invoice.created"]
    assert [e.type for e in stripe_client.v1.events.list({"type": "*.created", "limit": 100}).data] == [
        "invoiceitem.created", "invoice.created", "customer.created"
    ]


@stripe_rule(LIST_EVENTS, "An array of up to 20 strings containing specific event names. The list will be "
             "filtered to include only events with a matching event property. You may pass either `type` or "
             "`types`, but not both.")
def test_event_types_limits(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as both:
        stripe_client.v1.events.list({"type": "invoice.created", "types": ["invoice.paid"]})
    assert error_of(both.value)["message"] == "You may only specify one of these parameters: type, types."
    with pytest.raises(stripe.InvalidRequestError) as many:
        stripe_client.v1.events.list({"types": [f"invoice.t{n}" for n in range(21)]})
    assert error_of(many.value)["param"] == "types"
    assert stripe_client.v1.events.list({"types": [f"invoice.t{n}" for n in range(20)]}).data == []


@sandbox_choice("an item added to, changed on or removed from a draft records invoice.updated with the totals' "
                "previous values (Stripe emits it; the docs list the event, not each cause)")
def test_items_changing_totals_update_the_invoice(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client, items=1, amount=1000)
    events = stripe_client.v1.events.list({"type": "invoice.updated"}).data
    assert len(events) == 1 and events[0].data.object.total == 1000
    previous = events[0].data.previous_attributes
    assert previous is not None and (previous["total"], previous["amount_due"]) == (0, 0)
    item_id = draft.lines.data[0].parent.invoice_item_details.invoice_item
    stripe_client.v1.invoice_items.update(item_id, {"description": "same amount"})
    assert len(stripe_client.v1.events.list({"type": "invoice.updated"}).data) == 1  # totals unchanged
    stripe_client.v1.invoice_items.delete(item_id)
    latest = stripe_client.v1.events.list({"type": "invoice.updated"}).data[0]
    assert latest.data.object.total == 0


@stripe_rule(PAGINATION, "A limit on the number of objects to be returned. Limit can range between 1 and 100, "
             "and the default is 10.")
def test_list_limit(stripe_client: stripe.StripeClient) -> None:
    for n in range(11):
        stripe_client.v1.customers.create({"name": f"c{n}"})
    assert len(stripe_client.v1.customers.list().data) == 10
    for bad in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.customers.list({"limit": bad})
        assert error_of(caught.value)["param"] == "limit"


@stripe_rule(IDEMPOTENCY, "The idempotency layer compares incoming parameters to those of the original request "
             "and errors if they're not the same to prevent accidental misuse.")
def test_key_with_other_parameters(stripe_client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    stripe_client.v1.customers.create({"name": "A"}, {"idempotency_key": key})
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.customers.create({"name": "B"}, {"idempotency_key": key})
    assert "can only be used with the same parameters" in error_of(caught.value)["message"]


@stripe_rule(IDEMPOTENCY, "Stripe saves the status code and body of the first request made with a given "
             "idempotency key after endpoint execution begins. Retries with the same key return the saved response")
def test_key_replays_the_first_answer(stripe_client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    first = stripe_client.v1.customers.create({"name": "A"}, {"idempotency_key": key})
    again = stripe_client.v1.customers.create({"name": "A"}, {"idempotency_key": key})
    assert again.id == first.id and len(stripe_client.v1.customers.list().data) == 1


@sandbox_choice("a key reused on another endpoint answers Stripe's wording for that case, quoted in "
                "stripe/stripe-ruby#598 (\"Keys for idempotent requests can only be used for the same endpoint "
                "they were first used for ('…' vs '…')\")")
def test_key_reused_on_another_endpoint(stripe_client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    customer = make_customer(stripe_client)
    stripe_client.v1.invoices.create({"customer": customer.id}, {"idempotency_key": key})
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.customers.update(customer.id, {"name": "B"}, {"idempotency_key": key})
    assert error_of(caught.value)["message"] == (
        f"Keys for idempotent requests can only be used for the same endpoint they were first used for "
        f"('/v1/customers/{customer.id}' vs '/v1/invoices'). Try using a key other than '{key}' if you meant "
        "to execute a different request."
    )


@sandbox_choice("idempotency keys belong to the account, not to one API key: every sk_test_/rk_test_ key is the "
                "same sandbox account, so a retry sent with another of its keys replays instead of writing twice")
def test_keys_are_shared_by_the_account_keys(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    other = sdk_client(sandbox.url, api_key="rk_test_other")
    key = str(uuid.uuid4())
    first = stripe_client.v1.customers.create({"name": "A"}, {"idempotency_key": key})
    again = other.v1.customers.create({"name": "A"}, {"idempotency_key": key})
    assert again.id == first.id
    assert SANDBOX_API_KEY != "rk_test_other"
