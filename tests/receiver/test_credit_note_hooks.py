"""Hooks subscribe to credit_note.created and credit_note.voided: they run with the credited invoice's facts."""

from __future__ import annotations

from pathlib import Path

import stripe

from reconciler.receiver.hooks import KNOWN_EVENTS
from reconciler.sandbox import RunningSandbox

from .world import RECORD, make_world, wait_until

HOOKS = f"""\
hooks:
  - name: credit-notice
    events: [credit_note.created, credit_note.voided]
    run: '{RECORD}'
"""


def test_credit_note_events_are_known_hook_events() -> None:
    assert {"credit_note.created", "credit_note.updated", "credit_note.voided"} <= set(KNOWN_EVENTS)


def test_a_credit_note_issued_then_voided_runs_its_hook_for_the_credited_invoice(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    world = make_world(tmp_path, sandbox, stripe_client)
    (tmp_path / "hooks.yaml").write_text(HOOKS)
    world.start_receiver()
    try:
        invoice_id = world.invoices["ada-2026-11"]
        note = stripe_client.v1.credit_notes.create({"invoice": invoice_id, "amount": 100})
        wait_until(lambda: world.settled(1), what="the credit note's hook")
        stripe_client.v1.credit_notes.void_credit_note(note.id)
        wait_until(lambda: world.settled(2), what="the void's hook")
    finally:
        world.stop()
    runs = world.runs()
    assert sorted((r[0], r[2], r[3], r[4], r[5]) for r in runs) == sorted([
        ("credit-notice", "credit_note.created", invoice_id, "ada-2026-11", "open"),
        ("credit-notice", "credit_note.voided", invoice_id, "ada-2026-11", "open"),
    ])
