"""Issue 19's "done when": taxes, coupons, a credit line, yen and a customer's credit balance, each
applied to the sandbox with Stripe's (sandbox) totals equal to the amounts the plan showed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_cli import managed_customer, on, run

SPECS = """
customers:
  berlin: {name: Berliner Analytik GmbH, email: billing@berlin.example.com}
  tokyo: {name: Tokyo KK, email: billing@tokyo.example.com}
  credited: {name: Credited Ltd, email: billing@credited.example.com}
tax_rates:
  de-vat-19: {display_name: MwSt., percentage: 19, inclusive: false, country: DE}
  de-vat-19-incl: {display_name: MwSt. inkl., percentage: 19, inclusive: true, country: DE}
  jp-ct-10: {display_name: JCT, percentage: 10, inclusive: false, country: JP, tax_type: jct}
coupons:
  partner-10: {name: Partner 10%, percent_off: 10}
  goodwill-5: {name: Goodwill, amount_off: 500, currency: eur}
invoices:
  vat-exclusive:
    customer: berlin
    days_until_due: 30
    status: open
    default_tax_rates: [de-vat-19]
    items: [{description: Platform, amount: 123456, currency: eur}]
  vat-inclusive:
    customer: berlin
    days_until_due: 30
    items: [{description: Seats, amount: 11900, currency: eur, tax_rates: [de-vat-19-incl]}]
  partner:
    customer: berlin
    days_until_due: 30
    discounts: [partner-10]
    default_tax_rates: [de-vat-19]
    items:
      - {description: Platform, amount: 5555, currency: eur}
      - {description: Support, amount: 3333, currency: eur}
  goodwill:
    customer: berlin
    days_until_due: 30
    discounts: [goodwill-5]
    items:
      - {description: Platform, amount: 10000, currency: eur}
      - {description: Goodwill credit, amount: -2500, currency: eur}
  yen:
    customer: tokyo
    days_until_due: 30
    status: open
    default_tax_rates: [jp-ct-10]
    items: [{description: Consulting, amount: 12345, currency: jpy}]
  with-credit:
    customer: credited
    days_until_due: 30
    status: open
    default_tax_rates: [de-vat-19]
    items: [{description: Platform, amount: 1000, currency: eur}]
