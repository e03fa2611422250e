"""apply through the real SDK against the sandbox: convergence and every action type."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import stripe
import yaml

from reconciler.apply.dry_run import planned_requests
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.ownership import SEND_DONE, SEND_KEY, SEND_REQUESTED
from reconciler.plan.actions import ALL_ACTIONS
from reconciler.sandbox import RunningSandbox

from .helpers import (
    EXAMPLE_SPECS,
    duplicates,
    gateway_for,
    object_counts,
    plan_and_apply,
    plan_for,
    remaining_actions,
    sent_events,
    write_specs,
)


def test_empty_account_apply_then_plan_is_empty(sandbox: RunningSandbox) -> None:
    gateway = gateway_for(sandbox)
    plan, result = plan_and_apply(gateway, EXAMPLE_SPECS)
    assert result.ok, result.lines()
    assert len(result.done) == len(plan.actions) == 11
    assert result.summary_line() == "Apply complete: 11 done, 0 failed, 0 skipped."
    assert remaining_actions(gateway, EXAMPLE_SPECS) == []
    assert list(sent_events(gateway).values()) == [1]


def test_dry_run_sends_no_write(sandbox: RunningSandbox) -> None:
    gateway = gateway_for(sandbox)
    plan, live = plan_for(gateway, EXAMPLE_SPECS)
    before = sandbox.stats()
    requests = planned_requests(plan, live)
    after = sandbox.stats()
    assert len([r for r in requests if r.method != "GET"]) == 13
    assert before["writes"] == after["writes"] == 0
    assert after["total"] == before["total"]  # a dry run reads nothing beyond the plan's own read


V1 = """
products:
  gold: {name: Gold}
  silver: {name: Silver}
prices:
  gold-usd: {product: gold, unit_amount: 1000, currency: usd, nickname: Gold monthly}
  silver-usd: {product: silver, unit_amount: 500, currency: usd}
customers:
  jenny: {name: Jenny Rosen, email: jenny@example.com}
  acme: {name: Acme, email: billing@acme.example.com}
tax_rates:
  vat: {display_name: VAT, percentage: 19, inclusive: false}
  old-rate: {display_name: Old, percentage: 5, inclusive: true}
coupons:
  partner: {name: Partner, percent_off: 10}
  old-coupon: {amount_off: 100, currency: usd}
invoices:
  draft-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    items:
      - {price: gold-usd, quantity: 1}
      - {key: fee, description: Setup fee, amount: 5000, currency: usd}
  to-delete:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    items: [{price: gold-usd}]
  sent-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: sent
    items: [{price: gold-usd}]
  paid-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: paid
    items: [{price: gold-usd}]
  void-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: void
    items: [{price: gold-usd}]
  bad-debt:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: uncollectible
    items: [{price: gold-usd}]
"""

# Updates everything updatable, replaces a price, edits a draft's items, and
# (with --prune) removes a product, its price, a customer and a draft.
V2 = """
products:
  gold: {name: Gold Plus}
prices:
  gold-usd: {product: gold, unit_amount: 1200, currency: usd, nickname: Gold monthly}
customers:
  jenny: {name: Jenny Rosen, email: jenny.rosen@example.com, tax_ids: [{type: eu_vat, value: DE123456789}]}
tax_rates:
  vat: {display_name: VAT (DE), percentage: 19, inclusive: false}
coupons:
  partner: {name: Partner 10%, percent_off: 10}
invoices:
  draft-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    description: Edited draft
    items:
      - {key: fee, description: Setup fee (one-off), amount: 4000, currency: usd}
      - {key: extra, description: Extra, amount: 700, currency: usd}
  sent-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: sent
    items: [{price: gold-usd}]
  paid-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: paid
    items: [{price: gold-usd}]
  void-1:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: void
    items: [{price: gold-usd}]
  bad-debt:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: uncollectible
    items: [{price: gold-usd}]
