"""Planner: invoice status transitions, prune, duplicates."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import converged, desired, ids, invoice, with_invoice

from reconciler.live.records import Live
from reconciler.ownership import SEND_DONE, SEND_REQUESTED
from reconciler.plan.actions import (
    ArchivePrice,
    ArchiveProduct,
    DeleteCustomer,
    DeleteInvoice,
    FinalizeInvoice,
    PayInvoice,
    SendInvoice,
    VoidInvoice,
    section_of,
)
from reconciler.plan.errors import DuplicateLiveObjects, FrozenInvoiceChanges, InvalidInvoiceTransition
from reconciler.plan.planner import make_plan
from reconciler.spec.models import Desired

INV = "jenny-rosen-2026-11"
F, S, P, V, M = "FinalizeInvoice", "SendInvoice", "PayInvoice", "VoidInvoice", "MarkUncollectible"

# The table of docs/lifecycle.md, written out independently of the planner's.
# Rows: where the invoice is; columns: what the spec says. A list is the
# lifecycle steps planned; NOTE / WAIT: no step and a note; ERR: a refusal.
NOTE, WAIT, ERR = "note", "wait", "error"
DESIRED = ("draft", "open", "sent", "paid", "void", "uncollectible")
TABLE: dict[str, tuple[object, ...]] = {
    "draft": ([], [F], [F, S], [F, P], [F, V], [F, M]),
    "open": ([], [], [S], [P], [V], [M]),
    "sent by reconciler": ([], [], [], [P], [V], [M]),
    "sent by someone else": ([], [], [], [P], [V], [M]),
    "send unproven": ([], [], NOTE, [P], [V], [M]),
    "payment processing": ([], [], [], WAIT, WAIT, WAIT),
    "paid": ([], [], [], [], ERR, []),
    "void": (ERR, ERR, ERR, ERR, [], []),
    "uncollectible": ([], [], [], [P], [V], []),
}  # fmt: skip

# How each row looks in Live (events complete since 0 unless said otherwise).
ROWS: dict[str, dict[str, object]] = {
    "draft": {"status": "draft", "number": None, "finalized_at": None},
    "open": {"status": "open"},
    "sent by reconciler": {"status": "open", "send_marker": SEND_DONE},
    "sent by someone else": {"status": "open", "sent_event": True},
    "send unproven": {"status": "open", "finalized_at": 1000},  # events complete only since 2000
    "payment processing": {"status": "open", "payment_processing": True},
    "paid": {"status": "paid"},
    "void": {"status": "void"},
    "uncollectible": {"status": "uncollectible"},
}

CELLS = [(row, wanted, TABLE[row][i]) for row in TABLE for i, wanted in enumerate(DESIRED)]


def _live_for(row: str, d: Desired) -> Live:
    fields = {"send_marker": None, **ROWS[row]}
    live = with_invoice(converged(d), INV, **fields)
    return replace(live, events_complete_since=2000) if row == "send unproven" else live


@pytest.mark.parametrize(("row", "wanted", "expected"), CELLS, ids=[f"{r}->{w}" for r, w, _ in CELLS])
def test_every_cell_of_the_lifecycle_table(row: str, wanted: str, expected: object) -> None:
    d = desired(invoices={INV: invoice(status=wanted)})
    live = _live_for(row, d)
    if expected == ERR:
        held = make_plan(d, live)  # the invoice is held; nothing is planned for it
        assert held.actions == ()
        (line,) = [c.message for c in held.conflicts]
        assert held.conflicts[0].object == f"invoice:{INV}" and held.conflicts[0].stripe_id == f"in_{INV}"
        assert line.startswith(f"invoice {INV} (in_{INV}") and f"the spec says {wanted}" in line
        assert "write `status: " in line  # every refusal says what to write in the spec
        return
    plan = make_plan(d, live)
    steps = [type(a).__name__ for a in plan.actions]
    if expected in (NOTE, WAIT):
        assert steps == []
        (note,) = plan.notes
        assert note.startswith(f"invoice {INV} (in_{INV}")
        assert ("assume_unsent: true" in note) if expected == NOTE else ("processing" in note)
        return
    assert steps == expected
    assert plan.notes == ()
    assert all(a.stripe_id == (f"in_{INV}") for a in plan.actions)
    for earlier, later in zip(plan.actions, plan.actions[1:], strict=False):
        assert later.depends_on == (earlier.id,)


def test_the_docs_table_is_the_planners_table() -> None:
    """docs/lifecycle.md shows the table the planner runs (generated from it)."""
    from pathlib import Path

    from reconciler.plan.render.lifecycle_table import markdown_table

    docs = (Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md").read_text()
    assert markdown_table() in docs


def test_refusals_name_the_way_out() -> None:
    d = desired(invoices={INV: invoice(status="sent")})
    live = with_invoice(converged(d), INV, status="void", number="A-1")
    assert [c.message for c in make_plan(d, live).conflicts] == [
        f"invoice {INV} (in_{INV}, number A-1) is void, the spec says sent: a void invoice is final: "
        "write `status: void` for it, and issue a new invoice under a new key if the customer still owes this"
    ]


def test_paid_invoice_cannot_be_voided() -> None:
    d = desired(invoices={INV: invoice(status="void")})
    live = with_invoice(converged(d), INV, status="paid", number="A-1")
    assert [c.message for c in make_plan(d, live).conflicts] == [
        f"invoice {INV} (in_{INV}, number A-1) is paid, the spec says void: a paid invoice cannot be voided "
        "(refund the payment in the Dashboard if it must be undone): write `status: paid`"
    ]


def test_unproven_send_with_assume_unsent_is_planned() -> None:
    d = desired(invoices={INV: invoice(status="sent", assume_unsent=True)})
    live = replace(with_invoice(converged(d), INV, send_marker=None, finalized_at=1000), events_complete_since=2000)
    (send,) = make_plan(d, live).actions
    assert isinstance(send, SendInvoice) and send.assume_unsent
    assert "assume_unsent: true" in send.reason


def test_assume_unsent_never_overrides_proof_of_a_send() -> None:
    d = desired(invoices={INV: invoice(status="sent", assume_unsent=True)})
    live = with_invoice(converged(d), INV, send_marker=None, sent_event=True)
    assert make_plan(d, live).is_empty


def test_uncollectible_invoice_being_paid_waits() -> None:
    d = desired(invoices={INV: invoice(status="void")})
    live = with_invoice(converged(d), INV, status="uncollectible", payment_processing=True)
    plan = make_plan(d, live)
    assert plan.is_empty and len(plan.notes) == 1 and "processing" in plan.notes[0]


def test_sent_with_charge_automatically_is_an_error() -> None:
    d = desired(invoices={INV: invoice(status="sent", collection_method="charge_automatically", days_until_due=None)})
    with pytest.raises(InvalidInvoiceTransition) as err:
        make_plan(d, Live())
    assert str(err.value) == (
        f"invoice {INV}: status sent needs collection_method send_invoice "
        "(a charge_automatically invoice is charged, not sent): use status open"
    )


def test_interrupted_send_is_planned_with_a_warning_reason() -> None:
    d = desired(invoices={INV: invoice(status="sent")})
    live = with_invoice(converged(d), INV, send_marker=SEND_REQUESTED)
    (send,) = make_plan(d, live).actions  # finalized inside the events window: provably unsent
    assert isinstance(send, SendInvoice)
    assert send.reason == (
        "email the invoice to the customer, once (spec status: sent); "
        "an earlier send was interrupted: the applier checks before sending again"
    )


def test_lifecycle_of_a_new_invoice_waits_for_create_and_items() -> None:
    d = desired(invoices={INV: invoice(status="paid")})
    plan = make_plan(d, replace(converged(d), invoices={}))
    assert ids(plan) == [
        f"CreateInvoice:{INV}",
        f"AddInvoiceItem:{INV}:gold-special-usd",
        f"FinalizeInvoice:{INV}",
        f"PayInvoice:{INV}",
    ]
    finalize, pay = plan.actions[2:]
    assert finalize == FinalizeInvoice(
        key=INV,
        reason="finalize the draft (spec status: paid)",
        depends_on=(f"CreateInvoice:{INV}", f"AddInvoiceItem:{INV}:gold-special-usd"),
        stripe_id="",
    )
    assert pay == PayInvoice(
        key=INV, reason="mark paid out of band (spec status: paid)", depends_on=(finalize.id,), stripe_id=""
    )
    assert plan.summary == {"create": 2, "update": 0, "lifecycle": 2, "destroy": 0}


def _prunable() -> tuple[Desired, Live]:
    """Specs keep only the quickstart; live also holds objects of removed keys."""
    everything = desired(
        products={"gold-special": desired().products["gold-special"], "old": desired().products["gold-special"]},
        prices={
            "gold-special-usd": desired().prices["gold-special-usd"],
            "old-usd": desired().prices["gold-special-usd"].model_copy(update={"product": "old"}),
            "old-gone": desired().prices["gold-special-usd"],
        },
        customers={"jenny-rosen": desired().customers["jenny-rosen"], "bob": desired().customers["jenny-rosen"]},
        invoices={
            INV: invoice(),
            "bob-draft": invoice(customer="bob"),
            "bob-open": invoice(customer="bob", status="open"),
            "bob-paid": invoice(customer="bob", status="paid"),
            "bob-void": invoice(customer="bob", status="void"),
            "jen-unc": invoice(status="uncollectible"),
        },
    )
    live = converged(everything)
    live = replace(
        live,
        prices={**live.prices, "old-gone": replace(live.prices["old-gone"], active=False)},
    )
    return desired(), live


def test_nothing_is_destroyed_without_prune() -> None:
    d, live = _prunable()
    assert make_plan(d, live).is_empty


def test_prune_destroys_last_in_order() -> None:
    d, live = _prunable()
    plan = make_plan(d, live, prune=True)
    assert ids(plan) == [
        "DeleteInvoice:bob-draft",
        "VoidInvoice:bob-open",
        "VoidInvoice:jen-unc",
        "ArchivePrice:old-usd:price_old-usd",
        "ArchiveProduct:old",
        "DeleteCustomer:bob",
    ]
    by_id = {a.id: a for a in plan.actions}
    assert by_id["VoidInvoice:bob-open"] == VoidInvoice(
        key="bob-open", reason="no longer in the specs (--prune)", stripe_id="in_bob-open", prune=True
    )
    assert by_id["ArchiveProduct:old"].depends_on == ("ArchivePrice:old-usd:price_old-usd",)
    assert by_id["DeleteCustomer:bob"].depends_on == ("DeleteInvoice:bob-draft", "VoidInvoice:bob-open")
    assert {section_of(a) for a in plan.actions} == {"destroy"}
    assert plan.summary == {"create": 0, "update": 0, "lifecycle": 0, "destroy": 6}
    assert isinstance(plan.actions[0], DeleteInvoice) and isinstance(plan.actions[4], ArchiveProduct)
    assert isinstance(plan.actions[3], ArchivePrice) and isinstance(plan.actions[5], DeleteCustomer)


def test_prune_comes_after_other_changes() -> None:
    d, live = _prunable()
    d2 = desired(invoices={INV: invoice(status="open")})
    plan = make_plan(d2, live, prune=True)
    assert ids(plan)[0] == f"FinalizeInvoice:{INV}"
    assert [section_of(a) for a in plan.actions][1:] == ["destroy"] * 6


def test_lifecycle_void_is_not_a_destroy() -> None:
    d = desired(invoices={INV: invoice(status="void")})
    plan = make_plan(d, with_invoice(converged(d), INV, status="open"))
    assert section_of(plan.actions[0]) == "lifecycle"


def test_duplicate_live_objects_are_reported() -> None:
    d = desired()
    live = replace(converged(d), duplicates={"customers/jenny-rosen": ("cus_2", "cus_1")})
    with pytest.raises(DuplicateLiveObjects) as err:
        make_plan(d, live)
    assert err.value.lines() == [
        "2 live customers claim the key jenny-rosen (cus_1, cus_2): remove metadata.reconciler_id from all but one"
    ]


def test_all_problems_are_reported_together() -> None:
    d = desired(invoices={"a": invoice(status="draft"), "b": invoice(status="open", description="x")})
    live = converged(desired(invoices={"a": invoice(status="void"), "b": invoice(status="open")}))
    live = replace(live, duplicates={"products/gold-special": ("prod_1", "prod_2")})
    with pytest.raises(FrozenInvoiceChanges) as err:  # frozen wins the class; every line is kept
        make_plan(d, live)
    assert [line.split(":")[0] for line in err.value.lines()] == [
        "2 live products claim the key gold-special (prod_1, prod_2)",
        "invoice b (in_b, number NUM-b) is open",
        # What would be held, after the errors: all a person must act on, at once.
        "invoice a (in_a, number NUM-a) is void, the spec says draft",
    ]