"""


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir(exist_ok=True)
    (folder / "specs.yaml").write_text(text, encoding="utf-8")
    return folder


def _by_key(client: stripe.StripeClient) -> dict[str, stripe.Invoice]:
    found = client.v1.invoices.list({"limit": 100, "expand": ["data.discounts"]}).data
    return {i.metadata.to_dict()["reconciler_id"]: i for i in found if "reconciler_id" in i.metadata.to_dict()}


def _sandbox_figures(client: stripe.StripeClient, invoice: stripe.Invoice) -> dict[str, Any]:
    rates = {r.id: r.metadata.to_dict()["reconciler_id"] for r in client.v1.tax_rates.list({"limit": 100}).data}
    # The invoice's discounts came expanded (_by_key): discount -> coupon -> spec key.
    discounts = {d.id: str(d.source.coupon) for d in invoice.discounts if not isinstance(d, str)}
    coupon_keys = {c.id: c.metadata.to_dict().get("reconciler_id") for c in client.v1.coupons.list({"limit": 100}).data}
    return {
        "subtotal": invoice.subtotal,
        "total": invoice.total,
        "taxes": sorted((rates[t.tax_rate_details.tax_rate], t.amount) for t in invoice.total_taxes or []
                        if t.tax_rate_details is not None),
        "discounts": sorted((coupon_keys[discounts[str(d.discount)]], d.amount)
                            for d in invoice.total_discount_amounts or [] if d.amount),
    }


def test_the_sandbox_computes_what_the_plan_showed(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = sdk_client(sandbox.url)
    # The customers first, so one of them can hold a credit balance before the invoices are planned.
    customers_only = SPECS.split("tax_rates:")[0]
    assert run("apply", str(_write(tmp_path, customers_only)), *on(sandbox), "--yes").exit_code == 0
    credited = managed_customer(client, "credited")
    client.v1.customers.balance_transactions.create(credited.id, {"amount": -300, "currency": "eur"})

    specs = _write(tmp_path, SPECS)
    planned = run("plan", str(specs), *on(sandbox), "--format", "json")
    assert planned.exit_code == 0, planned.output
    shown = {t["invoice"]: t["amounts"] for t in json.loads(planned.output)["invoice_totals"] if "amounts" in t}
    assert set(shown) == {"vat-exclusive", "vat-inclusive", "partner", "goodwill", "yen", "with-credit"}
    applied = run("apply", str(specs), *on(sandbox), "--yes")
    assert applied.exit_code == 0, applied.output

    invoices = _by_key(client)
    for key, amounts in shown.items():
        planned_figures = {
            "subtotal": amounts["subtotal"], "total": amounts["total"],
            "taxes": sorted((t["tax_rate"], t["amount"]) for t in amounts["taxes"]),
            "discounts": sorted((d["coupon"], d["amount"]) for d in amounts["discounts"] if d["amount"]),
        }
        assert _sandbox_figures(client, invoices[key]) == planned_figures, key
        if amounts["amount_due"] is not None:
            invoice = invoices[key]
            assert (invoice.starting_balance, invoice.ending_balance, invoice.amount_due) == (
                amounts["starting_balance"], amounts["ending_balance"], amounts["amount_due"]), key
    assert (invoices["with-credit"].amount_due, invoices["yen"].total) == (1190 - 300, 13580)
    assert run("plan", str(specs), *on(sandbox), "--detailed-exitcode").exit_code == 0


def test_a_changed_rate_or_coupon_is_replaced_and_the_drafts_follow(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = sdk_client(sandbox.url)
    specs = _write(tmp_path, SPECS)
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    before = _by_key(client)["partner"]
    changed = _write(tmp_path, SPECS.replace("percent_off: 10}", "percent_off: 15}").replace(
        "de-vat-19: {display_name: MwSt., percentage: 19,", "de-vat-19: {display_name: MwSt., percentage: 7,"))
    planned = run("plan", str(changed), *on(sandbox))
    assert "a Stripe coupon cannot change percent_off: replaces partner-10-" in planned.output, planned.output
    assert "a Stripe tax rate cannot change percentage: replaces " in planned.output
    applied = run("apply", str(changed), *on(sandbox), "--yes")
    assert applied.exit_code == 0, applied.output
    after = _by_key(client)
    # The draft follows: the new 15% coupon and 7% rate (8888 - 1333 = 7555; 7% of it 529).
    assert (after["partner"].id, after["partner"].total) == (before.id, 7555 + 529)
    # The finalized invoice keeps the 19% it was issued with.
    assert after["vat-exclusive"].total == 123456 + 23457
    settled = run("plan", str(changed), *on(sandbox), "--detailed-exitcode")
    assert settled.exit_code == 0, settled.output


STRIPE_TAX = """
customers:
  berlin: {name: Berliner Analytik GmbH, email: billing@berlin.example.com, address: {country: DE}}
  nowhere: {name: Nowhere Ltd, email: billing@nowhere.example.com}
invoices:
  taxed-by-stripe:
    customer: berlin
    days_until_due: 30
    status: open
    automatic_tax: {enabled: true}
    items: [{description: Platform, amount: 10000, currency: eur}]
"""


def test_stripe_tax_is_left_to_stripe_and_needs_a_location(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = sdk_client(sandbox.url)
    specs = _write(tmp_path, STRIPE_TAX)
    planned = run("plan", str(specs), *on(sandbox))
    assert "tax computed by Stripe at finalization" in planned.output, planned.output
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    invoice = _by_key(client)["taxed-by-stripe"]
    assert (invoice.status, invoice.automatic_tax.enabled, invoice.automatic_tax.status) == ("open", True, "complete")
    assert run("plan", str(specs), *on(sandbox), "--detailed-exitcode").exit_code == 0
    nowhere = STRIPE_TAX.split("invoices:")[1].replace("taxed-by-stripe", "taxed-nowhere").replace("berlin", "nowhere")
    unplaced = _write(tmp_path, STRIPE_TAX + nowhere)
    refused = run("plan", str(unplaced), *on(sandbox))
    assert refused.exit_code == 1
    assert "Stripe Tax cannot place customer nowhere: it has no address with a country" in refused.output
