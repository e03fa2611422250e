"""The account is shared: the other actor's move is made through the SDK or the
sandbox's admin surface between runs, or between plan and apply, and the CLI is
driven as a user would (issue: shared accounts)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import stripe
from cli_runner import invoke
from click.testing import Result

from reconciler.ownership import KEYS_KEY, OWNER_KEY, SEND_DONE, SEND_KEY, SEND_REQUESTED
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

DAY = 86_400


def run(sandbox: RunningSandbox, *args: str) -> Result:
    conn = ["--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]
    return invoke([*args, *conn])


def write_spec(specs: Path, *, status: str, extra: str = "", customer_meta: str = "", invoice_meta: str = "") -> Path:
    """One customer and one invoice; `extra` and the metadata blocks are YAML lines under each."""

    def block(text: str, indent: int) -> str:
        return textwrap.indent(textwrap.dedent(text), " " * indent)

    specs.mkdir(exist_ok=True)
    (specs / "acme.yaml").write_text(
        "customers:\n  acme:\n    name: Acme\n    email: billing@acme.example\n"
        + block(customer_meta, 4)
        + "invoices:\n  acme-2026-11:\n    customer: acme\n    days_until_due: 30\n"
        + f"    status: {status}\n"
        + block(extra, 4)
        + block(invoice_meta, 4)
        + "    items:\n      - description: Consulting\n        amount: 50000\n        currency: usd\n"
    )
    return specs


def send_calls(sandbox: RunningSandbox) -> int:
    """Send requests the sandbox executed (its own count, which outlives the events window)."""
    by_route = sandbox.stats()["by_route"]
    return int(by_route.get("POST /v1/invoices/{id}/send", 0))


def sends(client: stripe.StripeClient) -> list[str]:
    return [e.data.object["id"] for e in client.v1.events.list(params={"type": "invoice.sent", "limit": 100}).data]


def managed(client: stripe.StripeClient, kind: str, key: str) -> dict:
    lister = {"customer": client.v1.customers, "invoice": client.v1.invoices}[kind]
    return next(o for o in lister.list(params={"limit": 100}).data if o.metadata.to_dict().get(OWNER_KEY) == key)


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


def _apply(sandbox: RunningSandbox, specs: Path) -> Result:
    result = run(sandbox, "apply", str(specs), "--yes")
    assert result.exit_code == 0, result.output
    return result


def _plan(sandbox: RunningSandbox, specs: Path, *more: str) -> Result:
    return run(sandbox, "plan", str(specs), *more)


# -- the send rule ------------------------------------------------------------


def test_sent_from_the_dashboard_is_never_sent_again(sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path) -> None:
    specs = write_spec(tmp_path / "specs", status="open")
    _apply(sandbox, specs)
    invoice = managed(client, "invoice", "acme-2026-11")
    client.v1.invoices.send_invoice(invoice["id"])  # a colleague, in the Dashboard

    still_open = _plan(sandbox, specs, "--detailed-exitcode")
    assert still_open.exit_code == 0, still_open.output  # open in the spec: no drift, no action
    write_spec(specs, status="sent")
    now_sent = _plan(sandbox, specs, "--detailed-exitcode")
    assert now_sent.exit_code == 0 and "No changes." in now_sent.output, now_sent.output
    _apply(sandbox, specs)
    assert sends(client) == [invoice["id"]]  # one email, the colleague's


def test_sent_between_plan_and_apply_is_not_sent_again(sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path) -> None:
    specs = write_spec(tmp_path / "specs", status="open")
    _apply(sandbox, specs)
    write_spec(specs, status="sent")
    plan_file = tmp_path / "plan.json"
    planned = _plan(sandbox, specs, "--out", str(plan_file))
    assert planned.exit_code == 0 and "> send" in planned.output, planned.output
    invoice = managed(client, "invoice", "acme-2026-11")
    client.v1.invoices.send_invoice(invoice["id"])  # the colleague is faster
    # The saved plan is now stale (the invoice's facts changed); a fresh apply
    # re-plans, finds nothing to do and sends nothing.
    fresh = run(sandbox, "apply", str(specs), "--yes")
    assert fresh.exit_code == 0, fresh.output
    assert sends(client) == [invoice["id"]]


def test_the_guard_at_apply_time_sees_a_send_made_after_the_read(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    """The plan is made, then someone sends, then apply runs the plan it made
    (the gap a reviewed plan has): the guard reads Stripe's events again."""
    from reconciler.apply.options import ApplyOptions
    from reconciler.apply.report import NullReporter
    from reconciler.apply.runner import apply_plan
    from reconciler.gateway.client import StripeGateway
    from reconciler.gateway.read import read_live
    from reconciler.plan.planner import make_plan
    from reconciler.spec.loader import load_specs

    specs = write_spec(tmp_path / "specs", status="open")
    _apply(sandbox, specs)
    write_spec(specs, status="sent")
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    live = read_live(gateway)
    plan = make_plan(load_specs([specs]), live)
    assert [a.verb for a in plan.actions] == ["send"]
    invoice = managed(client, "invoice", "acme-2026-11")
    client.v1.invoices.send_invoice(invoice["id"])
    result = apply_plan(plan, gateway, live, options=ApplyOptions(max_rps=1000.0), reporter=NullReporter())
    assert [o.message for o in result.done] == [
        "already sent outside reconciler (Stripe has its invoice.sent event); marker recorded"
    ]
    assert result.failed == []
    assert sends(client) == [invoice["id"]]
    assert send_calls(sandbox) == 1
    after = client.v1.invoices.retrieve(invoice["id"])
    assert after.metadata.to_dict()[SEND_KEY] == "done"  # the proof now outlives the events window


