"""Tax rates, coupons and discounts, negative lines, the customer's balance and the minimum charge."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.sandbox.conformance.rules import DOCS, INVOICE_OBJECT, sandbox_choice, stripe_rule
from tests.sandbox.helpers import admin_post, error_of, make_customer

TAX_RATES = DOCS + "invoicing/taxes/tax-rates"
TAX_RATES_API = DOCS + "billing/taxes/tax-rates"  # the sentence: its 2021 text (web.archive.org)
TAX_RATE_OBJECT = DOCS + "api/tax_rates/object"
COUPONS_UPDATE = DOCS + "api/coupons/update"
CREATE_INVOICE = DOCS + "api/invoices/create"
CREATE_ITEM = DOCS + "api/invoiceitems/create"
BALANCE = DOCS + "billing/customer/balance"
BALANCE_TRANSACTIONS = DOCS + "api/customer_balance_transactions"
MULTI_CURRENCY = DOCS + "invoicing/multi-currency-customers"
NEGATIVE_ITEMS = DOCS + "changelog/2015-03-24/coupons-no-longer-apply-negative-invoice-items"


def _rate(client: stripe.StripeClient, percentage: float, *, inclusive: bool = False) -> stripe.TaxRate:
    return client.v1.tax_rates.create(
        {"display_name": "VAT", "percentage": percentage, "inclusive": inclusive, "country": "DE"})


def _draft(client: stripe.StripeClient, amounts: list[int], *, currency: str = "usd", customer: str | None = None,
           item_extra: dict[str, Any] | None = None, **invoice: Any) -> stripe.Invoice:
    customer = customer or make_customer(client).id
    created = client.v1.invoices.create(
        {"customer": customer, "collection_method": "send_invoice", "days_until_due": 30, "currency": currency,
         **invoice})
    for amount in amounts:
        client.v1.invoice_items.create({"invoice": created.id, "amount": amount, "currency": currency,
                                        **(item_extra or {})})
    return client.v1.invoices.retrieve(created.id)


def _taxes(invoice: stripe.Invoice) -> list[tuple[int, str, int]]:
    return [(t.amount, t.tax_behavior, t.taxable_amount or 0) for t in invoice.total_taxes or []]


@stripe_rule(TAX_RATES, "You can add up to ten tax rates to each line item.")
def test_at_most_ten_rates_per_line(stripe_client: stripe.StripeClient) -> None:
    rates = [_rate(stripe_client, 1).id for _ in range(11)]
    draft = _draft(stripe_client, [])
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create(
            {"invoice": draft.id, "amount": 100, "currency": "usd", "tax_rates": rates})
    assert error_of(caught.value)["param"] == "tax_rates"
    stripe_client.v1.invoice_items.create({"invoice": draft.id, "amount": 100, "currency": "usd",
                                           "tax_rates": rates[:10]})


@stripe_rule(TAX_RATES_API, "The percentage is a number (up to 4 decimal places) that represents the tax percentage "
             "to be collected.")
def test_a_percentage_has_at_most_four_decimal_places(stripe_client: stripe.StripeClient) -> None:
    """Review R14: the sandbox took any precision."""
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _rate(stripe_client, 7.123456789)
    assert error_of(refused.value)["param"] == "percentage"
    assert _rate(stripe_client, 8.8751).percentage == 8.8751


@stripe_rule(TAX_RATE_OBJECT, "When set to false, this tax rate cannot be used with new applications")
def test_inactive_rate_is_refused_and_percentage_is_fixed(stripe_client: stripe.StripeClient) -> None:
    rate = _rate(stripe_client, 19)
    updated = stripe_client.v1.tax_rates.update(rate.id, {"active": False, "display_name": "MwSt."})
    assert (updated.active, updated.display_name, updated.percentage) == (False, "MwSt.", 19.0)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.tax_rates.update(rate.id, {"percentage": 7})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(stripe.InvalidRequestError):
        _draft(stripe_client, [], default_tax_rates=[rate.id])
    listed = stripe_client.v1.tax_rates.list({"active": False})
    assert [r.id for r in listed.data] == [rate.id]


@stripe_rule(CREATE_INVOICE, "The tax rates that will apply to any line item that does not have `tax_rates` set.")
def test_exclusive_vat_on_top_and_item_rates_override_defaults(stripe_client: stripe.StripeClient) -> None:
    vat, reduced = _rate(stripe_client, 19), _rate(stripe_client, 7)
    draft = _draft(stripe_client, [1000], default_tax_rates=[vat.id])
    stripe_client.v1.invoice_items.create({"invoice": draft.id, "amount": 500, "currency": "usd",
                                           "tax_rates": [reduced.id]})
    invoice = stripe_client.v1.invoices.retrieve(draft.id)
    assert (invoice.subtotal, invoice.total, invoice.total_excluding_tax) == (1500, 1725, 1500)
    assert _taxes(invoice) == [(190, "exclusive", 1000), (35, "exclusive", 500)]
    assert [line.taxes[0].amount for line in invoice.lines.data if line.taxes] == [190, 35]


@stripe_rule(INVOICE_OBJECT, "The integer amount in cents (or local equivalent) representing the total amount of "
             "the invoice including all discounts but excluding all tax.")
def test_inclusive_rate_is_inside_the_amount(stripe_client: stripe.StripeClient) -> None:
    inclusive = _rate(stripe_client, 19, inclusive=True)
    invoice = _draft(stripe_client, [1190, 1000], default_tax_rates=[inclusive.id])
    # 1190 = 1000 + 190; 1000 / 1.19 = 840.34 -> 840, tax 160.
    assert _taxes(invoice) == [(350, "inclusive", 1840)]
    assert (invoice.subtotal, invoice.total, invoice.total_excluding_tax) == (2190, 2190, 1840)


@stripe_rule(CREATE_ITEM, "Item discounts are applied before invoice discounts.")
def test_item_discounts_then_invoice_discounts_then_tax(stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.coupons.create({"id": "item-10", "percent_off": 10, "duration": "once"})
    stripe_client.v1.coupons.create({"id": "minus-100", "amount_off": 100, "currency": "usd", "duration": "once"})
    vat = _rate(stripe_client, 19)
    invoice = _draft(stripe_client, [1000], default_tax_rates=[vat.id], discounts=[{"coupon": "minus-100"}],
                     item_extra={"discounts": [{"coupon": "item-10"}]})
    # 1000 - 100 (item 10%) = 900 subtotal; - 100 (invoice) = 800; 19% of 800 = 152.
    assert (invoice.subtotal, invoice.total_excluding_tax, invoice.total) == (900, 800, 952)
    assert sorted(d.amount for d in invoice.total_discount_amounts or []) == [100, 100]
    assert _taxes(invoice) == [(152, "exclusive", 800)]


@stripe_rule(NEGATIVE_ITEMS, "Updates coupons so they no longer apply to negative invoice items by default.")
def test_amount_off_coupon_spares_a_negative_credit_line(stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.coupons.create({"id": "five-off", "amount_off": 500, "currency": "usd", "duration": "once"})
    invoice = _draft(stripe_client, [1000, 300, -200], discounts=[{"coupon": "five-off"}])
    lines = {line.amount: sum(d.amount for d in line.discount_amounts or []) for line in invoice.lines.data}
    # 500 across the two positive lines in proportion (1000:300 -> 384.6 + 115.4 -> 385 + 115).
    assert lines == {1000: 385, 300: 115, -200: 0}
    assert (invoice.subtotal, invoice.total, invoice.amount_due) == (1100, 600, 600)


@sandbox_choice("a percent-off discount is rounded on each line, half away from zero")
def test_percent_discount_rounds_per_line(stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.coupons.create({"id": "partner-10", "percent_off": 10, "duration": "forever"})
    invoice = _draft(stripe_client, [555, 555], discounts=[{"coupon": "partner-10"}])
    assert [d.amount for d in invoice.total_discount_amounts or []] == [112]
    assert invoice.total == 998


@stripe_rule(CREATE_INVOICE, "If not specified, inherits the discount from the invoice's customer. Pass an empty "
             "string to avoid inheriting any discounts.")
def test_customer_discount_is_inherited_unless_discounts_is_empty(
    stripe_client: stripe.StripeClient, sandbox: Any
) -> None:
    stripe_client.v1.coupons.create({"id": "loyal-20", "percent_off": 20, "duration": "forever"})
    customer = make_customer(stripe_client)
    attached = admin_post(sandbox.url, f"/_sandbox/customers/{customer.id}/discount", {"coupon": "loyal-20"})
    assert attached["discount"]["source"]["coupon"] == "loyal-20"
    inherited = _draft(stripe_client, [1000], customer=customer.id)
    refused = _draft(stripe_client, [1000], customer=customer.id, discounts="")
    assert (inherited.total, refused.total) == (800, 1000)
    assert inherited.discounts == [attached["discount"]["id"]]
    assert stripe_client.v1.coupons.retrieve("loyal-20").times_redeemed == 1


@stripe_rule(BALANCE_TRANSACTIONS, "Each customer has a Balance value, which denotes a debit or credit that's "
             "automatically applied to their next invoice upon finalization.")
def test_credit_balance_applied_at_finalization(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    stripe_client.v1.customers.balance_transactions.create(customer.id, {"amount": -300, "currency": "usd"})
    draft = _draft(stripe_client, [1000], customer=customer.id)
    assert (draft.starting_balance, draft.amount_due, draft.ending_balance) == (-300, 1000, None)
    invoice = stripe_client.v1.invoices.finalize_invoice(draft.id)
    assert (invoice.starting_balance, invoice.amount_due, invoice.ending_balance) == (-300, 700, 0)
    assert stripe_client.v1.customers.retrieve(customer.id).balance == 0
    ledger = stripe_client.v1.customers.balance_transactions.list(customer.id)
    assert [(t.type, t.amount) for t in ledger.data] == [("applied_to_invoice", 300), ("adjustment", -300)]
    small = stripe_client.v1.invoices.finalize_invoice(_draft(stripe_client, [100], customer=customer.id).id)
    assert (small.starting_balance, small.amount_due) == (0, 100)


@stripe_rule(BALANCE, "When the amount due on an invoice is less than the minimum chargeable amount the invoice "
             "is marked as paid and the amount owed moved to the invoice balance as a debit.")
def test_below_minimum_charge_is_paid_and_carried(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    invoice = stripe_client.v1.invoices.finalize_invoice(_draft(stripe_client, [30], customer=customer.id).id)
    assert (invoice.status, invoice.amount_due, invoice.amount_paid, invoice.ending_balance) == ("paid", 0, 0, 30)
    assert stripe_client.v1.customers.retrieve(customer.id).balance == 30
    yen = stripe_client.v1.invoices.finalize_invoice(_draft(stripe_client, [60], currency="jpy").id)
    assert (yen.status, yen.amount_due) == ("open", 60)


@stripe_rule(MULTI_CURRENCY, "A CAD invoice doesn't apply a customer credit balance denominated in USD or any "
             "other currency other than CAD.")
def test_a_balance_never_mixes_currencies(stripe_client: stripe.StripeClient) -> None:
    """Review R19: a EUR invoice's amount below the minimum charge was added to the customer's USD
    balance. The sandbox keeps one balance in one currency: it refuses such a finalize, the draft and
    the balance unchanged (Stripe would keep it apart, in a EUR balance)."""
    customer = make_customer(stripe_client)
    stripe_client.v1.customers.balance_transactions.create(customer.id, {"amount": 30, "currency": "usd"})
    euro = _draft(stripe_client, [40], currency="eur", customer=customer.id)
    assert euro.starting_balance == 0  # the USD debit is not the EUR invoice's
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.invoices.finalize_invoice(euro.id)
    assert "balance in usd only" in str(error_of(refused.value).get("message"))
    assert stripe_client.v1.invoices.retrieve(euro.id).status == "draft"
    after = stripe_client.v1.customers.retrieve(customer.id)
    assert (after.balance, after.currency) == (30, "usd")
    negative = _draft(stripe_client, [-500], currency="eur", customer=customer.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoices.finalize_invoice(negative.id)
    assert stripe_client.v1.customers.retrieve(customer.id).balance == 30


@sandbox_choice("an invoice whose total is below zero finalizes paid with amount_due 0, and the negative total "
                "is credited to the customer's balance")
def test_negative_total_credits_the_balance(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    invoice = stripe_client.v1.invoices.finalize_invoice(_draft(stripe_client, [-500], customer=customer.id).id)
    assert (invoice.status, invoice.total, invoice.amount_due, invoice.ending_balance) == ("paid", -500, 0, -500)
    assert stripe_client.v1.customers.retrieve(customer.id).balance == -500


@sandbox_choice("voiding an invoice gives back the balance it applied (a transaction of type "
                "unapplied_from_invoice)")
def test_void_gives_the_balance_back(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client, balance=-300)
    invoice = stripe_client.v1.invoices.finalize_invoice(_draft(stripe_client, [1000], customer=customer.id).id)
    assert stripe_client.v1.customers.retrieve(customer.id).balance == 0
    stripe_client.v1.invoices.void_invoice(invoice.id)
    assert stripe_client.v1.customers.retrieve(customer.id).balance == -300


@stripe_rule(COUPONS_UPDATE, "Other coupon details (currency, duration, amount_off) are, by design, not editable.")
def test_coupon_ids_updates_and_deletion(stripe_client: stripe.StripeClient) -> None:
    coupons = stripe_client.v1.coupons
    chosen = coupons.create({"id": "partner-10", "percent_off": 10, "duration": "once", "name": "Partner"})
    generated = coupons.create({"amount_off": 100, "currency": "eur", "duration": "repeating",
                                "duration_in_months": 3})
    assert chosen.id == "partner-10" and len(generated.id) == 8
    with pytest.raises(stripe.InvalidRequestError) as caught:
        coupons.create({"id": "partner-10", "percent_off": 5, "duration": "once"})
    assert error_of(caught.value)["code"] == "resource_already_exists"
    renamed = coupons.update("partner-10", {"name": "Partner 10%", "metadata": {"team": "sales"}})
    assert (renamed.name, renamed.percent_off, renamed.metadata["team"]) == ("Partner 10%", 10.0, "sales")
    draft = _draft(stripe_client, [1000], discounts=[{"coupon": "partner-10"}])
    coupons.delete("partner-10")
    assert {c.id for c in coupons.list().data} == {generated.id}
    stripe_client.v1.invoice_items.create({"invoice": draft.id, "amount": 1000, "currency": "usd"})
    assert stripe_client.v1.invoices.retrieve(draft.id).total == 1800  # a deleted coupon's discount still applies


@stripe_rule(TAX_RATES, "You can add up to ten tax rates to each line item.")
def test_zero_decimal_currency_rounds_to_whole_yen(stripe_client: stripe.StripeClient) -> None:
    rate = _rate(stripe_client, 8)
    stripe_client.v1.coupons.create({"id": "yen-3", "percent_off": 3, "duration": "once"})
    invoice = _draft(stripe_client, [1234], currency="jpy", default_tax_rates=[rate.id],
                     discounts=[{"coupon": "yen-3"}])
    # 3% of 1234 = 37.02 -> 37; 1197 * 8% = 95.76 -> 96.
    assert (invoice.total_excluding_tax, _taxes(invoice), invoice.total) == (1197, [(96, "exclusive", 1197)], 1293)
