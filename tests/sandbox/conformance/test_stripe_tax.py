"""Stripe Tax (automatic_tax) in the sandbox: finalization needs the customer's location."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.conformance.rules import DOCS, stripe_rule
from tests.sandbox.helpers import error_of, make_customer

TAX_INVOICING = DOCS + "tax/invoicing"


@stripe_rule(TAX_INVOICING, "Customers outside of the US require at least a country-level address. Customers in "
             "the US require a 5-digit postal code.")
def test_finalizing_needs_a_location_stripe_tax_accepts(stripe_client: stripe.StripeClient) -> None:
    placed = make_customer(stripe_client, address={"country": "DE"})
    unplaced = make_customer(stripe_client, address={"country": "US", "postal_code": "941"})
    drafts = []
    for customer in (placed, unplaced):
        draft = stripe_client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice",
                                                  "days_until_due": 30, "automatic_tax": {"enabled": True}})
        stripe_client.v1.invoice_items.create({"invoice": draft.id, "amount": 1000, "currency": "usd"})
        drafts.append(draft)
    done = stripe_client.v1.invoices.finalize_invoice(drafts[0].id)
    assert (done.status, done.automatic_tax.enabled, done.automatic_tax.status) == ("open", True, "complete")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.finalize_invoice(drafts[1].id)
    assert error_of(caught.value)["code"] == "customer_tax_location_invalid"
    assert stripe_client.v1.invoices.retrieve(drafts[1].id).status == "draft"
