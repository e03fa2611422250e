"""Credit notes through the CLI against the sandbox (real SDK): a paid invoice refunded by line, an
open one whose amount remaining goes down, one paid out of band credited out of band; the plan
previews each; memo, void; other changes refused; a lost answer issues it once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import stripe
import yaml
from cli_runner import invoke
from click.testing import Result
from sdk_client import sdk_client

from reconciler.ownership import OWNER_KEY
from reconciler.runtime import Runtime
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

NO_WAIT = Runtime(sleep=lambda seconds: None)
BASE: dict[str, Any] = {
    "products": {"seat": {"name": "Seat"}},
    "prices": {"seat-usd": {"product": "seat", "unit_amount": 1000, "currency": "usd"}},
    "customers": {"acme": {"name": "Acme", "email": "billing@acme.example.com"}},
    "invoices": {
        "carded": {"customer": "acme", "collection_method": "charge_automatically", "status": "paid",
                   "items": [{"price": "seat-usd", "quantity": 3}]},
        "owed": {"customer": "acme", "collection_method": "send_invoice", "days_until_due": 30, "status": "sent",
                 "items": [{"price": "seat-usd", "quantity": 3}]},
        "settled": {"customer": "acme", "collection_method": "send_invoice", "days_until_due": 30,
                    "status": "paid", "items": [{"price": "seat-usd", "quantity": 3}]},
    },
}
NOTES: dict[str, Any] = {
    "carded-seat": {"invoice": "carded", "lines": [{"item": "seat-usd", "quantity": 1}], "refund_amount": 1000,
                    "reason": "order_change"},
    "owed-discount": {"invoice": "owed", "lines": [{"description": "Goodwill", "amount": 500}]},
    "settled-outside": {"invoice": "settled", "amount": 700, "out_of_band_amount": 700, "email_type": "none"},
}


def run(sandbox: RunningSandbox, *args: str) -> Result:
    return invoke([args[0], *args[1:], "--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url], obj=NO_WAIT)


def write(path: Path, notes: dict[str, Any] | None = None) -> Path:
    spec = dict(BASE, credit_notes=notes) if notes else BASE
    path.mkdir(parents=True, exist_ok=True)
    (path / "specs.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def invoices(client: stripe.StripeClient) -> dict[str, stripe.Invoice]:
    return {i.metadata.to_dict()[OWNER_KEY]: i for i in client.v1.invoices.list({"limit": 100}).data}


def _billed(sandbox: RunningSandbox, tmp_path: Path) -> stripe.StripeClient:
    """The three invoices applied: one charged to Acme's card, one sent, one paid out of band."""
    client = sdk_client(sandbox.url)
    customer = client.v1.customers.create({"name": "Acme", "metadata": {OWNER_KEY: "acme"}})
    card = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
    applied = run(sandbox, "apply", str(write(tmp_path / "v1")), "--yes")
    assert applied.exit_code == 0, applied.output
    return client


