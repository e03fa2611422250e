"""Credit notes and what someone else does in Stripe meanwhile (CLI + real SDK against the sandbox):
an invoice voided, paid or credited by someone else holds the credit note naming it (exit 3), and
the rest of the plan goes on (docs/lifecycle.md, Conflicts hold one object)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.sandbox import RunningSandbox
from tests.e2e.test_credit_notes import NOTES, _billed, invoices, run, write

RACES = {
    "void": ("is void; Stripe issues credit notes on open or paid invoices only: remove the credit note "
             "(the spec says the invoice is sent)"),
    "pay": "the invoice was paid in Stripe (the spec says sent): write the split for the invoice as it is now",
    "othercn": "credit notes not in the specs took 2800 off the invoice: write the split for the invoice as it is now",
}


@pytest.mark.parametrize("race", sorted(RACES))
def test_an_invoice_changed_by_someone_else_holds_its_credit_note_and_the_rest_goes_on(
    sandbox: RunningSandbox, tmp_path: Path, race: str
) -> None:
    client = _billed(sandbox, tmp_path)
    owed = invoices(client)["owed"]
    if race == "void":
        client.v1.invoices.void_invoice(owed.id)
    elif race == "pay":
        client.v1.invoices.pay(owed.id, {"paid_out_of_band": True})
    else:
        client.v1.credit_notes.create({"invoice": owed.id, "amount": 2800})
    specs = write(tmp_path / "v2", {k: NOTES[k] for k in ("carded-seat", "owed-discount")})
    planned = run(sandbox, "plan", str(specs))
    assert planned.exit_code == 3, planned.output
    assert "error" not in planned.output.lower()
    assert planned.output.startswith("Held ("), planned.output
    assert "! credit note owed-discount: " in planned.output and RACES[race] in planned.output
    assert "invoice carded credited ($10.00 USD refunded to their payment" in planned.output
    applied = run(sandbox, "apply", str(specs), "--yes")
    assert applied.exit_code == 3, applied.output
    assert len(client.v1.credit_notes.list({"invoice": invoices(client)["carded"].id}).data) == 1
    assert len(client.v1.credit_notes.list({"invoice": owed.id}).data) == (1 if race == "othercn" else 0)


def _saved(sandbox: RunningSandbox, specs: Path, plan_file: Path) -> None:
    saved = run(sandbox, "plan", str(specs), "--out", str(plan_file))
    assert saved.exit_code == 0, saved.output


def test_a_credit_note_issued_by_someone_else_after_review_makes_the_saved_plan_stale(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = _billed(sandbox, tmp_path)
    specs, plan_file = write(tmp_path / "v2", {"carded-seat": NOTES["carded-seat"]}), tmp_path / "plan.json"
    _saved(sandbox, specs, plan_file)
    carded = invoices(client)["carded"]
    # A colleague refunds $5.00 of the paid invoice with a credit note of their own (its amount remaining stays 0).
    client.v1.credit_notes.create({"invoice": carded.id, "amount": 500, "refund_amount": 500})
    applied = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert applied.exit_code == 1, applied.output
    assert "invoice carded: post_payment_credit_notes_amount (unset) → 500 since the plan was made" in applied.output
    assert len(client.v1.credit_notes.list({"invoice": carded.id}).data) == 1  # theirs only


def test_the_plans_own_credit_note_void_is_no_staleness_and_a_rerun_was_already_applied(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = _billed(sandbox, tmp_path)
    assert run(sandbox, "apply", str(write(tmp_path / "v2", NOTES)), "--yes").exit_code == 0
    voided = {**NOTES, "owed-discount": {**NOTES["owed-discount"], "status": "void"}}
    specs, plan_file = write(tmp_path / "v3", voided), tmp_path / "plan.json"
    spec = yaml.safe_load((specs / "specs.yaml").read_text(encoding="utf-8"))
    spec["invoices"]["owed"]["metadata"] = {"po": "PO-7"}  # the invoice is acted on and watched too
    (specs / "specs.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    _saved(sandbox, specs, plan_file)
    first = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert first.exit_code == 0, first.output
    owed = invoices(client)["owed"]
    assert (owed.amount_remaining, owed.pre_payment_credit_notes_amount) == (3000, 0)
    again = run(sandbox, "apply", str(specs), "--plan", str(plan_file), "--yes")
    assert again.exit_code == 0, again.output
    assert "this plan was already applied" in again.output


def test_voiding_a_credit_note_is_a_customer_notice_and_a_void_ones_memo_is_not_compared(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    client = _billed(sandbox, tmp_path)
    balance_credit = {"invoice": "settled", "amount": 400, "credit_amount": 400, "email_type": "none"}
    issued = {"owed-discount": NOTES["owed-discount"], "settled-credit": balance_credit}
    assert run(sandbox, "apply", str(write(tmp_path / "v2", issued)), "--yes").exit_code == 0
    voided = {key: {**note, "status": "void"} for key, note in issued.items()}
    specs = write(tmp_path / "v3", voided)
    planned = run(sandbox, "plan", str(specs))
    assert planned.exit_code == 0, planned.output
    notices = planned.output.split("Customers will notice:")[1].split("Reconciler will perform")[0]
    numbers = {n.invoice: n.number for n in client.v1.credit_notes.list({"limit": 10}).data}
    owed, settled = invoices(client)["owed"], invoices(client)["settled"]
    assert (f"invoice owed credit note {numbers[owed.id]} voided (amount remaining $25.00 USD -> $30.00 USD) — "
            "Acme <billing@acme.example.com>: $5.00 USD") in notices
    assert (f"invoice settled credit note {numbers[settled.id]} voided ($4.00 USD credited to their balance taken "
            "back) — Acme <billing@acme.example.com>: $4.00 USD") in notices
    assert run(sandbox, "apply", str(specs), "--yes").exit_code == 0
    customer = client.v1.customers.retrieve(str(owed.customer))
    assert (invoices(client)["owed"].amount_remaining, customer.balance) == (3000, 0)
    memo = write(tmp_path / "v4", {**voided, "owed-discount": {**voided["owed-discount"], "memo": "Changed"}})
    again = run(sandbox, "plan", str(memo), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "credit note owed-discount (" in again.output and (
        "is void: its memo and metadata are not compared with the spec") in again.output
