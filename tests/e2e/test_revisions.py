"""Corrections after finalization by revision (`revise: true`), and revisions made by others
in the Dashboard (through the SDK), end to end against the sandbox."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import stripe
import yaml
from cli_runner import invoke
from click.testing import Result

from reconciler.ownership import OWNER_KEY, SEND_KEY
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

KEY = "acme-2026-11"


def run(sandbox: RunningSandbox, *args: str) -> Result:
    return invoke([*args, "--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url])


def write_spec(specs: Path, *, status: str = "sent", quantity: int = 1, revise: bool = False, extra: str = "") -> Path:
    """One customer, one price and one send_invoice invoice of `quantity` seats."""
    specs.mkdir(exist_ok=True)
    (specs / "acme.yaml").write_text(textwrap.dedent(f"""\
        products:
          seats: {{name: Seats}}
        prices:
          seats-usd: {{product: seats, unit_amount: 1000, currency: usd}}
        customers:
          acme: {{name: Acme, email: billing@acme.example}}
        invoices:
          {KEY}:
            customer: acme
            days_until_due: 30
            status: {status}
            revise: {'true' if revise else 'false'}
        {textwrap.indent(extra, '    ')}    items:
              - {{price: seats-usd, quantity: {quantity}}}
        """))
    return specs


def apply(sandbox: RunningSandbox, specs: Path) -> Result:
    result = run(sandbox, "apply", str(specs), "--yes")
    assert result.exit_code == 0, result.output
    return result


def plan(sandbox: RunningSandbox, specs: Path) -> Result:
    return run(sandbox, "plan", str(specs), "--detailed-exitcode")


def sends(client: stripe.StripeClient) -> list[str]:
    return [e.data.object["id"] for e in client.v1.events.list({"type": "invoice.sent", "limit": 100}).data]


def invoices(client: stripe.StripeClient) -> list[stripe.Invoice]:
    """Every invoice of the key, originals before their revisions."""
    found = [i for i in client.v1.invoices.list({"limit": 100}).data if i.metadata.to_dict().get(OWNER_KEY) == KEY]
    return sorted(found, key=lambda i: (i.created, bool(i.from_invoice), i.number or ""))


@pytest.fixture
def sent_wrong(sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path) -> Path:
    """A sent invoice with a wrong quantity (1 seat instead of 3)."""
    specs = write_spec(tmp_path / "specs", quantity=1)
    apply(sandbox, specs)
    assert len(sends(stripe_client)) == 1
    return specs


def test_a_sent_invoice_is_corrected_by_one_revision(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    (original,) = invoices(stripe_client)
    write_spec(sent_wrong, quantity=3, revise=True)
    shown = plan(sandbox, sent_wrong)
    assert shown.exit_code == 2, shown.output
    assert f"revise invoice {KEY} ({original.id}, number {original.number})" in shown.output
    assert "quantity: 1 → 3" in shown.output
    assert f"revised: number {original.number} ({original.id}) is voided" in shown.output
    assert "a second email" in shown.output
    applied = apply(sandbox, sent_wrong)
    assert f"the revision is number {original.number}-1, replacing number {original.number}" in applied.output
    first, revision = invoices(stripe_client)
    assert (first.id, first.status, first.latest_revision) == (original.id, "void", revision.id)
    assert (revision.status, revision.from_invoice.invoice, revision.total) == ("open", original.id, 3000)
    assert revision.metadata.to_dict()[SEND_KEY] == "done"
    assert sends(stripe_client) == [revision.id, original.id]  # exactly one more email
    again = plan(sandbox, sent_wrong)
    assert again.exit_code == 0, again.output
    # status shows the key once: its revision (the voided original is history, nothing owed).
    shown = run(sandbox, "status", str(sent_wrong), "--format", "json")
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)["invoices"]
    assert [(r["key"], r["id"], r["number"]) for r in rows] == [(KEY, revision.id, f"{original.number}-1")]


def test_without_revise_the_frozen_error_names_revise(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    write_spec(sent_wrong, quantity=3)
    shown = plan(sandbox, sent_wrong)
    assert shown.exit_code == 1
    assert "cannot change item seats-usd quantity 1 → 3; add `revise: true` to its spec" in shown.output


def test_a_paid_invoice_is_not_revised_and_the_error_names_credit_notes(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    (original,) = invoices(stripe_client)
    stripe_client.v1.invoices.pay(original.id, {"paid_out_of_band": True})
    write_spec(sent_wrong, quantity=3, revise=True, status="paid")
    shown = plan(sandbox, sent_wrong)
    assert shown.exit_code == 1
    assert "a paid invoice is final" in shown.output and "credit note" in shown.output
    assert len(invoices(stripe_client)) == 1


def test_a_revision_made_in_the_dashboard_plans_no_error(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    (original,) = invoices(stripe_client)
    draft = stripe_client.v1.invoices.create({"from_invoice": {"action": "revision", "invoice": original.id}})
    (item,) = stripe_client.v1.invoice_items.list({"invoice": draft.id}).data
    stripe_client.v1.invoice_items.update(item.id, {"quantity": 3})
    revision = stripe_client.v1.invoices.finalize_invoice(draft.id)
    write_spec(sent_wrong, quantity=3)
    # The revision is the key's invoice, the original's void its history; it carries the original's
    # send marker (metadata is copied): whoever revised it chose whether to email it, nothing is sent.
    shown = plan(sandbox, sent_wrong)
    assert shown.exit_code == 0, shown.output
    apply(sandbox, sent_wrong)
    assert sends(stripe_client) == [original.id]
    assert {i.id for i in invoices(stripe_client)} == {original.id, revision.id}


def test_an_untagged_dashboard_revision_is_adopted_in_a_reviewed_step(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    (original,) = invoices(stripe_client)
    draft = stripe_client.v1.invoices.create({"from_invoice": {"action": "revision", "invoice": original.id}})
    stripe_client.v1.invoices.update(draft.id, {"metadata": ""})  # no tags on the revision itself
    revision = stripe_client.v1.invoices.finalize_invoice(draft.id)
    shown = plan(sandbox, sent_wrong)
    assert shown.exit_code == 2, shown.output
    assert f"adopt invoice {KEY} ({revision.id})" in shown.output
    apply(sandbox, sent_wrong)
    assert stripe_client.v1.invoices.retrieve(revision.id).metadata.to_dict()[OWNER_KEY] == KEY
    # Nothing says it was emailed (no marker, no event): the spec's `sent` emails it, once; the send
    # guard lets the revision through although its original was emailed as the same key.
    assert sends(stripe_client) == [revision.id, original.id]
    assert plan(sandbox, sent_wrong).exit_code == 0


def _imported_invoices(sandbox: RunningSandbox, out: Path) -> dict[str, dict]:
    result = run(sandbox, "import", "--out", str(out))
    assert result.exit_code == 0, result.output
    found: dict[str, dict] = {}
    for path in out.rglob("*.yaml"):
        found.update((yaml.safe_load(path.read_text()) or {}).get("invoices") or {})
    assert found, result.output
    return found


def test_import_follows_the_revision_chain(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path, tmp_path: Path
) -> None:
    write_spec(sent_wrong, quantity=3, revise=True)
    apply(sandbox, sent_wrong)
    original, revision = invoices(stripe_client)
    imported = _imported_invoices(sandbox, tmp_path / "imported")
    # One spec for the key, the newest revision's; the voided original is its history.
    assert list(imported) == [KEY]
    assert imported[KEY]["items"][0]["quantity"] == 3 and imported[KEY]["status"] == "sent"
    assert imported[KEY]["adopt"] == revision.id  # every imported entry names its object
    assert run(sandbox, "plan", str(tmp_path / "imported"), "--detailed-exitcode").exit_code == 0
    # The spec written before the revision names the original: history now, said in a note.
    older = (sent_wrong / "acme.yaml").read_text().replace("    revise: true\n", f"    revise: true\n    adopt: {original.id}\n")
    (sent_wrong / "acme.yaml").write_text(older)
    shown = run(sandbox, "plan", str(sent_wrong), "--detailed-exitcode")
    assert shown.exit_code == 0, shown.output
    assert f"`adopt: {original.id}` names an invoice its revision replaced" in shown.output


def test_import_puts_an_untagged_revision_under_the_key_it_revises(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path, tmp_path: Path
) -> None:
    (original,) = invoices(stripe_client)
    draft = stripe_client.v1.invoices.create({"from_invoice": {"action": "revision", "invoice": original.id}})
    stripe_client.v1.invoices.update(draft.id, {"metadata": ""})
    revision = stripe_client.v1.invoices.finalize_invoice(draft.id)
    imported = _imported_invoices(sandbox, tmp_path / "imported")
    assert list(imported) == [KEY] and imported[KEY]["adopt"] == revision.id


def test_a_reviewed_revision_plan_is_applied_as_saved_and_a_dry_run_writes_nothing(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path, tmp_path: Path
) -> None:
    write_spec(sent_wrong, quantity=3, revise=True)
    dry = run(sandbox, "apply", str(sent_wrong), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "from_invoice" in dry.output and "<id of item:" in dry.output
    assert len(invoices(stripe_client)) == 1
    saved = tmp_path / "plan.json"
    assert run(sandbox, "plan", str(sent_wrong), "--out", str(saved)).exit_code in (0, 2)
    applied = run(sandbox, "apply", str(sent_wrong), "--plan", str(saved), "--yes")
    assert applied.exit_code == 0, applied.output
    original, revision = invoices(stripe_client)
    assert (original.status, revision.status) == ("void", "open")
    assert sends(stripe_client) == [revision.id, original.id]


@pytest.mark.parametrize("outcome", ["paid", "void"])
def test_a_revision_plan_whose_original_was_paid_or_voided_meanwhile_names_the_status_change(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path, tmp_path: Path, outcome: str
) -> None:
    # Review R7: the refusal names what happened, not an invoice.sent event "gone" (it is still
    # in Stripe; the tool reads them for open invoices only).
    (original,) = invoices(stripe_client)
    write_spec(sent_wrong, quantity=3, revise=True)
    saved = tmp_path / "plan.json"
    assert run(sandbox, "plan", str(sent_wrong), "--out", str(saved)).exit_code in (0, 2)
    if outcome == "paid":
        stripe_client.v1.invoices.pay(original.id, {"paid_out_of_band": True})
    else:
        stripe_client.v1.invoices.void_invoice(original.id)
    applied = run(sandbox, "apply", str(sent_wrong), "--plan", str(saved), "--yes")
    assert applied.exit_code == 1, applied.output
    assert f"invoice {KEY}: status open → {outcome} since the plan was made" in applied.output
    assert "event is gone" not in applied.output and "no longer read" not in applied.output
    assert len(invoices(stripe_client)) == 1 and sends(stripe_client) == [original.id]


def test_a_revision_is_revised_again_and_each_one_is_emailed_once(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    (original,) = invoices(stripe_client)
    write_spec(sent_wrong, quantity=3, revise=True)
    apply(sandbox, sent_wrong)
    write_spec(sent_wrong, quantity=4, revise=True)
    applied = apply(sandbox, sent_wrong)
    assert f"the revision is number {original.number}-2" in applied.output
    first, second, third = invoices(stripe_client)
    assert [i.status for i in (first, second, third)] == ["void", "void", "open"]
    assert (third.from_invoice.invoice, second.from_invoice.invoice) == (second.id, first.id)
    # The send guard lets the newest through for both invoices it revises, each emailed once before.
    assert sorted(sends(stripe_client)) == sorted([first.id, second.id, third.id])
    assert plan(sandbox, sent_wrong).exit_code == 0


def test_an_invoice_with_a_due_date_is_revised_keeping_it(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = tmp_path / "specs"
    write_spec(specs, quantity=1)
    text = (specs / "acme.yaml").read_text().replace("    days_until_due: 30\n", "    due_date: 2099-01-31\n")
    (specs / "acme.yaml").write_text(text)
    apply(sandbox, specs)
    (specs / "acme.yaml").write_text(text.replace("quantity: 1", "quantity: 3").replace("revise: false", "revise: true"))
    apply(sandbox, specs)
    original, revision = invoices(stripe_client)
    assert (original.status, revision.status, revision.due_date) == ("void", "open", original.due_date)
    assert plan(sandbox, specs).exit_code == 0


def test_a_revision_being_edited_in_the_dashboard_is_held_not_finalized(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    (original,) = invoices(stripe_client)
    draft = stripe_client.v1.invoices.create({"from_invoice": {"action": "revision", "invoice": original.id}})
    shown = plan(sandbox, sent_wrong)
    assert shown.exit_code == 3, shown.output  # held: a person decides; no error
    assert f"a revision of {original.id} is in progress (draft {draft.id}" in shown.output
    run(sandbox, "apply", str(sent_wrong), "--yes")
    assert stripe_client.v1.invoices.retrieve(draft.id).status == "draft"
    assert stripe_client.v1.invoices.retrieve(original.id).status == "open"
    # Deleted in the Dashboard: the original is the key's invoice again, nothing to do.
    stripe_client.v1.invoices.delete(draft.id)
    assert plan(sandbox, sent_wrong).exit_code == 0


def test_a_revision_removes_and_adds_items(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    text = (sent_wrong / "acme.yaml").read_text()
    fee = "      - {description: Setup fee, amount: 5000, currency: usd}\n"
    corrected = text.replace("revise: false", "revise: true").replace(
        "      - {price: seats-usd, quantity: 1}\n", fee)
    (sent_wrong / "acme.yaml").write_text(corrected)
    shown = plan(sandbox, sent_wrong)
    assert "remove item seats-usd" in shown.output and "add item setup-fee" in shown.output, shown.output
    apply(sandbox, sent_wrong)
    original, revision = invoices(stripe_client)
    lines = stripe_client.v1.invoices.line_items.list(revision.id).data
    assert [(line.description, line.amount) for line in lines] == [("Setup fee", 5000)]
    assert (original.status, revision.total) == ("void", 5000)
    assert plan(sandbox, sent_wrong).exit_code == 0


def test_a_colleagues_credit_note_on_a_revised_invoice_is_named_in_a_note(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient, sent_wrong: Path
) -> None:
    (original,) = invoices(stripe_client)
    stripe_client.v1.credit_notes.create({"invoice": original.id, "amount": 300})  # not in the specs
    write_spec(sent_wrong, quantity=3, revise=True)
    shown = plan(sandbox, sent_wrong)
    assert shown.exit_code == 2, shown.output
    assert ("credit notes not in the specs took $3.00 USD off it; they stay on it once voided: Stripe does not "
            "copy credit notes to a revision") in shown.output