def test_paid_open_and_out_of_band_invoices_are_credited_as_previewed(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = _billed(sandbox, tmp_path)
    specs = write(tmp_path / "v2", NOTES)
    planned = run(sandbox, "plan", str(specs))
    assert planned.exit_code == 0, planned.output
    assert "Customers will notice:" in planned.output
    assert ("invoice carded credited ($10.00 USD refunded to their payment; the credit note emailed) — "
            "Acme <billing@acme.example.com>: $10.00 USD") in planned.output
    assert ("invoice owed credited (amount remaining $30.00 USD -> $25.00 USD; the credit note emailed)"
            in planned.output)
    assert "invoice settled credited ($7.00 USD credited outside Stripe; no email)" in planned.output
    before = client.v1.events.list({"limit": 1}).data[0].id
    applied = run(sandbox, "apply", str(specs), "--yes")
    assert applied.exit_code == 0, applied.output
    assert [e.type for e in client.v1.events.list({"ending_before": before, "limit": 100}).data].count(
        "credit_note.created") == 3
    now = invoices(client)
    assert (now["carded"].status, now["carded"].post_payment_credit_notes_amount) == ("paid", 1000)
    assert (now["owed"].status, now["owed"].amount_remaining, now["owed"].pre_payment_credit_notes_amount) == (
        "open", 2500, 500)
    assert now["settled"].post_payment_credit_notes_amount == 700
    (refund_note,) = client.v1.credit_notes.list({"invoice": now["carded"].id}).data
    (refund,) = refund_note.refunds
    assert client.v1.refunds.retrieve(str(refund.refund)).amount == 1000
    again = run(sandbox, "plan", str(specs), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_memo_and_void_apply_other_changes_name_the_way_out(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = _billed(sandbox, tmp_path)
    assert run(sandbox, "apply", str(write(tmp_path / "v2", NOTES)), "--yes").exit_code == 0
    changed = {**NOTES, "owed-discount": {**NOTES["owed-discount"], "memo": "Sorry for the delay",
                                          "status": "void"}}
    applied = run(sandbox, "apply", str(write(tmp_path / "v3", changed)), "--yes")
    assert applied.exit_code == 0, applied.output
    owed = invoices(client)["owed"]
    (note,) = client.v1.credit_notes.list({"invoice": owed.id}).data
    assert (note.memo, note.status, owed.amount_remaining) == ("Sorry for the delay", "void", 3000)
    frozen = {**NOTES, "carded-seat": {**NOTES["carded-seat"], "refund_amount": 500,
                                       "lines": [{"item": "seat-usd", "amount": 500}]}}
    refused = run(sandbox, "plan", str(write(tmp_path / "v4", frozen)))
    assert refused.exit_code == 1
    assert "credit note carded-seat" in refused.output and "void it (status: void) and issue a new one under a new key" \
        in refused.output


def test_a_refund_of_an_invoice_paid_out_of_band_is_refused_offline(tmp_path: Path) -> None:
    notes = {"settled-back": {"invoice": "settled", "amount": 700, "refund_amount": 700}}
    result = invoke(["validate", str(write(tmp_path / "v", notes))])
    assert result.exit_code == 1
    assert "is paid outside Stripe, so there is no payment to refund" in result.output
    assert "Traceback" not in result.output


def test_a_lost_answer_to_the_issue_is_retried_under_its_key_and_credits_once(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = _billed(sandbox, tmp_path)
    specs = write(tmp_path / "v2", {"carded-seat": NOTES["carded-seat"]})
    sandbox.set_faults(lose_response_rate=1.0)
    lost = run(sandbox, "apply", str(specs), "--yes")
    sandbox.set_faults(lose_response_rate=0.0)
    assert lost.exit_code != 0
    again = run(sandbox, "apply", str(specs), "--yes")
    assert again.exit_code == 0, again.output
    carded = invoices(client)["carded"]
    assert len(client.v1.credit_notes.list({"invoice": carded.id}).data) == 1
    assert carded.post_payment_credit_notes_amount == 1000
    assert run(sandbox, "plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_a_reviewed_plan_file_issues_its_credit_notes_and_status_shows_them(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = _billed(sandbox, tmp_path)
    specs = write(tmp_path / "v2", NOTES)
    plan_file = tmp_path / "plan.json"
    saved = run(sandbox, "plan", str(specs), "--out", str(plan_file))
    assert saved.exit_code == 0, saved.output
    applied = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert applied.exit_code == 0, applied.output
    assert len(client.v1.credit_notes.list({"limit": 10}).data) == 3
    again = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert again.exit_code == 0, again.output  # already applied: nothing issued twice
    assert len(client.v1.credit_notes.list({"limit": 10}).data) == 3
    status = run(sandbox, "status", str(specs), "--format", "json")
    assert status.exit_code == 0, status.output
    credited = {row["key"]: row["credited"] for row in json.loads(status.output)["invoices"]}
    assert credited == {"carded": 1000, "owed": 500, "settled": 700}


def test_a_line_of_a_taxed_invoice_is_credited_with_its_tax_as_previewed(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = sdk_client(sandbox.url)
    spec = {
        "tax_rates": {"vat": {"display_name": "VAT", "percentage": 19, "inclusive": False}},
        "products": BASE["products"], "prices": BASE["prices"], "customers": BASE["customers"],
        "invoices": {"taxed": {**BASE["invoices"]["owed"], "default_tax_rates": ["vat"]}},
    }
    folder = tmp_path / "taxed"
    folder.mkdir()
    (folder / "specs.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    assert run(sandbox, "apply", str(folder), "--yes").exit_code == 0
    spec["credit_notes"] = {"taxed-seat": {"invoice": "taxed", "lines": [{"item": "seat-usd", "quantity": 1}]}}
    (folder / "specs.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    planned = run(sandbox, "plan", str(folder))
    assert planned.exit_code == 0, planned.output
    assert "invoice taxed credited (amount remaining $35.70 USD -> $23.80 USD; the credit note emailed)" in planned.output
    assert run(sandbox, "apply", str(folder), "--yes").exit_code == 0
    assert invoices(client)["taxed"].amount_remaining == 2380
    assert run(sandbox, "plan", str(folder), "--detailed-exitcode").exit_code == 0
