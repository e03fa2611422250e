"""A revision's apply SIGKILLed between its steps (create, invoice fields, item change, finalize, send), run
again: one revision, the original void, exactly one more email; a revision whose original
another actor paid in the meantime is held, never finalized."""

from __future__ import annotations

import multiprocessing
import signal
from pathlib import Path

import pytest

from reconciler.gateway.read import read_live
from reconciler.sandbox import RunningSandbox

from .helpers import duplicates, gateway_for, plan_and_apply, remaining_actions, sent_events, write_specs
from .test_crash import _kill_after, _start_child, forkserver  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow  # apply child processes killed mid-run

SPECS = """
products:
  seats: {name: Seats}
prices:
  seats-usd: {product: seats, unit_amount: 1000, currency: usd}
customers:
  acme: {name: Acme, email: billing@acme.example}
invoices:
  acme-11:
    customer: acme
    days_until_due: 30
    status: sent
    revise: REVISE
    items: [{price: seats-usd, quantity: QUANTITY}]
"""


def _specs(directory: Path, *, quantity: int, revise: bool) -> Path:
    text = SPECS.replace("QUANTITY", str(quantity)).replace("REVISE", "true" if revise else "false")
    return write_specs(directory, text)


def _sent_wrong(sandbox: RunningSandbox, tmp_path: Path) -> tuple[Path, str]:
    """A sent invoice of 1 seat, its spec corrected to 3 with `revise: true`; the original's id."""
    gateway = gateway_for(sandbox)
    specs = _specs(tmp_path, quantity=1, revise=False)
    _, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    original = read_live(gateway).invoices["acme-11"].id
    return _specs(tmp_path, quantity=3, revise=True), original


@pytest.mark.parametrize("kill_after", [0, 1, 2, 3, 4])
def test_killed_revision_then_rerun_revises_once_and_emails_once(
    sandbox: RunningSandbox, tmp_path: Path, kill_after: int, forkserver: multiprocessing.context.ForkServerContext  # noqa: F811
) -> None:
    specs, original = _sent_wrong(sandbox, tmp_path)
    child, lines = _start_child(forkserver, specs, sandbox)
    seen = _kill_after(child, lines, kill_after)
    assert child.exitcode == -signal.SIGKILL, seen
    assert seen[0] == "plan: 5 actions"  # revise, set the invoice's fields, update the item, finalize, send
    gateway = gateway_for(sandbox)
    _, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    assert remaining_actions(gateway, specs) == []
    assert duplicates(gateway) == []
    live = read_live(gateway)
    revision = live.invoices["acme-11"]
    assert (revision.from_invoice, revision.status, revision.total) == (original, "open", 3000)
    assert [(i.id, i.status) for i in live.revised["acme-11"]] == [(original, "void")]
    assert sent_events(gateway) == {original: 1, revision.id: 1}


def test_a_revision_whose_original_was_paid_meanwhile_is_held(
    sandbox: RunningSandbox, tmp_path: Path, forkserver: multiprocessing.context.ForkServerContext  # noqa: F811
) -> None:
    specs, original = _sent_wrong(sandbox, tmp_path)
    child, lines = _start_child(forkserver, specs, sandbox)
    _kill_after(child, lines, 1)  # the revision exists, as a draft
    gateway = gateway_for(sandbox)
    gateway.request("POST", f"/v1/invoices/{original}/pay", {"paid_out_of_band": True})
    plan, result = plan_and_apply(gateway, specs)
    assert plan.actions == () and [c.stripe_id for c in plan.conflicts] == [read_live(gateway).invoices["acme-11"].id]
    assert "is paid now" in plan.conflicts[0].message
    assert sent_events(gateway) == {original: 1}


def test_a_revision_stopped_before_its_send_marker_was_cleared_is_still_emailed_once(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # The run stopped between the revision's create and the step clearing the marker it copied
    # (`reconciler_send: done`, the original's): a draft was never emailed, so the marker is cleared.
    specs, original = _sent_wrong(sandbox, tmp_path)
    gateway = gateway_for(sandbox)
    draft = gateway.request("POST", "/v1/invoices", {"from_invoice": {"action": "revision", "invoice": original}})
    assert draft["metadata"]["reconciler_send"] == "done"
    plan, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    assert [a.name for a in plan.actions] == ["UpdateInvoice", "UpdateInvoiceItem", "FinalizeInvoice", "SendInvoice"]
    assert sent_events(gateway) == {original: 1, draft["id"]: 1}
    assert remaining_actions(gateway, specs) == []
