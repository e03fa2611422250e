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
