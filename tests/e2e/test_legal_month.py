"""Issue 18's "Done when": the month in examples/legal-month — an EU customer with address, VAT ID and an
A4 invoice carrying our tax ID; a US customer whose invoice carries a PO number and vendor ID as custom
fields and a service period on each line; a due date instead of net days — validates, plans readably,
applies to the sandbox with every field visible through the SDK on the finalized invoices, and plans
empty afterwards."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import stripe

from reconciler.sandbox import RunningSandbox
from tests.cli_runner import invoke
from tests.e2e.test_shared_account import managed, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "legal-month"


def _day(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date()


def _month(sandbox: RunningSandbox, tmp_path: Path) -> tuple[Path, str, dt.date]:
    """The example, with our seeded VAT ID's id and a due date 30 days after the sandbox's today."""
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLE, specs)
    ours = sandbox.seed_account_tax_id("eu_vat", "DE987654321")
    due = _day(int(sandbox.advance_clock(0))) + dt.timedelta(days=30)
    invoices = specs / "invoices.yaml"
    text = invoices.read_text().replace("txi_OURVATID", ours).replace("due_date: 2027-01-15", f"due_date: {due}")
    invoices.write_text(text)
    return specs, ours, due


def test_the_example_month_validates_as_written() -> None:
    result = invoke(["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output == "OK: 3 files, 2 products, 3 prices, 2 customers, 2 invoices\n"


def test_the_legal_month_applies_with_every_field_on_the_finalized_invoices(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs, ours, due = _month(sandbox, tmp_path)
    plan = run(sandbox, "plan", str(specs))
    assert plan.exit_code == 0, plan.output
    for shown in ("tax_id_data", "due_date = ", "custom_fields = ", "for 2026-11-01..2026-11-30",
                  'rendering.pdf.page_size = "a4"', "address.country = \"DE\"",
                  # what the finalize prints on it: the customer's billing identity, in Customers will notice
                  "billed to Friedrichstr. 123, 10117 Berlin, DE; eu_vat DE123456789"):  # fmt: skip
        assert shown in plan.output, (shown, plan.output)
    applied = run(sandbox, "apply", str(specs), "--yes")
    assert applied.exit_code == 0, applied.output

    berlin = stripe_client.v1.invoices.retrieve(managed(stripe_client, "invoice", "berlin-gmbh-2026-11")["id"])
    assert berlin.status == "open" and berlin.number is not None and berlin.number.startswith("BERL-")
    assert berlin.customer_address is not None and berlin.customer_address.country == "DE"
    assert berlin.customer_address.line1 == "Friedrichstr. 123"
    assert [(t.type, t.value) for t in berlin.customer_tax_ids or []] == [("eu_vat", "DE123456789")]
    assert berlin.customer_tax_exempt == "reverse"
    assert berlin.account_tax_ids == [ours]
    assert berlin.rendering is not None and berlin.rendering.pdf is not None and berlin.rendering.pdf.page_size == "a4"
    assert berlin.due_date is not None and _day(berlin.due_date) == due
    assert berlin.effective_at is not None and _day(berlin.effective_at) == dt.date(2026, 12, 1)
    (line,) = berlin.lines.data
    assert (_day(line.period.start), _day(line.period.end)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))

    acme = stripe_client.v1.invoices.retrieve(managed(stripe_client, "invoice", "acme-corp-2026-11")["id"])
    assert acme.status == "open" and acme.customer_address is not None and acme.customer_address.state == "CA"
    assert [(f.name, f.value) for f in acme.custom_fields or []] == [("PO number", "PO-4471"), ("Vendor ID", "V-99812")]
    assert acme.footer == "Questions? billing@our-saas.example"
    periods = {(_day(li.period.start), _day(li.period.end)) for li in acme.lines.data}
    assert periods == {(dt.date(2026, 11, 1), dt.date(2026, 11, 30))} and len(acme.lines.data) == 2

    assert run(sandbox, "plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_a_new_vat_id_is_a_removal_and_an_addition_and_the_sent_invoice_keeps_the_old(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs, _, _ = _month(sandbox, tmp_path)
    assert run(sandbox, "apply", str(specs), "--yes").exit_code == 0
    customers = specs / "customers.yaml"
    customers.write_text(customers.read_text().replace("DE123456789", "DE111111111"))
    plan = run(sandbox, "plan", str(specs))
    assert plan.exit_code == 0, plan.output
    assert "- remove tax ID eu_vat txi_" in plan.output and '+ add tax ID "eu_vat" "DE111111111"' in plan.output
    assert "keeps the old tax IDs" in plan.output, plan.output
    assert run(sandbox, "apply", str(specs), "--yes").exit_code == 0
    customer = stripe_client.v1.customers.retrieve(managed(stripe_client, "customer", "berlin-gmbh")["id"],
                                                  params={"expand": ["tax_ids"]})  # fmt: skip
    assert [t.value for t in customer.tax_ids.data] == ["DE111111111"]  # type: ignore[union-attr]
    invoice = managed(stripe_client, "invoice", "berlin-gmbh-2026-11")
    assert [t["value"] for t in invoice["customer_tax_ids"]] == ["DE123456789"]  # frozen at finalization
    assert run(sandbox, "plan", str(specs), "--detailed-exitcode").exit_code == 0


def test_an_account_tax_id_the_account_lacks_holds_that_invoice_before_anything_is_written(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    # Review R11: as written (txi_OURVATID), the create failed at apply with Stripe's "No such tax ID".
    specs, ours, _ = _month(sandbox, tmp_path)
    invoices = specs / "invoices.yaml"
    invoices.write_text(invoices.read_text().replace(ours, "txi_OURVATID"))
    result = run(sandbox, "apply", str(specs), "--yes")
    assert result.exit_code == 3, result.output
    assert f"account_tax_ids: no tax ID txi_OURVATID in the account (it has {ours})" in result.output
    assert "FAILED" not in result.output
    keys = [i.metadata.to_dict().get("reconciler_id") for i in stripe_client.v1.invoices.list().data]
    assert "berlin-gmbh-2026-11" not in keys and len(keys) == 1  # the US invoice went on
