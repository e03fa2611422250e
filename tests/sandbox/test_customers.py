"""Customers through the real SDK."""

from __future__ import annotations

import pytest
import stripe

from .helpers import error_of, make_customer


def test_customer_keeps_email_case_and_lists_by_email(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client, email="Jenny.Rosen@Example.com")
    assert customer.email == "Jenny.Rosen@Example.com"
    assert customer.id.startswith("cus_")
    make_customer(stripe_client, email="other@example.com")
    found = stripe_client.v1.customers.list({"email": "Jenny.Rosen@Example.com"})
    assert [c.id for c in found.data] == [customer.id]


def test_customer_update_metadata_and_unset_all(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client, metadata={"a": "1", "b": "2"})
    updated = stripe_client.v1.customers.update(customer.id, {"name": "J. Rosen", "metadata": {"a": ""}})
    assert (updated.name, updated.metadata.to_dict()) == ("J. Rosen", {"b": "2"})
    cleared = stripe_client.v1.customers.update(customer.id, {"metadata": ""})
    assert cleared.metadata.to_dict() == {}


def test_deleted_customer_answers_deleted(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    assert stripe_client.v1.customers.delete(customer.id).deleted is True
    again = stripe_client.v1.customers.retrieve(customer.id)
    assert again.deleted is True
    assert stripe_client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.update(customer.id, {"name": "x"})
    assert error_of(caught.value)["code"] == "resource_missing"


def test_unknown_customer_is_404(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.retrieve("cus_missing")
    assert caught.value.http_status == 404
    assert error_of(caught.value) == {
        "type": "invalid_request_error", "code": "resource_missing",
        "message": "No such customer: 'cus_missing'", "param": "id",
    }


def test_metadata_limits(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        make_customer(stripe_client, metadata={f"k{i}": "v" for i in range(51)})
    assert "more than 50 keys" in error_of(caught.value)["message"]
    with pytest.raises(stripe.InvalidRequestError) as long_key:
        make_customer(stripe_client, metadata={"k" * 41: "v"})
    assert "at most 40 characters" in error_of(long_key.value)["message"]
    with pytest.raises(stripe.InvalidRequestError) as long_value:
        make_customer(stripe_client, metadata={"k": "v" * 501})
    assert "at most 500 characters" in error_of(long_value.value)["message"]
