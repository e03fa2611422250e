"""Stripe's timer and the tool (issue 23): the tool's invoices, created and finalized with
auto_advance false, are never advanced by the sandbox's clock; a colleague's draft with
auto_advance true is finalized by the timer unless an adoption turned it off first."""

from __future__ import annotations

from pathlib import Path

import stripe
from cli_runner import invoke
from click.testing import Result

from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

HOUR = 3600


def run(sandbox: RunningSandbox, *args: str) -> Result:
    return invoke([*args, "--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url])


def colleague_draft(client: stripe.StripeClient) -> stripe.Invoice:
    """A draft made in the Dashboard, where automatic advancement is on by default."""
    customer = client.v1.customers.create({"name": "Dana Scully", "email": "dana@fbi.example"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30, "auto_advance": True}
    )
    client.v1.invoice_items.create({"invoice": invoice.id, "amount": 5000, "currency": "usd"})
    return client.v1.invoices.retrieve(invoice.id)


def test_the_timer_finalizes_a_colleagues_draft_and_never_the_tools(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, specs: Path
) -> None:
    applied = run(sandbox, "apply", str(specs), "--yes")
    assert applied.exit_code == 0, applied.output
    tools = {i.id: i for i in stripe_client.v1.invoices.list({"limit": 100}).data}
    assert sorted(i.status for i in tools.values()) == ["draft", "open"]
    assert all(i.auto_advance is False and i.automatically_finalizes_at is None for i in tools.values())
    theirs = colleague_draft(stripe_client)
    assert theirs.automatically_finalizes_at == theirs.created + HOUR

    sandbox.advance_clock(2 * HOUR)

    after = stripe_client.v1.invoices.retrieve(theirs.id)
    assert (after.status, after.number is not None) == ("open", True)
    assert {i: stripe_client.v1.invoices.retrieve(i).status for i in tools} == {i: v.status for i, v in tools.items()}
    replanned = run(sandbox, "plan", str(specs), "--detailed-exitcode")
    assert replanned.exit_code == 0, replanned.output


def test_adopting_a_draft_turns_the_timer_off_first(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    theirs = colleague_draft(stripe_client)
    out = tmp_path / "specs"
    imported = run(sandbox, "import", "--out", str(out))
    assert imported.exit_code == 0, imported.output
    applied = run(sandbox, "apply", str(out), "--yes")
    assert applied.exit_code == 0, applied.output
    adopted = stripe_client.v1.invoices.retrieve(theirs.id)
    assert (adopted.status, adopted.auto_advance, adopted.automatically_finalizes_at) == ("draft", False, None)

    sandbox.advance_clock(2 * HOUR)

    assert stripe_client.v1.invoices.retrieve(theirs.id).status == "draft"
    assert stripe_client.v1.events.list({"type": "invoice.finalized"}).data == []
