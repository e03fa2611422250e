"""Every cell of the lifecycle table end to end: each live state is reached the
way it happens in a shared account (the tool, a colleague through the SDK, a
customer through the sandbox's payment surface, time passing on the sandbox
clock); then the spec asks for each status, the plan is checked against the
table and applied, and the invoice ends where the table says."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import stripe

from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import NullReporter
from reconciler.apply.runner import apply_plan
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.plan.planner import make_plan
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from reconciler.spec.loader import load_specs

KEY = "acme-2026-11"
DESIRED = ("draft", "open", "sent", "paid", "void", "uncollectible")
NOTE, WAIT, ERR = "note", "wait", "error"
# Written out independently of the planner (rows as in docs/lifecycle.md).
TABLE: dict[str, tuple[object, ...]] = {
    "draft": ([], ["finalize"], ["finalize", "send"], ["finalize", "pay"], ["finalize", "void"],
              ["finalize", "mark uncollectible"]),
    "open": ([], [], ["send"], ["pay"], ["void"], ["mark uncollectible"]),
    "sent by reconciler": ([], [], [], ["pay"], ["void"], ["mark uncollectible"]),
    "sent from the Dashboard": ([], [], [], ["pay"], ["void"], ["mark uncollectible"]),
    "send unproven": ([], [], NOTE, ["pay"], ["void"], ["mark uncollectible"]),
    "payment processing": ([], [], [], WAIT, WAIT, WAIT),
    "paid": ([], [], [], [], ERR, []),
    "void": (ERR, ERR, ERR, ERR, [], []),
    "uncollectible": ([], [], [], ["pay"], ["void"], []),
}  # fmt: skip
FINAL = {"draft": "draft", "open": "open", "sent": "open", "paid": "paid", "void": "void", "uncollectible": "uncollectible"}
CELLS = [(row, wanted, TABLE[row][i]) for row in TABLE for i, wanted in enumerate(DESIRED)]


def _spec(directory: Path, status: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "acme.yaml").write_text(textwrap.dedent(f"""\
        customers:
          acme: {{name: Acme, email: billing@acme.example}}
        invoices:
          {KEY}:
            customer: acme
            days_until_due: 30
            status: {status}
            items:
              - {{description: Consulting, amount: 50000, currency: usd}}
        """))
    return directory


def _apply(gateway: StripeGateway, specs: Path) -> None:
    live = read_live(gateway)
    plan = make_plan(load_specs([specs]), live)
    result = apply_plan(plan, gateway, live, options=ApplyOptions(max_rps=1000.0), reporter=NullReporter())
    assert result.failed == [], result.failed


Setup = Callable[[RunningSandbox, stripe.StripeClient, str], None]
_ROW_SETUP: dict[str, tuple[str, Setup]] = {
    "draft": ("draft", lambda sb, c, i: None),
    "open": ("open", lambda sb, c, i: None),
    "sent by reconciler": ("sent", lambda sb, c, i: None),
    "sent from the Dashboard": ("open", lambda sb, c, i: c.v1.invoices.send_invoice(i) and None),
    "send unproven": ("open", lambda sb, c, i: sb.advance_clock(30 * 86_400) and None),
    "payment processing": ("sent", lambda sb, c, i: sb.pay(i, "processing") and None),
    "paid": ("open", lambda sb, c, i: sb.pay(i) and None),
    "void": ("open", lambda sb, c, i: c.v1.invoices.void_invoice(i) and None),
    "uncollectible": ("open", lambda sb, c, i: c.v1.invoices.mark_uncollectible(i) and None),
}


@pytest.mark.parametrize(("row", "wanted", "expected"), CELLS, ids=[f"{r}->{w}" for r, w, _ in CELLS])
def test_cell(
    row: str, wanted: str, expected: object, sandbox: RunningSandbox, stripe_client: stripe.StripeClient, tmp_path: Path
) -> None:
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    start, act = _ROW_SETUP[row]
    _apply(gateway, _spec(tmp_path / "specs", start))
    invoice_id = read_live(gateway).invoices[KEY].id
    act(sandbox, stripe_client, invoice_id)
    specs = _spec(tmp_path / "specs", wanted)
    desired = load_specs([specs])
    if expected == ERR:
        held = make_plan(desired, read_live(gateway))
        assert held.actions == () and "write `status: " in held.conflicts[0].message
        return
    live = read_live(gateway)
    plan = make_plan(desired, live)
    verbs = [a.verb for a in plan.actions]
    if expected in (NOTE, WAIT):
        assert verbs == [] and len(plan.notes) == 1, plan.notes
        return
    assert verbs == expected
    before = live.invoices[KEY].status
    sends_before = len(stripe_client.v1.events.list(params={"type": "invoice.sent"}).data)
    _apply(gateway, specs)
    after = read_live(gateway)
    status = after.invoices[KEY].status
    assert status == (FINAL[wanted] if expected else before)
    sends = len(stripe_client.v1.events.list(params={"type": "invoice.sent"}).data)
    assert sends - sends_before == (1 if "send" in verbs else 0)
    assert make_plan(desired, after).actions == ()  # converged
