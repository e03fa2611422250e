"""A real team's account (issue 22): identity that survives a metadata wipe,
customer details before the email, CI re-runs, conflicts that hold one object.

Every test drives the CLI against the sandbox through the real SDK; the other
actor (a colleague, another integration) acts through the SDK between runs.
"""

from __future__ import annotations

from pathlib import Path

import stripe
from click.testing import Result

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_shared_account import managed, run, send_calls, sends


def write_team(specs: Path, *, email: str = "billing@acme.example", status: str = "sent", extra: str = "") -> Path:
    """Customer acme with invoice acme-2026-11 (`status`), plus anything in `extra` (YAML lines)."""
    specs.mkdir(exist_ok=True)
    (specs / "acme.yaml").write_text(
        f"customers:\n  acme:\n    name: Acme\n    email: {email}\n"
        "invoices:\n  acme-2026-11:\n    customer: acme\n    days_until_due: 30\n"
        f"    status: {status}\n"
        "    items:\n      - description: Consulting\n        amount: 50000\n        currency: usd\n" + extra
    )
    return specs


def ok(result: Result, code: int = 0) -> Result:
    assert result.exit_code == code, result.output
    return result


def draft_then_new_email_and_sent(sandbox: RunningSandbox, tmp_path: Path) -> Path:
    """A draft applied; then one spec change: the customer's email, and the invoice to be sent."""
    specs = write_team(tmp_path / "specs", status="draft")
    ok(run(sandbox, "apply", str(specs), "--yes"))
    return write_team(specs, email="new@acme.example", status="sent")


# -- 2. customer details reach the invoice ------------------------------------


