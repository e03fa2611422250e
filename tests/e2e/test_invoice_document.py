"""What an invoice document says (issue 18), through the CLI against the sandbox: due date, custom
fields, date of issue, PDF rendering and service periods reach the finalized invoice as the SDK
reads it; the plan is empty afterwards; what Stripe lets change on an open invoice is an update."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import stripe

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_shared_account import managed, run

DAY = 86_400


def _day(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date()


def write_invoice(specs: Path, today: dt.date, *, po: str = "PO-4471", page_size: str = "a4") -> Path:
    specs.mkdir(exist_ok=True)
    due, start, end = today + dt.timedelta(days=30), today - dt.timedelta(days=30), today - dt.timedelta(days=1)
    (specs / "acme.yaml").write_text(
        "customers:\n  acme:\n    name: Acme Inc.\n    email: ap@acme.example\n"
        "invoices:\n  acme-2026-11:\n    customer: acme\n"
        f"    due_date: {due.isoformat()}\n"
        f"    effective_at: {today.isoformat()}\n"
        f"    custom_fields:\n      - {{name: PO number, value: {po}}}\n      - {{name: Vendor ID, value: V-99812}}\n"
        f"    rendering: {{amount_tax_display: exclude_tax, pdf: {{page_size: {page_size}}}}}\n"
        "    status: open\n"
        "    items:\n      - description: Platform\n        amount: 120000\n        currency: usd\n"
        f"        period: {{start: {start.isoformat()}, end: {end.isoformat()}}}\n"
    )
    return specs


def _ok(sandbox: RunningSandbox, *args: str) -> str:
    result = run(sandbox, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_document_field_is_on_the_finalized_invoice_and_the_plan_is_empty_after(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    today = _day(int(sandbox.advance_clock(0)))
    specs = write_invoice(tmp_path / "specs", today)
    _ok(sandbox, "apply", str(specs), "--yes")
    invoice = stripe_client.v1.invoices.retrieve(managed(stripe_client, "invoice", "acme-2026-11")["id"])
    assert invoice.status == "open"
    assert _day(invoice.due_date) == today + dt.timedelta(days=30)
    assert invoice.effective_at is not None and _day(invoice.effective_at) == today
    assert [(f.name, f.value) for f in invoice.custom_fields or []] == [("PO number", "PO-4471"), ("Vendor ID", "V-99812")]
    assert invoice.rendering is not None and invoice.rendering.pdf is not None
    assert (invoice.rendering.amount_tax_display, invoice.rendering.pdf.page_size) == ("exclude_tax", "a4")
    (line,) = invoice.lines.data
    assert (_day(line.period.start), _day(line.period.end)) == (today - dt.timedelta(days=30), today - dt.timedelta(days=1))
    assert run(sandbox, "plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_custom_fields_and_rendering_of_an_open_invoice_are_an_ordinary_update(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    today = _day(int(sandbox.advance_clock(0)))
    specs = write_invoice(tmp_path / "specs", today)
    _ok(sandbox, "apply", str(specs), "--yes")
    write_invoice(specs, today, po="PO-5000", page_size="letter")
    plan = _ok(sandbox, "plan", str(specs))
    assert "update invoice acme-2026-11" in plan, plan
    _ok(sandbox, "apply", str(specs), "--yes")
    invoice = managed(stripe_client, "invoice", "acme-2026-11")
    assert invoice["custom_fields"][0]["value"] == "PO-5000"
    assert invoice["rendering"]["pdf"]["page_size"] == "letter"
    assert run(sandbox, "plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_a_plan_applied_after_its_due_date_passed_is_refused_and_the_invoice_is_held(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    today = _day(int(sandbox.advance_clock(0)))
    specs = write_invoice(tmp_path / "specs", today)
    saved = tmp_path / "plan.json"
    _ok(sandbox, "plan", str(specs), "--out", str(saved))
    sandbox.advance_clock(31 * DAY)  # the reviewed plan is applied a month later
    late = run(sandbox, "apply", "--plan", str(saved), "--yes")
    assert late.exit_code == 1, late.output
    assert "reviewed but no longer planned: finalize invoice acme-2026-11" in late.output
    assert stripe_client.v1.customers.list().data == []  # nothing was written
    due = (today + dt.timedelta(days=30)).isoformat()
    replanned = run(sandbox, "plan", str(specs))
    assert replanned.exit_code == 3, replanned.output
    assert f"invoice acme-2026-11: due_date {due} is not in the future" in replanned.output
