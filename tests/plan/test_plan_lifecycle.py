"""Planner: invoice status transitions, prune, duplicates."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import converged, desired, ids, invoice, with_invoice

from reconciler.live.records import Live
from reconciler.spec.models import Desired
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

INV = "jenny-rosen-2026-11"
F, S, P, V, M = "FinalizeInvoice", "SendInvoice", "PayInvoice", "VoidInvoice", "MarkUncollectible"

# (live status, send marker, desired status) -> lifecycle actions
ALLOWED = [
    ("draft", None, "draft", []),
    ("draft", None, "open", [F]),
    ("draft", None, "sent", [F, S]),
    ("draft", None, "paid", [F, P]),
    ("draft", None, "void", [F, V]),
    ("draft", None, "uncollectible", [F, M]),
    ("open", None, "open", []),
    ("open", None, "sent", [S]),
    ("open", SEND_REQUESTED, "sent", [S]),
    ("open", SEND_DONE, "sent", []),
    ("open", SEND_DONE, "open", []),
    ("open", None, "paid", [P]),
    ("open", None, "void", [V]),
    ("open", None, "uncollectible", [M]),
    ("uncollectible", None, "paid", [P]),
    ("uncollectible", None, "void", [V]),
    ("uncollectible", None, "uncollectible", []),
    ("paid", None, "paid", []),
    ("paid", None, "sent", []),  # the customer paid: at least sent, not drift
    ("paid", None, "open", []),
    ("void", None, "void", []),
]


@pytest.mark.parametrize(("live_status", "marker", "wanted", "steps"), ALLOWED)
def test_lifecycle_steps(live_status: str, marker: str | None, wanted: str, steps: list[str]) -> None:
    d = desired(invoices={INV: invoice(status=wanted)})
    live = with_invoice(converged(d), INV, status=live_status, send_marker=marker)
    plan = make_plan(d, live)
    assert [type(a).__name__ for a in plan.actions] == steps
    assert all(a.stripe_id == f"in_{INV}" for a in plan.actions)
    for earlier, later in zip(plan.actions, plan.actions[1:]):
        assert later.depends_on == (earlier.id,)


REFUSED = [
    ("open", "draft", "a finalized invoice cannot return to draft"),
    ("uncollectible", "open", "an uncollectible invoice cannot be reopened (pay or void it)"),
    ("uncollectible", "sent", "an uncollectible invoice cannot be reopened (pay or void it)"),
    ("paid", "void", "a paid invoice cannot be voided, reopened or marked uncollectible"),
    ("paid", "uncollectible", "a paid invoice cannot be voided, reopened or marked uncollectible"),
    ("paid", "draft", "a finalized invoice cannot return to draft"),
    ("void", "paid", "void is terminal"),
    ("void", "open", "void is terminal"),
]


@pytest.mark.parametrize(("live_status", "wanted", "why"), REFUSED)
def test_backward_moves_are_errors(live_status: str, wanted: str, why: str) -> None:
    d = desired(invoices={INV: invoice(status=wanted)})
    live = with_invoice(converged(d), INV, status=live_status, number="A-1")
    with pytest.raises(InvalidInvoiceTransition) as err:
        make_plan(d, live)
    assert err.value.lines() == [f"invoice {INV} (in_{INV}, number A-1) is {live_status}, the spec says {wanted}: {why}"]


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
    (send,) = make_plan(d, live).actions
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
    live = converged(desired(invoices={"a": invoice(status="paid"), "b": invoice(status="open")}))
    live = replace(live, duplicates={"products/gold-special": ("prod_1", "prod_2")})
    with pytest.raises(FrozenInvoiceChanges) as err:  # frozen wins the class; every line is kept
        make_plan(d, live)
    assert [line.split(":")[0] for line in err.value.lines()] == [
        "2 live products claim the key gold-special (prod_1, prod_2)",
        "invoice a (in_a, number NUM-a) is paid, the spec says draft",
        "invoice b (in_b, number NUM-b) is open",
    ]