def test_an_invoice_finalized_before_the_window_is_not_sent_without_assume_unsent(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_spec(tmp_path / "specs", status="open")
    _apply(sandbox, specs)
    sandbox.advance_clock(30 * DAY)  # its events, had there been any, are gone
    write_spec(specs, status="sent")
    planned = _plan(sandbox, specs, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes to make; see the notes below." in planned.output
    assert "Note: invoice acme-2026-11" in planned.output and "add `assume_unsent: true`" in planned.output
    _apply(sandbox, specs)
    assert sends(client) == []

    write_spec(specs, status="sent", extra="assume_unsent: true\n")
    forced = _plan(sandbox, specs)
    assert "> send" in forced.output and "assume_unsent: true" in forced.output, forced.output
    _apply(sandbox, specs)
    invoice = managed(client, "invoice", "acme-2026-11")
    assert sends(client) == [invoice["id"]]
    assert _plan(sandbox, specs, "--detailed-exitcode").exit_code == 0


def test_past_both_windows_a_cleared_marker_still_sends_once(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    """Sent by the tool; a day later its idempotency keys have expired and
    someone clears the marker: the invoice.sent event still stops a second send.
    Thirty days later the event is gone too: the tool will not send unproven."""
    specs = write_spec(tmp_path / "specs", status="sent")
    _apply(sandbox, specs)
    invoice = managed(client, "invoice", "acme-2026-11")
    sandbox.advance_clock(2 * DAY)  # idempotency keys expire after 24 h
    client.v1.invoices.update(invoice["id"], params={"metadata": {SEND_KEY: ""}})
    assert "No changes." in _plan(sandbox, specs).output
    _apply(sandbox, specs)
    sandbox.advance_clock(30 * DAY)
    late = _plan(sandbox, specs)
    assert "No changes to make; see the notes below." in late.output and "nobody can prove it was never emailed" in late.output
    _apply(sandbox, specs)
    assert sends(client) == []  # the first send's event has expired ...
    assert send_calls(sandbox) == 1  # ... and the customer was emailed exactly once


def test_a_run_stopped_after_its_send_completes_the_marker_before_the_event_expires(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    """Killed between the send and the `done` marker: the next run records the
    send (emailing nobody), so 30 days later, with the event gone, even
    `assume_unsent: true` sends nothing."""
    specs = write_spec(tmp_path / "specs", status="open")
    _apply(sandbox, specs)
    invoice = managed(client, "invoice", "acme-2026-11")
    client.v1.invoices.update(invoice["id"], params={"metadata": {SEND_KEY: SEND_REQUESTED}})  # the stopped run
    client.v1.invoices.send_invoice(invoice["id"])
    write_spec(specs, status="sent")
    planned = _plan(sandbox, specs)
    assert f"> record send {invoice['id']}  # a stopped run sent it (Stripe holds its invoice.sent event): " \
        "the send marker is completed, nobody is emailed" in planned.output.splitlines()
    assert "Customers will notice" not in planned.output
    recorded = _apply(sandbox, specs)
    assert "done: record send invoice acme-2026-11" in recorded.output, recorded.output
    assert managed(client, "invoice", "acme-2026-11")["metadata"][SEND_KEY] == SEND_DONE
    sandbox.advance_clock(31 * DAY)
    write_spec(specs, status="sent", extra="assume_unsent: true\n")
    assert _plan(sandbox, specs, "--detailed-exitcode").exit_code == 0
    _apply(sandbox, specs)
    assert send_calls(sandbox) == 1


def test_a_run_stopped_mid_send_past_the_window_is_never_sent_even_with_assume_unsent(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    """A `requested` marker and no event Stripe still holds: the send may have
    been made. Nothing overrides that but a person clearing the marker."""
    specs = write_spec(tmp_path / "specs", status="open")
    _apply(sandbox, specs)
    invoice = managed(client, "invoice", "acme-2026-11")
    client.v1.invoices.update(invoice["id"], params={"metadata": {SEND_KEY: SEND_REQUESTED}})
    sandbox.advance_clock(31 * DAY)
    write_spec(specs, status="sent", extra="assume_unsent: true\n")
    held = _plan(sandbox, specs, "--detailed-exitcode")
    assert held.exit_code == 0, held.output
    assert "a run of the tool stopped while sending it (its send marker says requested)" in held.output
    assert "`assume_unsent` does not override that" in held.output
    _apply(sandbox, specs)
    assert send_calls(sandbox) == 0
    client.v1.invoices.update(invoice["id"], params={"metadata": {SEND_KEY: ""}})  # checked the Dashboard: never emailed
    assert "> send" in _plan(sandbox, specs).output
    _apply(sandbox, specs)
    assert send_calls(sandbox) == 1


# -- moves forward by others ---------------------------------------------------


def test_a_customer_paying_an_uncollectible_invoice_is_not_an_error(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_spec(tmp_path / "specs", status="uncollectible")
    _apply(sandbox, specs)
    sandbox.pay(managed(client, "invoice", "acme-2026-11")["id"])
    result = _plan(sandbox, specs, "--detailed-exitcode")
    assert result.exit_code == 0 and "No changes." in result.output, result.output


def test_a_processing_payment_makes_paid_wait_with_a_note(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_spec(tmp_path / "specs", status="sent")
    _apply(sandbox, specs)
    invoice_id = managed(client, "invoice", "acme-2026-11")["id"]
    sandbox.pay(invoice_id, "processing")
    write_spec(specs, status="paid")
    waiting = _plan(sandbox, specs, "--detailed-exitcode")
    assert waiting.exit_code == 0, waiting.output
    assert "customer's payment of it is processing" in waiting.output
    sandbox.settle(invoice_id, "failed")
    retry = _plan(sandbox, specs)
    assert "> pay" in retry.output, retry.output


def test_voided_outside_while_the_spec_says_sent_is_held_saying_what_to_write(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_spec(tmp_path / "specs", status="sent")
    _apply(sandbox, specs)
    client.v1.invoices.void_invoice(managed(client, "invoice", "acme-2026-11")["id"])
    result = _plan(sandbox, specs)
    assert result.exit_code == 3  # held for a person (tests/e2e/test_team_account.py: the rest goes on)
    assert "is void, the spec says sent: a void invoice is final: write `status: void`" in result.output


# -- metadata ownership --------------------------------------------------------


def test_metadata_others_set_is_never_touched(sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path) -> None:
    specs = write_spec(
        tmp_path / "specs", status="paid", customer_meta="metadata:\n  tier: gold\n  region: eu\n"
    )
    _apply(sandbox, specs)
    invoice_id = managed(client, "invoice", "acme-2026-11")["id"]
    customer_id = managed(client, "customer", "acme")["id"]
    client.v1.invoices.update(invoice_id, params={"metadata": {"accounting_export": "2026-12-01"}})
    client.v1.customers.update(customer_id, params={"metadata": {"crm_id": "7731"}})
    assert _plan(sandbox, specs, "--detailed-exitcode").exit_code == 0  # neither key is the tool's

    # The spec drops a key it set and changes another: only those two change.
    write_spec(specs, status="paid", customer_meta="metadata:\n  tier: platinum\n")
    changed = _plan(sandbox, specs)
    assert "metadata.region" in changed.output and "crm_id" not in changed.output, changed.output
    _apply(sandbox, specs)
    meta = client.v1.customers.retrieve(customer_id).metadata.to_dict()
    assert {k: v for k, v in meta.items() if k != OWNER_KEY} == {"tier": "platinum", "crm_id": "7731", KEYS_KEY: "tier"}

    # Owned metadata on a paid invoice is an ordinary update, never a frozen-invoice error.
    write_spec(specs, status="paid", customer_meta="metadata:\n  tier: platinum\n", invoice_meta="metadata:\n  po: '42'\n")
    on_paid = _plan(sandbox, specs)
    assert on_paid.exit_code == 0 and "metadata.po" in on_paid.output, on_paid.output
    _apply(sandbox, specs)
    invoice_meta = client.v1.invoices.retrieve(invoice_id).metadata.to_dict()
    assert invoice_meta["po"] == "42" and invoice_meta["accounting_export"] == "2026-12-01"
    assert _plan(sandbox, specs, "--detailed-exitcode").exit_code == 0


# -- prune ---------------------------------------------------------------------


def test_prune_keeps_a_customer_with_invoices_finance_made_by_hand(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_spec(tmp_path / "specs", status="draft")
    _apply(sandbox, specs)
    customer_id = managed(client, "customer", "acme")["id"]
    by_hand = client.v1.invoices.create(params={"customer": customer_id, "auto_advance": False})
    (specs / "acme.yaml").write_text("customers: {}\n")
    plan = _plan(sandbox, specs, "--prune", "--format", "json")
    assert plan.exit_code == 0, plan.output
    document = json.loads(plan.output)
    assert [a["type"] for a in document["actions"]] == ["DeleteInvoice"]
    (note,) = document["notes"]
    assert note.startswith(f"customer acme ({customer_id}) is kept") and f"{by_hand.id} (draft)" in note
    text = _plan(sandbox, specs, "--prune")
    assert f"Note: customer acme ({customer_id}) is kept" in text.output


def test_a_customer_deleted_in_the_dashboard_is_created_anew_and_its_paid_invoice_left_alone(
    sandbox: RunningSandbox, client: stripe.StripeClient, tmp_path: Path
) -> None:
    specs = write_spec(tmp_path / "specs", status="paid")
    _apply(sandbox, specs)
    old_customer = managed(client, "customer", "acme")["id"]
    client.v1.customers.delete(old_customer)
    result = _plan(sandbox, specs, "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "+ create customer" in result.output
    assert f"its customer {old_customer} was deleted outside reconciler" in result.output
    _apply(sandbox, specs)
    assert _plan(sandbox, specs, "--detailed-exitcode").exit_code == 0
