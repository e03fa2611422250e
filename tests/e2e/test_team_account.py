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


# -- 2. customer details reach the invoice ------------------------------------


def test_a_failing_customer_update_holds_the_finalize_and_the_email(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_team(tmp_path / "specs", status="draft")
    ok(run(sandbox, "apply", str(specs), "--yes"))
    # The spec changes the email and asks for the invoice to be sent, in one change.
    write_team(specs, email="new@acme.example", status="sent")
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
