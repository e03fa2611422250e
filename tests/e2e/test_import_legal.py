"""`reconciler import` round-trips what issue 18 added: a customer's address, shipping, locales, tax
exemption, invoice defaults and tax IDs, and an invoice's custom fields, date of issue, rendering,
account tax IDs and service periods — import -> validate -> plan (only adoptions) -> apply -> no changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import stripe

from reconciler.sandbox import RunningSandbox
from tests.cli_runner import invoke
from tests.e2e.test_import import load, run

NOON = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def _by_hand(client: stripe.StripeClient, ours: str) -> tuple[str, str]:
    customer = client.v1.customers.create(params={
        "name": "Berliner Analytik GmbH", "email": "ap@berlin.example",
        "address": {"line1": "Friedrichstr. 123", "postal_code": "10117", "city": "Berlin", "country": "DE"},
        "shipping": {"name": "Lager", "address": {"city": "Potsdam", "country": "DE"}},
        "preferred_locales": ["de"], "tax_exempt": "reverse", "invoice_prefix": "BERL",
        "invoice_settings": {"footer": "Danke", "rendering_options": {"amount_tax_display": "exclude_tax"}},
        "tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}],
    })  # fmt: skip
    start = int(NOON.timestamp())
    invoice = client.v1.invoices.create(params={
        "customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30, "currency": "eur",
        "custom_fields": [{"name": "PO number", "value": "PO-4471"}], "effective_at": start + 29 * 86_400,
        "rendering": {"pdf": {"page_size": "a4"}}, "account_tax_ids": [ours],
    })  # fmt: skip
    client.v1.invoice_items.create(params={
        "customer": customer.id, "invoice": invoice.id, "amount": 120000, "currency": "eur",
        "description": "Platform", "period": {"start": start, "end": start + 29 * 86_400},
    })  # fmt: skip
    client.v1.invoices.finalize_invoice(invoice.id, params={"auto_advance": False})
    return customer.id, invoice.id


def test_the_legal_fields_import_and_plan_only_adoptions(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    ours = sandbox.seed_account_tax_id("eu_vat", "DE987654321")
    _, invoice_id = _by_hand(stripe_client, ours)
    out = tmp_path / "specs"
    imported = run(sandbox, "import", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    specs = load(out)
    (customer,) = specs["customers"].values()
    assert customer["address"] == {"line1": "Friedrichstr. 123", "city": "Berlin", "postal_code": "10117", "country": "DE"}
    assert customer["tax_ids"] == [{"type": "eu_vat", "value": "DE123456789"}]
    assert (customer["tax_exempt"], customer["invoice_prefix"], customer["preferred_locales"]) == ("reverse", "BERL", ["de"])
    (invoice,) = specs["invoices"].values()
    assert invoice["custom_fields"] == [{"name": "PO number", "value": "PO-4471"}]
    assert invoice["rendering"] == {"pdf": {"page_size": "a4"}} and invoice["account_tax_ids"] == [ours]
    assert invoice["effective_at"] == dt.date(2026, 11, 30)
    assert invoice["items"][0]["period"] == {"start": dt.date(2026, 11, 1), "end": dt.date(2026, 11, 30)}
    assert "custom_fields" not in imported.output  # expressed now, not named as left in Stripe

    assert invoke(["validate", str(out)]).exit_code == 0
    planned = run(sandbox, "plan", str(out))
    steps = [line for line in planned.output.splitlines() if line[:2] in ("+ ", "~ ", "- ", "> ") and line[2] != " "]
    assert steps and all(line.startswith("~ adopt ") for line in steps), planned.output
    assert run(sandbox, "apply", str(out), "--yes").exit_code == 0
    again = run(sandbox, "plan", str(out), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert stripe_client.v1.invoices.retrieve(invoice_id).status == "open"
