"""Import reads tax rates, coupons and an invoice's rates, discounts and credit lines into specs that
plan only adoptions, and nothing once adopted (round-trip)."""

from __future__ import annotations

from pathlib import Path

import stripe

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_import import load, run


def test_rates_coupons_and_an_invoices_discounts_round_trip(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    client = stripe_client
    vat = client.v1.tax_rates.create({"display_name": "MwSt.", "percentage": 19, "inclusive": False})
    reduced = client.v1.tax_rates.create({"display_name": "MwSt. reduziert", "percentage": 7, "inclusive": False})
    partner = client.v1.coupons.create({"name": "Partner", "percent_off": 10})
    customer = client.v1.customers.create({"name": "Berliner Analytik", "email": "billing@berlin.example.com"})
    invoice = client.v1.invoices.create({
        "customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30, "currency": "eur",
        "default_tax_rates": [vat.id], "discounts": [{"coupon": partner.id}],
    })
    items = client.v1.invoice_items
    items.create({"invoice": invoice.id, "amount": 10000, "currency": "eur", "description": "Platform"})
    items.create({"invoice": invoice.id, "amount": 2000, "currency": "eur", "description": "Books",
                  "tax_rates": [reduced.id]})
    items.create({"invoice": invoice.id, "amount": -500, "currency": "eur", "description": "Goodwill credit"})

    out = tmp_path / "specs"
    imported = run(sandbox, "import", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    specs = load(out)
    rate_keys = {entry["adopt"]: key for key, entry in specs["tax_rates"].items()}
    (coupon_key,) = specs["coupons"]
    (entry,) = specs["invoices"].values()
    assert entry["default_tax_rates"] == [rate_keys[vat.id]] and entry["discounts"] == [coupon_key]
    assert entry["items"][1]["tax_rates"] == [rate_keys[reduced.id]]
    assert entry["items"][2]["amount"] == -500 and "tax_rates" not in entry["items"][0]

    planned = run(sandbox, "plan", str(out), "--detailed-exitcode")
    steps = [line for line in planned.output.splitlines() if line[:2] in ("+ ", "~ ", "- ", "> ") and line[2] != " "]
    assert steps and all(line.startswith("~ adopt ") for line in steps), planned.output
    assert run(sandbox, "apply", str(out), "--yes").exit_code == 0
    settled = run(sandbox, "plan", str(out), "--detailed-exitcode")
    assert settled.exit_code == 0, settled.output
