"""Credit notes and what someone else does in Stripe meanwhile (CLI + real SDK against the sandbox):
an invoice voided, paid or credited by someone else holds the credit note naming it (exit 3), and
the rest of the plan goes on (docs/lifecycle.md, Conflicts hold one object)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
