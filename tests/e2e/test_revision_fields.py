"""A revision of an invoice with invoice-level tax rates, a coupon, a date of issue and an account
tax ID (review R21): the revision is finalized as the plan said (Stripe's totals equal the plan's
amounts), the next plan is empty and the customer gets exactly one more email."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import stripe
from sdk_client import sdk_client

from reconciler.ownership import OWNER_KEY
from reconciler.sandbox import RunningSandbox
from tests.e2e.test_cli import on, run

SPECS = """
customers:
  acme: {name: Acme GmbH, email: billing@acme.example}
tax_rates:
  vat: {display_name: VAT, percentage: 19, inclusive: false, country: DE}
coupons:
  p10: {name: Partner 10%, percent_off: 10}
invoices:
  i1:
    customer: acme
    days_until_due: 30
    status: sent
    revise: true
    discounts: [p10]
    default_tax_rates: [vat]
    effective_at: ISSUED
    account_tax_ids: [OURS]
    items: [{key: a, description: Platform, amount: AMOUNT, currency: usd}]
"""
# The fields a revision's draft must carry for the customer to be billed what the plan says.
NAMED = {"default_tax_rates", "discounts", "effective_at", "account_tax_ids"}


def _write(tmp_path: Path, *, amount: int, issued: dt.date, ours: str) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir(exist_ok=True)
    text = SPECS.replace("AMOUNT", str(amount)).replace("ISSUED", issued.isoformat()).replace("OURS", ours)
    (folder / "specs.yaml").write_text(text, encoding="utf-8")
    return folder


def _invoices(client: stripe.StripeClient) -> list[stripe.Invoice]:
    found = client.v1.invoices.list({"limit": 100, "expand": ["data.discounts"]}).data
    return sorted((i for i in found if i.metadata.to_dict().get(OWNER_KEY) == "i1"), key=lambda i: bool(i.from_invoice))


def _sends(client: stripe.StripeClient) -> list[str]:
    return sorted(e.data.object["id"] for e in client.v1.events.list({"type": "invoice.sent", "limit": 100}).data)


def _figures(invoice: stripe.Invoice) -> dict[str, Any]:
    return {
        "subtotal": invoice.subtotal,
        "total": invoice.total,
        "tax": sum(t.amount for t in invoice.total_taxes or []),
        "discount": sum(d.amount for d in invoice.total_discount_amounts or []),
    }


def test_a_revision_keeps_the_invoice_level_taxes_coupon_date_and_tax_id(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = sdk_client(sandbox.url)
    ours = sandbox.seed_account_tax_id("eu_vat", "DE987654321")
    issued = dt.datetime.fromtimestamp(sandbox.advance_clock(0), dt.UTC).date() - dt.timedelta(days=3)
    specs = _write(tmp_path, amount=1000, issued=issued, ours=ours)
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    (original,) = _invoices(client)
    assert _sends(client) == [original.id]

    _write(tmp_path, amount=2000, issued=issued, ours=ours)
    text = run("plan", str(specs), *on(sandbox))
    assert "~ update invoice i1 (the revision)  # the spec's invoice fields, set on the revision" in text.output, text.output
    planned = run("plan", str(specs), *on(sandbox), "--format", "json")
    assert planned.exit_code == 0, planned.output
    document = json.loads(planned.output)
    (update,) = [a for a in document["actions"] if a["type"] == "UpdateInvoice"]
    # Set on the revision though the spec does not change them: whatever Stripe copied.
    assert NAMED <= {c["field"] for c in update["changes"]}
    (amounts,) = [t["amounts"] for t in document["invoice_totals"] if t["invoice"] == "i1"]

    applied = run("apply", str(specs), *on(sandbox), "--yes")
    assert applied.exit_code == 0, applied.output
    first, revision = _invoices(client)
    assert (first.id, first.status, revision.status) == (original.id, "void", "open")
    assert _figures(revision) == {
        "subtotal": amounts["subtotal"], "total": amounts["total"],
        "tax": sum(t["amount"] for t in amounts["taxes"]),
        "discount": sum(d["amount"] for d in amounts["discounts"]),
    }
    assert (revision.subtotal, revision.total) == (2000, 2142)  # 2000 - 10 % = 1800, + 19 % VAT = 2142
    assert revision.account_tax_ids == [ours]
    assert dt.datetime.fromtimestamp(revision.effective_at, dt.UTC).date() == issued
    assert _sends(client) == sorted([original.id, revision.id])  # exactly one more email
    again = run("plan", str(specs), *on(sandbox), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
