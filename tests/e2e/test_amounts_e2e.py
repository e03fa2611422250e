"""The plan's amounts against what the sandbox computes once the plan is applied."""

from __future__ import annotations

import json
from pathlib import Path

import stripe
from sdk_client import sdk_client

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_cli import managed_customer, on, run

SPEC = """
customers:
  jenny-rosen: {name: Jenny Rosen, email: jenny.rosen@example.com}
invoices:
  jenny-main:
    customer: jenny-rosen
    days_until_due: 30
    status: STATUS
    items: [{description: Consulting, amount: 1000, currency: usd}]
  jenny-tiny:
    customer: jenny-rosen
    days_until_due: 30
    status: draft
    items: [{description: Postage, amount: 30, currency: usd}]
"""


def _write(tmp_path: Path, status: str, tiny: str = "draft") -> Path:
    folder = tmp_path / "specs"
    folder.mkdir(exist_ok=True)
    text = SPEC.replace("status: STATUS", f"status: {status}")
    if tiny != "draft":
        text = text.replace("    status: draft\n    items: [{description: Postage", f"    status: {tiny}\n    items: [{{description: Postage")
    (folder / "specs.yaml").write_text(text, encoding="utf-8")
    return folder


def _invoice(client: stripe.StripeClient, key: str) -> stripe.Invoice:
    return next(i for i in client.v1.invoices.list().data if i.metadata.to_dict().get("reconciler_id") == key)


def test_a_credit_balance_is_planned_and_applied_alike(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = sdk_client(sandbox.url)
    assert run("apply", str(_write(tmp_path, "draft")), *on(sandbox), "--yes").exit_code == 0
    jenny = managed_customer(client, "jenny-rosen")
    client.v1.customers.balance_transactions.create(jenny.id, {"amount": -300, "currency": "usd"})

    specs = _write(tmp_path, "sent")
    planned = run("plan", str(specs), *on(sandbox))
    assert planned.exit_code == 0, planned.output
    assert "invoice jenny-main emailed — Jenny Rosen <jenny.rosen@example.com>: $7.00 USD" in planned.output
    assert ("invoice jenny-main amounts: subtotal $10.00 USD; discounts -; tax -; total $10.00 USD; "
            "customer balance -$3.00 USD; amount due $7.00 USD") in planned.output
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    main = _invoice(client, "jenny-main")
    assert (main.status, main.total, main.starting_balance, main.amount_due, main.ending_balance) == (
        "open", 1000, -300, 700, 0)


def test_below_the_minimum_charge_is_finalized_paid_as_planned(sandbox: RunningSandbox, tmp_path: Path) -> None:
    client = sdk_client(sandbox.url)
    specs = _write(tmp_path, "draft", tiny="sent")
    planned = run("plan", str(specs), *on(sandbox))
    assert "is below Stripe's minimum charge of $0.50 USD, so Stripe marks it paid at once" in planned.output
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    tiny = _invoice(client, "jenny-tiny")
    assert (tiny.status, tiny.amount_due, tiny.ending_balance) == ("paid", 0, 30)
    assert managed_customer(client, "jenny-rosen").balance == 30
    again = run("plan", str(specs), *on(sandbox), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_status_shows_what_is_owed_after_the_balance(sandbox: RunningSandbox, tmp_path: Path) -> None:
    """`reconciler status` reports Stripe's amount remaining, the customer's credit already applied."""
    client = sdk_client(sandbox.url)
    assert run("apply", str(_write(tmp_path, "draft")), *on(sandbox), "--yes").exit_code == 0
    jenny = managed_customer(client, "jenny-rosen")
    client.v1.customers.balance_transactions.create(jenny.id, {"amount": -300, "currency": "usd"})
    specs = _write(tmp_path, "sent")
    assert run("apply", str(specs), *on(sandbox), "--yes").exit_code == 0
    shown = run("status", str(specs), *on(sandbox), "--format", "json")
    assert shown.exit_code == 0, shown.output
    rows = {r["key"]: r for r in json.loads(shown.output)["invoices"]}
    assert (rows["jenny-main"]["total"], rows["jenny-main"]["amount_remaining"]) == (1000, 700)
