"""Test cards, charging an invoice through `pay`, declines, 3-D Secure and refunds (through the real SDK)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .helpers import error_of, make_customer, make_open
from .test_shapes import unknown_fields


def _carded(client: stripe.StripeClient, token: str = "pm_card_visa") -> tuple[stripe.Invoice, str]:
    """An open charge_automatically invoice of 10.00 whose customer has `token` as default payment method."""
    invoice = make_open(client, method="charge_automatically")
    method = client.v1.payment_methods.attach(token, {"customer": str(invoice.customer)})
    client.v1.customers.update(str(invoice.customer), {"invoice_settings": {"default_payment_method": method.id}})
    return invoice, method.id


def _paid_intent(client: stripe.StripeClient) -> tuple[stripe.PaymentIntent, str]:
    """The PaymentIntent of an invoice charged to a Visa, and the card's payment method id."""
    invoice, method = _carded(client)
    client.v1.invoices.pay(invoice.id)
    (payment,) = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    return client.v1.payment_intents.retrieve(str(payment.payment.payment_intent)), method


def _event_types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list({"limit": 100}).data)]


def test_each_attach_makes_a_new_payment_method_listed_for_its_customer(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    first = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    second = stripe_client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    assert first.id != second.id and first.id.startswith("pm_") and first.customer == customer.id
    assert (first.card.brand, first.card.last4, second.card.brand, second.card.last4) == (
        "visa", "4242", "mastercard", "4444")
    listed = stripe_client.v1.customers.payment_methods.list(customer.id).data
    assert [m.id for m in listed] == [second.id, first.id]
    assert [m.id for m in stripe_client.v1.payment_methods.list({"customer": customer.id}).data] == [
        second.id, first.id]
    assert stripe_client.v1.payment_methods.retrieve(first.id).card.last4 == "4242"
    assert stripe_client.v1.customers.payment_methods.list(make_customer(stripe_client).id).data == []


def test_default_payment_method_must_be_the_customers_and_rides_on_the_customer_list(
    stripe_client: stripe.StripeClient,
) -> None:
    customer, other = make_customer(stripe_client), make_customer(stripe_client)
    method = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.update(other.id, {"invoice_settings": {"default_payment_method": method.id}})
    assert error_of(caught.value)["param"] == "invoice_settings[default_payment_method]"
    stripe_client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": method.id}})
    listed = stripe_client.v1.customers.list({"expand": ["data.invoice_settings.default_payment_method"]}).data
    by_id = {c.id: c.invoice_settings.default_payment_method for c in listed}
    assert by_id[other.id] is None
    assert (by_id[customer.id].id, by_id[customer.id].card.last4) == (method.id, "4242")


def test_pay_charges_the_customers_default_card_once(stripe_client: stripe.StripeClient) -> None:
    invoice, method = _carded(stripe_client)
    paid = stripe_client.v1.invoices.pay(invoice.id, options={"idempotency_key": "charge-1"})
    again = stripe_client.v1.invoices.pay(invoice.id, options={"idempotency_key": "charge-1"})
    assert again.to_dict() == paid.to_dict()
    assert (paid.status, paid.amount_paid, paid.amount_paid_off_stripe, paid.attempt_count, paid.attempted) == (
        "paid", 1000, 0, 1, True)
    (payment,) = stripe_client.v1.invoice_payments.list(
        {"invoice": invoice.id, "expand": ["data.payment.payment_intent"]}).data
    intent = payment.payment.payment_intent
    assert (payment.status, intent.status, intent.payment_method) == ("paid", "succeeded", method)
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.amount, charge.payment_method_details.card.last4) == (
        "succeeded", True, 1000, "4242")
    types = _event_types(stripe_client)
    assert types[types.index("payment_method.attached"):] == [
        "payment_method.attached", "customer.updated", "charge.succeeded", "payment_intent.succeeded",
        "invoice.payment_succeeded", "invoice.paid"]


