"""Tax IDs in the sandbox (issue 18), through the real SDK over HTTP: a customer's under
/v1/customers/{id}/tax_ids, the account's own at /v1/tax_ids and the admin seed; invoices show the
customer's until finalized and keep them after; account_tax_ids must be the account's."""

from __future__ import annotations

import pytest
import stripe

from reconciler.sandbox import RunningSandbox

from .helpers import admin_post, error_of, make_customer, make_draft


def test_a_customers_tax_ids_are_created_listed_retrieved_and_deleted(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    created = stripe_client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "DE123456789"})
    assert (created.object, created.type, created.value, created.country) == ("tax_id", "eu_vat", "DE123456789", "DE")
    assert created.customer == customer.id and created.id.startswith("txi_")
    assert [t.id for t in stripe_client.v1.customers.tax_ids.list(customer.id).data] == [created.id]
    assert stripe_client.v1.customers.tax_ids.retrieve(customer.id, created.id).value == "DE123456789"
    expanded = stripe_client.v1.customers.list({"expand": ["data.tax_ids"]}).data[0]
    assert [t.value for t in expanded.tax_ids.data] == ["DE123456789"]  # type: ignore[union-attr]
    assert stripe_client.v1.customers.tax_ids.delete(customer.id, created.id).deleted is True
    assert stripe_client.v1.customers.tax_ids.list(customer.id).data == []


def test_a_malformed_vat_number_is_refused(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "123"})
    assert error_of(raised.value)["code"] == "tax_id_invalid"


def test_the_accounts_own_tax_ids_and_their_seed(sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> None:
    seeded = admin_post(sandbox.url, "/_sandbox/tax_ids", {"type": "eu_vat", "value": "DE987654321"})
    made = stripe_client.v1.tax_ids.create({"type": "gb_vat", "value": "GB123456789"})
    make_customer(stripe_client, tax_id_data=[{"type": "us_ein", "value": "12-3456789"}])
    assert [t.id for t in stripe_client.v1.tax_ids.list().data] == [seeded["id"], made.id]  # customers' not listed
    assert made.owner is not None and made.owner.type == "self"


def test_invoices_follow_the_customers_tax_ids_until_finalized(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client)
    customer = str(draft.customer)
    stripe_client.v1.customers.tax_ids.create(customer, {"type": "eu_vat", "value": "DE123456789"})
    assert [t.value for t in stripe_client.v1.invoices.retrieve(draft.id).customer_tax_ids or []] == ["DE123456789"]
    stripe_client.v1.invoices.finalize_invoice(draft.id)
    stripe_client.v1.customers.tax_ids.create(customer, {"type": "eu_vat", "value": "DE111111111"})
    assert [t.value for t in stripe_client.v1.invoices.retrieve(draft.id).customer_tax_ids or []] == ["DE123456789"]


def test_account_tax_ids_must_be_the_accounts_and_only_a_draft_takes_them(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    ours = sandbox.seed_account_tax_id("eu_vat", "DE987654321")
    customer = make_customer(stripe_client)
    theirs = stripe_client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "DE123456789"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.invoices.create({"customer": customer.id, "auto_advance": False, "account_tax_ids": [theirs.id]})
    assert error_of(raised.value)["param"] == "account_tax_ids[0]"
    invoice = stripe_client.v1.invoices.create({"customer": customer.id, "auto_advance": False, "account_tax_ids": [ours]})
    assert invoice.account_tax_ids == [ours]
    stripe_client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 100, "currency": "usd"})
    stripe_client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as frozen:
        stripe_client.v1.invoices.update(invoice.id, {"account_tax_ids": ""})
    assert error_of(frozen.value)["code"] == "invoice_not_editable"
