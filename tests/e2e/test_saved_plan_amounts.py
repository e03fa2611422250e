"""A saved plan states amounts (what the customer is charged or asked to pay): a change by someone
else to what those amounts come from — the customer's balance, a draft's tax rates — between plan
and apply refuses the plan instead of charging a figure nobody reviewed. The plan's own finalize
moving the balance is no staleness: a re-run still says the plan was already applied."""

from __future__ import annotations

from pathlib import Path

import stripe

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_shared_account import managed, run

SPECS = """
customers:
  ada:
    name: Ada Lovelace
    email: ada@example.com
invoices:
  ada-1:
    customer: ada
    collection_method: {method}
    status: {status}{due}
    items:
      - description: Consulting
        amount: 1000
        currency: usd
"""


DUE = "\n    days_until_due: 30"


def write(tmp_path: Path, status: str, method: str = "charge_automatically") -> Path:
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    (specs / "billing.yaml").write_text(SPECS.format(status=status, method=method, due=DUE if method == "send_invoice" else ""))
    return specs


def carded_draft_with_credit(sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path) -> str:
    """Customer and draft applied; a checkout saved a Visa; the customer holds a $3.00 credit."""
    assert run(sandbox, "apply", str(write(tmp_path, "draft")), "--yes").exit_code == 0
    customer = managed(client, "customer", "ada")
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer["id"]})
    client.v1.customers.update(customer["id"], params={"invoice_settings": {"default_payment_method": card.id}})
    client.v1.customers.balance_transactions.create(customer["id"], params={"amount": -300, "currency": "usd"})
    return str(customer["id"])


def charges(client: stripe.StripeClient) -> int:
    return len(client.v1.events.list(params={"type": "charge.succeeded", "limit": 100}).data)


def test_a_balance_changed_after_review_refuses_the_charge(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    customer = carded_draft_with_credit(sandbox, stripe_client, tmp_path)
    specs, plan_file = write(tmp_path, "paid"), tmp_path / "plan.json"
    reviewed = run(sandbox, "plan", str(specs), "--out", str(plan_file))
    assert "invoice ada-1 charged $7.00 USD to visa •••• 4242" in reviewed.output, reviewed.output
    # Another integration debits the customer $50.00 before the merge's apply job runs.
    stripe_client.v1.customers.balance_transactions.create(customer, params={"amount": 5000, "currency": "usd"})
    applied = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert applied.exit_code == 1, applied.output
    assert "customer ada: balance -300 → 4700 since the plan was made" in applied.output, applied.output
    assert charges(stripe_client) == 0
    assert managed(stripe_client, "invoice", "ada-1")["status"] == "draft"


def test_the_plans_own_finalize_moving_the_balance_is_no_staleness(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    carded_draft_with_credit(sandbox, stripe_client, tmp_path)
    specs, plan_file = write(tmp_path, "paid"), tmp_path / "plan.json"
    assert run(sandbox, "plan", str(specs), "--out", str(plan_file)).exit_code == 0
    first = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert first.exit_code == 0, first.output
    paid = managed(stripe_client, "invoice", "ada-1")
    assert (paid["status"], paid["amount_paid"], paid["starting_balance"]) == ("paid", 700, -300)
    rerun = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")  # CI's "Re-run jobs"
    assert rerun.exit_code == 0 and "this plan was already applied" in rerun.output, rerun.output
    assert charges(stripe_client) == 1


def test_a_tax_rate_put_on_the_draft_after_review_refuses_the_plan(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    assert run(sandbox, "apply", str(write(tmp_path, "draft", "send_invoice")), "--yes").exit_code == 0
    specs, plan_file = write(tmp_path, "open", "send_invoice"), tmp_path / "plan.json"
    assert run(sandbox, "plan", str(specs), "--out", str(plan_file)).exit_code == 0
    rate = stripe_client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 50, "inclusive": False})
    draft = managed(stripe_client, "invoice", "ada-1")
    stripe_client.v1.invoices.update(draft["id"], params={"default_tax_rates": [rate.id]})
    applied = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert applied.exit_code == 1, applied.output
    assert f'invoice ada-1: default_tax_rates (unset) → ["{rate.id}"]' in applied.output, (
        applied.output)
    assert managed(stripe_client, "invoice", "ada-1")["status"] == "draft"