@pytest.mark.parametrize(("token", "decline_code", "message"), [
    ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
])
def test_a_declined_card_is_a_402_card_error_and_the_invoice_stays_open_with_one_attempt(
    stripe_client: stripe.StripeClient, token: str, decline_code: str, message: str
) -> None:
    invoice, _ = _carded(stripe_client, token)
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.invoices.pay(invoice.id, options={"idempotency_key": "charge-1"})
    error = error_of(caught.value)
    assert (caught.value.http_status, error["type"], error["code"], error["decline_code"], error["message"]) == (
        402, "card_error", "card_declined", decline_code, message)
    assert caught.value.code == "card_declined" and error["charge"].startswith("ch_")
    with pytest.raises(stripe.CardError) as replayed:  # the same key replays the decline: no second charge
        stripe_client.v1.invoices.pay(invoice.id, options={"idempotency_key": "charge-1"})
    assert error_of(replayed.value)["charge"] == error["charge"]
    after = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.attempt_count, after.attempted, after.next_payment_attempt) == ("open", 1, True, None)
    assert _event_types(stripe_client)[-3:] == ["charge.failed", "payment_intent.payment_failed",
                                                "invoice.payment_failed"]
    intent = stripe_client.v1.payment_intents.retrieve(error["payment_intent"]["id"])
    assert (intent.status, intent.last_payment_error.decline_code) == ("requires_payment_method", decline_code)
    assert stripe_client.v1.charges.retrieve(error["charge"]).failure_code == "card_declined"


def test_a_later_manual_attempt_leaves_attempt_count_and_a_good_card_pays(stripe_client: stripe.StripeClient) -> None:
    invoice, _ = _carded(stripe_client, "pm_card_chargeDeclined")
    for key in ("a", "b"):
        with pytest.raises(stripe.CardError):
            stripe_client.v1.invoices.pay(invoice.id, options={"idempotency_key": key})
    assert stripe_client.v1.invoices.retrieve(invoice.id).attempt_count == 1
    visa = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": str(invoice.customer)})
    paid = stripe_client.v1.invoices.pay(invoice.id, {"payment_method": visa.id})
    assert paid.status == "paid"


def test_a_card_needing_authentication_waits_for_the_customer(stripe_client: stripe.StripeClient) -> None:
    invoice, _ = _carded(stripe_client, "pm_card_authenticationRequired")
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.invoices.pay(invoice.id)
    error = error_of(caught.value)
    assert (error["code"], error["payment_intent"]["status"]) == ("invoice_payment_intent_requires_action",
                                                                  "requires_action")
    after = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.attempt_count, after.hosted_invoice_url is not None) == ("open", 1, True)
    assert _event_types(stripe_client)[-2:] == ["payment_intent.requires_action", "invoice.payment_action_required"]


def test_pay_without_a_payment_method_or_with_anothers_is_refused(stripe_client: stripe.StripeClient) -> None:
    invoice = make_open(stripe_client, method="charge_automatically")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.pay(invoice.id)
    assert "no attached payment source or default payment method" in error_of(caught.value)["message"]
    foreign = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": make_customer(stripe_client).id})
    with pytest.raises(stripe.InvalidRequestError) as other:
        stripe_client.v1.invoices.pay(invoice.id, {"payment_method": foreign.id})
    assert error_of(other.value)["param"] == "payment_method"
    assert stripe_client.v1.invoices.retrieve(invoice.id).attempt_count == 0


def test_refunds_of_a_charge_up_to_its_amount(stripe_client: stripe.StripeClient) -> None:
    intent, _ = _paid_intent(stripe_client)
    part = stripe_client.v1.refunds.create({"charge": intent.latest_charge, "amount": 300})
    rest = stripe_client.v1.refunds.create({"payment_intent": intent.id})
    assert (part.amount, rest.amount, rest.status, rest.charge) == (300, 700, "succeeded", intent.latest_charge)
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create({"charge": charge.id})
    assert error_of(caught.value)["code"] == "charge_already_refunded"
    assert stripe_client.v1.refunds.retrieve(part.id).amount == 300


def test_payment_objects_have_only_fields_the_sdk_declares(stripe_client: stripe.StripeClient) -> None:
    intent, method = _paid_intent(stripe_client)
    refund = stripe_client.v1.refunds.create({"charge": intent.latest_charge})
    bodies: list[tuple[dict[str, Any], type]] = [
        (stripe_client.v1.payment_methods.retrieve(method).to_dict(recursive=True), stripe.PaymentMethod),
        (intent.to_dict(recursive=True), stripe.PaymentIntent),
        (stripe_client.v1.charges.retrieve(str(intent.latest_charge)).to_dict(recursive=True), stripe.Charge),
        (refund.to_dict(recursive=True), stripe.Refund),
    ]
    for body, cls in bodies:
        assert unknown_fields(body, cls, body["object"]) == []