"""

# A new VAT ID: Stripe's tax IDs never change, so the old one is removed and the new one added.
V3 = V2.replace("nickname: Gold monthly", "nickname: Gold per month").replace("DE123456789", "DE999999999")


# Objects someone made before the tool came (see seed_unmanaged), adopted in
# every version: V1 adopts them, later versions keep `adopt:` as a record.
ADOPTED = """
products:
  bronze: {name: Bronze, adopt: PRODUCT_ID}
prices:
  bronze-usd: {product: bronze, unit_amount: 300, currency: usd, adopt: PRICE_ID}
customers:
  dana: {name: Dana Scully, adopt: CUSTOMER_ID}
tax_rates:
  gst: {display_name: GST, percentage: 10, inclusive: false, adopt: TAX_RATE_ID}
coupons:
  welcome: {name: Welcome, percent_off: 5, adopt: COUPON_ID}
invoices:
  dana-draft:
    customer: dana
    collection_method: send_invoice
    days_until_due: 30
    adopt: INVOICE_ID
    items: [{price: bronze-usd, quantity: 2}]
"""


def seed_unmanaged(client: stripe.StripeClient) -> dict[str, str]:
    """A product, price, customer, draft invoice, tax rate and coupon made as in the Dashboard (no tags)."""
    product = client.v1.products.create(params={"name": "Bronze"})
    price = client.v1.prices.create(params={"product": product.id, "unit_amount": 300, "currency": "usd"})
    customer = client.v1.customers.create(params={"name": "Dana Scully"})
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30}
    )
    client.v1.invoice_items.create(
        params={"customer": customer.id, "invoice": invoice.id, "pricing": {"price": price.id}, "quantity": 2}
    )
    rate = client.v1.tax_rates.create(params={"display_name": "GST", "percentage": 10, "inclusive": False})
    coupon = client.v1.coupons.create(params={"name": "Welcome", "percent_off": 5})
    return {"PRODUCT_ID": product.id, "PRICE_ID": price.id, "CUSTOMER_ID": customer.id, "INVOICE_ID": invoice.id,
            "TAX_RATE_ID": rate.id, "COUPON_ID": coupon.id}


def with_adopted(text: str, ids: dict[str, str]) -> str:
    """`text` (a spec) merged with ADOPTED's entries, their ids filled in."""
    extra = yaml.safe_load(functools.reduce(lambda t, kv: t.replace(*kv), ids.items(), ADOPTED))
    merged = yaml.safe_load(text)
    for kind, entries in extra.items():
        merged.setdefault(kind, {}).update(entries)
    return yaml.safe_dump(merged, sort_keys=False)