def test_a_failing_customer_update_holds_the_finalize_and_the_email(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = draft_then_new_email_and_sent(sandbox, tmp_path)
    sandbox.set_faults(fail_routes=[
        {"method": "POST", "path_prefix": "/v1/customers/{id}", "status": 400, "code": "email_invalid", "times": 1}
    ])
    failed = ok(run(sandbox, "apply", str(specs), "--yes"), 1)
    assert "depends on update customer acme, which failed" in failed.output, failed.output
    invoice = managed(stripe_client, "invoice", "acme-2026-11")
    assert invoice["status"] == "draft" and send_calls(sandbox) == 0  # neither finalized nor emailed
    # Once the customer update goes through, the invoice is finalized with the new address.
    ok(run(sandbox, "apply", str(specs), "--yes"))
    invoice = managed(stripe_client, "invoice", "acme-2026-11")
    assert invoice["status"] == "open" and invoice["customer_email"] == "new@acme.example"
    assert sends(stripe_client) == [invoice["id"]]


# -- 4. conflicts hold one object ----------------------------------------------

DECEMBER = (
    "  acme-2026-12:\n    customer: acme\n    days_until_due: 30\n    status: sent\n"
    "    items:\n      - description: Consulting\n        amount: 70000\n        currency: usd\n"
)


def test_a_voided_invoice_holds_itself_and_next_months_billing_goes_on(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_team(tmp_path / "specs")
    ok(run(sandbox, "apply", str(specs), "--yes"))
    november = managed(stripe_client, "invoice", "acme-2026-11")
    stripe_client.v1.invoices.void_invoice(november["id"])  # a colleague, in the Dashboard
    write_team(specs, extra=DECEMBER)  # next month's invoice, unrelated to the conflict

    text = ok(run(sandbox, "plan", str(specs), "--detailed-exitcode"), 3)  # held: neither 1 (error) nor 2
    held = f"invoice acme-2026-11 ({november['id']}, number {november['number']}) is void, the spec says sent"
    assert text.output.startswith("Held (1 object): a person must decide"), text.output
    assert held in text.output.splitlines()[1] and "# invoice acme-2026-12" in text.output
    markdown = ok(run(sandbox, "plan", str(specs), "--format", "markdown"), 3).output
    assert markdown.index("#### Held: a person must decide") < markdown.index("Customers will notice")
    assert held in markdown
    document = ok(run(sandbox, "plan", str(specs), "--format", "json"), 3).output
    assert document.startswith('{\n  "conflicts": [\n'), document
    assert '"object": "invoice:acme-2026-11"' in document and f'"id": "{november["id"]}"' in document

    applied = ok(run(sandbox, "apply", str(specs), "--yes"), 3)  # the rest is applied, the held one reported
    assert "1 object held for a person to decide" in applied.output
    december = managed(stripe_client, "invoice", "acme-2026-12")
    assert december["status"] == "open" and sends(stripe_client) == [december["id"], november["id"]]
    assert managed(stripe_client, "invoice", "acme-2026-11")["status"] == "void"

    (specs / "broken.yaml").write_text("customers:\n  acme:\n    name: Twice\n")
    invalid = ok(run(sandbox, "plan", str(specs)), 1)  # an invalid spec is still a hard error
    assert "broken.yaml:2:3: customer 'acme' is defined twice" in invalid.output, invalid.output


# -- 1. identity beyond metadata -----------------------------------------------


def test_a_metadata_wipe_creates_nothing_and_emails_nobody_twice(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_team(tmp_path / "specs")
    ok(run(sandbox, "apply", str(specs), "--yes"))
    invoice, customer = managed(stripe_client, "invoice", "acme-2026-11"), managed(stripe_client, "customer", "acme")
    # Another integration clears both objects' metadata, as Stripe allows.
    stripe_client.v1.invoices.update(invoice["id"], params={"metadata": ""})
    stripe_client.v1.customers.update(customer["id"], params={"metadata": ""})
    assert stripe_client.v1.invoices.retrieve(invoice["id"]).metadata.to_dict() == {}

    planned = ok(run(sandbox, "plan", str(specs), "--detailed-exitcode"), 3)
    assert "+ create" not in planned.output and "Customers will notice" not in planned.output, planned.output
    assert f"invoice acme-2026-11: exists in Stripe without its tag: {invoice['id']}" in planned.output
    assert f"adopt: {invoice['id']}" in planned.output and f"adopt: {customer['id']}" in planned.output
    ok(run(sandbox, "apply", str(specs), "--yes"), 3)
    assert len(stripe_client.v1.customers.list(params={"limit": 100}).data) == 1
    assert len(stripe_client.v1.invoices.list(params={"limit": 100}).data) == 1
    assert send_calls(sandbox) == 1 and sends(stripe_client) == [invoice["id"]]

    # The way out: the spec adopts both; the adoption is reviewed and applied, nobody is emailed.
    (specs / "acme.yaml").write_text(
        (specs / "acme.yaml").read_text()
        .replace("    name: Acme\n", f"    name: Acme\n    adopt: {customer['id']}\n")
        .replace("    customer: acme\n", f"    customer: acme\n    adopt: {invoice['id']}\n")
    )
    adopted = ok(run(sandbox, "apply", str(specs), "--yes"))
    assert "adopt" in adopted.output and "send" not in adopted.output.replace("sent", ""), adopted.output
    ok(run(sandbox, "plan", str(specs), "--detailed-exitcode"))  # converged
    assert send_calls(sandbox) == 1 and managed(stripe_client, "invoice", "acme-2026-11")["id"] == invoice["id"]


def test_the_send_guard_never_sends_a_second_invoice_of_a_key_already_sent(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    """A plan made before the first invoice existed (a second CI run, an old
    reviewed plan) creates another invoice of the key: its send is refused,
    as Stripe's events show the key's invoice was emailed already."""
    from reconciler.apply.options import ApplyOptions
    from reconciler.apply.report import NullReporter
    from reconciler.apply.runner import apply_plan
    from reconciler.gateway.client import StripeGateway
    from reconciler.gateway.read import read_live
    from reconciler.plan.planner import make_plan
    from reconciler.sandbox import SANDBOX_API_KEY
    from reconciler.spec.loader import load_specs

    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    stale_live = read_live(gateway)  # an empty account
    specs = write_team(tmp_path / "specs")
    ok(run(sandbox, "apply", str(specs), "--yes"))
    first = managed(stripe_client, "invoice", "acme-2026-11")
    stripe_client.v1.invoices.update(first["id"], params={"metadata": ""})  # its tag is wiped, too
    # The old plan's invoice differs a little (another footer): a new invoice, not a replayed create.
    specs_b = write_team(tmp_path / "specs-b", extra="    footer: Thank you\n")
    old_plan = make_plan(load_specs([specs_b]), stale_live)
    result = apply_plan(old_plan, gateway, stale_live, options=ApplyOptions(max_rps=1000.0), reporter=NullReporter())
    (failed,) = result.failed
    assert failed.description == "send invoice acme-2026-11"
    assert f"Stripe's invoice.sent events show {first['id']}, which carried reconciler_id acme-2026-11" in failed.message
    assert send_calls(sandbox) == 1 and sends(stripe_client) == [first["id"]]


def test_an_untagged_unsent_invoice_is_known_by_its_items_and_a_wiped_customer_by_its_invoice(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_team(tmp_path / "specs", status="open")  # finalized, never emailed: no invoice.sent event
    ok(run(sandbox, "apply", str(specs), "--yes"))
    invoice, customer = managed(stripe_client, "invoice", "acme-2026-11"), managed(stripe_client, "customer", "acme")
    stripe_client.v1.customers.update(customer["id"], params={"metadata": ""})
    customer_only = ok(run(sandbox, "plan", str(specs)), 3).output
    assert f"customer acme: exists in Stripe without its tag: {customer['id']} (it is billed by {invoice['id']}" in (
        customer_only
    )
    assert "deleted outside reconciler" not in customer_only and "+ create" not in customer_only

    stripe_client.v1.invoices.update(invoice["id"], params={"metadata": ""})
    both = ok(run(sandbox, "plan", str(specs)), 3).output
    assert (
        f"invoice acme-2026-11: exists in Stripe without its tag: {invoice['id']} (its items still carry the tool's "
        "item tags (consulting) and it bills customer acme)"
    ) in both
    ok(run(sandbox, "apply", str(specs), "--yes"), 3)
    assert len(stripe_client.v1.invoices.list(params={"limit": 100}).data) == 1
    assert len(stripe_client.v1.customers.list(params={"limit": 100}).data) == 1


# -- 3. idempotent re-runs -----------------------------------------------------


def test_a_ci_rerun_of_a_successful_apply_says_already_applied_and_writes_nothing(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = draft_then_new_email_and_sent(sandbox, tmp_path)  # the pull request
    plan_file = tmp_path / "plan.json"
    ok(run(sandbox, "plan", str(specs), "--out", str(plan_file)))
    ok(run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes"))  # the merge's apply job
    writes = sandbox.stats()["writes"]
    rerun = ok(run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes"))  # "Re-run jobs"
    assert "this plan was already applied" in rerun.output, rerun.output
    assert "stale" not in rerun.output
    assert sandbox.stats()["writes"] == writes and send_calls(sandbox) == 1
    document = ok(run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes", "--format", "json"))
    assert '"already_applied": true' in document.output


def test_a_partly_applied_plan_resumes_and_only_anothers_change_makes_it_stale(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_team(tmp_path / "specs", status="draft")
    ok(run(sandbox, "apply", str(specs), "--yes"))
    write_team(specs, email="new@acme.example", status="sent", extra=DECEMBER)
    plan_file = tmp_path / "plan.json"
    ok(run(sandbox, "plan", str(specs), "--out", str(plan_file)))
    # The first run stops part-way: December's finalize fails, November's changes go through.
    sandbox.set_faults(fail_routes=[{"method": "POST", "path_prefix": "/v1/invoices/{id}/finalize", "status": 400,
                                     "code": "invoice_not_editable", "times": 1, "params": {}}])
    first = ok(run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes", "--parallelism", "1"), 1)
    assert "failed" in first.output
    resumed = ok(run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes"))
    assert "already done" in resumed.output, resumed.output
    for key in ("acme-2026-11", "acme-2026-12"):
        assert managed(stripe_client, "invoice", key)["status"] == "open"
    assert send_calls(sandbox) == 2

    # Someone else's change to an object the plan acts on still makes it stale.
    write_team(specs, email="newer@acme.example", status="sent", extra=DECEMBER)
    ok(run(sandbox, "plan", str(specs), "--out", str(plan_file)))
    stripe_client.v1.customers.update(managed(stripe_client, "customer", "acme")["id"], params={"phone": "+1 555"})
    stale = ok(run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes"), 1)
    assert "stale plan" in stale.output and "customer acme: phone" in stale.output, stale.output
