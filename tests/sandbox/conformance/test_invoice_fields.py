"""Invoice fields: due date, what finalization freezes, currency, the customer's details."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.sandbox.conformance.rules import (
    CREATE_INVOICE,
    INVOICE_OBJECT,
    MULTI_CURRENCY,
    UPDATE_INVOICE,
    sandbox_choice,
    stripe_rule,
)
from tests.sandbox.helpers import error_of, make_customer, make_draft, make_open


@sandbox_choice("a due_date at or before the sandbox's now is refused (400, param due_date), on create and "
                "update, with Stripe's answer quoted in stripe/stripe-python#925; Stripe's reference does not say it")
def test_due_date_in_the_past_is_refused(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    past = int(time.time()) - 86_400
    with pytest.raises(stripe.InvalidRequestError) as created:
        stripe_client.v1.invoices.create(
            {"customer": customer.id, "collection_method": "send_invoice", "due_date": past}
        )
    assert (created.value.http_status, error_of(created.value)["param"]) == (400, "due_date")
    assert error_of(created.value)["message"] == "Invalid timestamp: must be an integer Unix timestamp in the future."
    draft = make_draft(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as updated:
        stripe_client.v1.invoices.update(draft.id, {"due_date": past})
    assert error_of(updated.value)["param"] == "due_date"
    future = int(time.time()) + 7 * 86_400
    assert stripe_client.v1.invoices.update(draft.id, {"due_date": future}).due_date == future


@stripe_rule(UPDATE_INVOICE, "Once an invoice is finalized, you can no longer change most of its details, "
             "including monetary values and collection_method. For most invoices, this also includes description.")
def test_description_is_frozen_by_finalization(stripe_client: stripe.StripeClient) -> None:
    invoice = make_open(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.update(invoice.id, {"description": "changed"})
    assert error_of(caught.value)["code"] == "invoice_not_editable"
    assert error_of(caught.value)["param"] == "description"
    assert stripe_client.v1.invoices.retrieve(invoice.id).description is None


@stripe_rule(UPDATE_INVOICE, "Draft invoices are fully editable.")
def test_a_draft_takes_a_description(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client)
    assert stripe_client.v1.invoices.update(draft.id, {"description": "March"}).description == "March"


@stripe_rule(CREATE_INVOICE, "The currency to create this invoice in. Defaults to that of `customer` if not specified.")
def test_currency_is_fixed_at_creation(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    invoice = stripe_client.v1.invoices.create({"customer": customer.id})
    assert invoice.currency == "usd"  # the customer has none: the account's default
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create({"invoice": invoice.id, "amount": 500, "currency": "eur"})
    assert error_of(caught.value)["message"] == (
        "The currency of this invoice item (eur) does not match the currency of the invoice (usd)."
    )
    assert stripe_client.v1.invoices.retrieve(invoice.id).currency == "usd"


@stripe_rule(CREATE_INVOICE, "Three-letter ISO currency code, in lowercase. Must be a supported currency.")
def test_invoice_currency_must_be_supported(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.create({"customer": customer.id, "currency": "zzz"})
    assert error_of(caught.value)["message"].startswith(
        "Invalid currency: zzz. Stripe currently supports these currencies: usd, aed, afn"
    )
    assert error_of(caught.value)["param"] == "currency"


@stripe_rule(MULTI_CURRENCY, "The currency parameter dictates which invoice items get pulled into the invoice.")
def test_only_pending_items_of_the_invoice_currency_are_pulled(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    usd = stripe_client.v1.invoice_items.create({"customer": customer.id, "amount": 100, "currency": "usd"})
    eur = stripe_client.v1.invoice_items.create({"customer": customer.id, "amount": 200, "currency": "eur"})
    invoice = stripe_client.v1.invoices.create(
        {"customer": customer.id, "currency": "eur", "pending_invoice_items_behavior": "include"}
    )
    assert invoice.total == 200
    assert stripe_client.v1.invoice_items.retrieve(eur.id).invoice == invoice.id
    assert stripe_client.v1.invoice_items.retrieve(usd.id).invoice is None


@stripe_rule(INVOICE_OBJECT, "`lines` is sorted as follows: (1) pending invoice items (including prorations) in "
             "reverse chronological order, (2) subscription items in reverse chronological order, and (3) invoice "
             "items added after invoice creation in chronological order.")
def test_lines_order(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    first, second = (
        stripe_client.v1.invoice_items.create({"customer": customer.id, "amount": n, "currency": "usd"}).id
        for n in (1, 2)
    )
    invoice = stripe_client.v1.invoices.create({"customer": customer.id, "pending_invoice_items_behavior": "include"})
    third, fourth = (
        stripe_client.v1.invoice_items.create({"invoice": invoice.id, "amount": n, "currency": "usd"}).id
        for n in (3, 4)
    )
    embedded = stripe_client.v1.invoices.retrieve(invoice.id).lines.data
    listed = list(stripe_client.v1.invoices.line_items.list(invoice.id).auto_paging_iter())
    expected = [second, first, third, fourth]
    for lines in (embedded, listed):
        assert [line.parent.invoice_item_details.invoice_item for line in lines] == expected
    page = stripe_client.v1.invoices.line_items.list(invoice.id, {"limit": 2, "starting_after": listed[1].id})
    assert [line.parent.invoice_item_details.invoice_item for line in page.data] == [third, fourth]


@stripe_rule(INVOICE_OBJECT, "The customer's email. Until the invoice is finalized, this field will equal "
             "`customer.email`. Once the invoice is finalized, this field will no longer be updated.")
def test_customer_email_follows_the_customer_until_finalized(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client)
    opened = make_open(stripe_client)
    for invoice in (draft, opened):
        stripe_client.v1.customers.update(invoice.customer, {"email": "billing@example.com", "name": "Acme"})
    after_draft = stripe_client.v1.invoices.retrieve(draft.id)
    assert (after_draft.customer_email, after_draft.customer_name) == ("billing@example.com", "Acme")
    after_open = stripe_client.v1.invoices.retrieve(opened.id)
    assert (after_open.customer_email, after_open.customer_name) == ("jenny.rosen@example.com", "Jenny Rosen")


@stripe_rule(INVOICE_OBJECT, "The customer's address. Until the invoice is finalized, this field will equal "
             "`customer.address`.")
def test_customer_address_follows_the_customer_until_finalized(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client)
    stripe_client.v1.customers.update(draft.customer, {"address": {"city": "Berlin", "country": "DE"}})
    address = stripe_client.v1.invoices.retrieve(draft.id).customer_address
    assert address is not None and (address.city, address.country) == ("Berlin", "DE")