def test_every_action_type_executes_and_converges(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    gateway = gateway_for(sandbox)
    ids = seed_unmanaged(stripe_client)
    seen: set[str] = set()
    for version, text in (("v1", V1), ("v2", V2), ("v3", V3)):
        specs = write_specs(tmp_path / version, with_adopted(text, ids))
        plan, result = plan_and_apply(gateway, specs, prune=version != "v1")
        assert result.ok, (version, result.lines())
        seen.update(a.name for a in plan.actions)
        assert remaining_actions(gateway, specs, prune=True) == [], version
    # A run stopped between the send and its `done` marker: the next run completes the marker.
    sent_id = read_live(gateway).invoices["sent-1"].id
    stripe_client.v1.invoices.update(sent_id, {"metadata": {SEND_KEY: SEND_REQUESTED}})
    plan, result = plan_and_apply(gateway, specs, prune=True)
    assert [a.name for a in plan.actions] == ["RecordSend"] and result.ok, result.lines()
    seen.update(a.name for a in plan.actions)
    assert read_live(gateway).invoices["sent-1"].send_marker == SEND_DONE
    assert remaining_actions(gateway, specs, prune=True) == []
    # A checkout saved Jenny's card: a charge_automatically invoice with status paid charges it.
    jenny = read_live(gateway).customers["jenny"].id
    card = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": jenny})
    stripe_client.v1.customers.update(jenny, {"invoice_settings": {"default_payment_method": card.id}})
    charged = yaml.safe_load(with_adopted(V3, ids))
    charged["invoices"]["charged-1"] = {"customer": "jenny", "collection_method": "charge_automatically",
                                        "status": "paid", "items": [{"price": "gold-usd"}]}
    specs = write_specs(tmp_path / "v4", yaml.safe_dump(charged, sort_keys=False))
    plan, result = plan_and_apply(gateway, specs, prune=True)
    assert result.ok, result.lines()
    seen.update(a.name for a in plan.actions)
    assert read_live(gateway).invoices["charged-1"].status == "paid"
    assert remaining_actions(gateway, specs, prune=True) == []
    assert sum(sent_events(gateway).values()) == 1
    # The sent invoice corrected by a revision (`revise: true`): its replacement is emailed, once.
    charged["invoices"]["sent-1"].update(revise=True, items=[{"price": "gold-usd", "quantity": 2}])
    specs = write_specs(tmp_path / "v5", yaml.safe_dump(charged, sort_keys=False))
    plan, result = plan_and_apply(gateway, specs, prune=True)
    assert result.ok, result.lines()
    seen.update(a.name for a in plan.actions)
    assert read_live(gateway).invoices["sent-1"].from_invoice == sent_id
    assert remaining_actions(gateway, specs, prune=True) == []
    seen |= _credit_notes(gateway, stripe_client, charged, ids, tmp_path)
    assert sorted({cls.name for cls in ALL_ACTIONS} - seen) == []
    assert duplicates(gateway) == []
    assert sum(sent_events(gateway).values()) == 2


def test_apply_creates_exactly_the_spec_objects(sandbox: RunningSandbox) -> None:
    gateway = gateway_for(sandbox)
    _, result = plan_and_apply(gateway, EXAMPLE_SPECS)
    assert result.ok, result.lines()
    assert object_counts(gateway) == {
        "/v1/products": 1,
        "/v1/prices": 1,
        "/v1/customers": 2,
        "/v1/invoices": 2,
        "/v1/invoiceitems": 3,
    }


def _credit_notes(
    gateway: StripeGateway, client: stripe.StripeClient, specs: dict[str, Any], ids: dict[str, str], tmp_path: Path
) -> set[str]:
    """Credit notes: a refund by line on the charged invoice and the adoption of one a colleague
    issued on the sent one; then a memo change and a void. The action names planned."""
    sent = read_live(gateway).invoices["sent-1"].id
    made = client.v1.credit_notes.create({"invoice": sent, "amount": 100, "reason": "order_change"})
    specs["credit_notes"] = {
        "charged-1-refund": {"invoice": "charged-1", "lines": [{"item": "gold-usd", "amount": 300}],
                             "refund_amount": 300, "reason": "product_unsatisfactory"},
        "sent-1-goodwill": {"invoice": "sent-1", "amount": 100, "reason": "order_change", "adopt": made.id},
    }
    seen: set[str] = set()
    for version in ("v5", "v6"):
        if version == "v6":
            specs["credit_notes"]["charged-1-refund"]["memo"] = "Late delivery"
            specs["credit_notes"]["sent-1-goodwill"]["status"] = "void"
        path = write_specs(tmp_path / version, yaml.safe_dump(specs, sort_keys=False))
        plan, result = plan_and_apply(gateway, path, prune=True)
        assert result.ok, (version, result.lines())
        seen.update(a.name for a in plan.actions)
        assert remaining_actions(gateway, path, prune=True) == [], version
    live = read_live(gateway)
    refund = live.credit_notes["charged-1-refund"]
    assert (refund.refund_amount, refund.memo, refund.status) == (300, "Late delivery", "issued")
    assert live.credit_notes["sent-1-goodwill"].status == "void"
    assert live.invoices["sent-1"].amount_remaining == live.invoices["sent-1"].total
    return seen
