"""Identity beyond metadata and held objects, on plain data (planner.identity, planner.hold)."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import amount_item, converged, desired, invoice

from reconciler.live.records import Live
from reconciler.plan.actions import CreateInvoice, FinalizeInvoice, SendInvoice
from reconciler.plan.planner import make_plan

INV = "jenny-rosen-2026-11"
NEXT = "jenny-rosen-2026-12"


def _wiped() -> tuple[Live, Live]:
    """(the converged account, the same with the invoice's and the customer's tags gone)."""
    d = desired(invoices={INV: invoice(status="sent")})
    live = converged(d)
    untagged = replace(live.invoices[INV], key="")
    wiped = replace(
        live,
        customers={},
        invoices={},
        untagged_invoices={untagged.id: untagged},
        untagged_customers=frozenset({"cus_jenny-rosen"}),
    )
    return live, wiped


def test_a_sent_event_of_the_key_holds_the_invoice_and_its_customer() -> None:
    _, wiped = _wiped()
    wiped = replace(wiped, untagged_invoices={}, sent_keys={INV: ((f"in_{INV}", "cus_jenny-rosen"),)})
    plan = make_plan(desired(invoices={INV: invoice(status="sent")}), wiped)
    assert [c.object for c in plan.conflicts] == [f"invoice:{INV}", "customer:jenny-rosen"]
    assert "carried reconciler_id jenny-rosen-2026-11 when it was emailed" in plan.conflicts[0].message
    assert f"`adopt: in_{INV}`" in plan.conflicts[0].message and "`adopt: cus_jenny-rosen`" in plan.conflicts[1].message
    assert plan.actions == ()  # no create, no send


def test_items_with_the_tools_tags_hold_the_invoice_when_no_event_is_left() -> None:
    _, wiped = _wiped()
    plan = make_plan(desired(invoices={INV: invoice(status="sent")}), wiped)
    assert plan.conflicts[0].object == f"invoice:{INV}"
    assert "its items still carry the tool's item tags (gold-special-usd)" in plan.conflicts[0].message
    assert not any(isinstance(a, (CreateInvoice, SendInvoice)) for a in plan.actions)


def test_the_same_items_every_month_hold_both_keys_naming_the_candidate() -> None:
    """An old invoice's tag wiped, its events expired: next month's invoice of the same
    items is held too (it may be either), until the old one is adopted."""
    _, wiped = _wiped()
    d = desired(invoices={INV: invoice(status="sent"), NEXT: invoice(status="sent")})
    held = [c.object for c in make_plan(d, wiped).conflicts]
    assert held[:2] == [f"invoice:{INV}", f"invoice:{NEXT}"]
    # Adopted under its own key, the old one is nobody else's candidate.
    adopted = d.invoices[INV].model_copy(update={"adopt": f"in_{INV}"})
    d = desired(invoices={INV: adopted, NEXT: invoice(status="sent")})
    again = replace(wiped, adoptable={f"in_{INV}": wiped.untagged_invoices[f"in_{INV}"]}, untagged_invoices={})
    messages = {c.object: c.message for c in make_plan(d, again).conflicts}
    # (still held, but only with its customer, whose tag went too and which is not adopted yet)
    assert messages[f"invoice:{NEXT}"].endswith("held with customer jenny-rosen (nothing is done to it until that is resolved)")


def test_a_new_key_with_other_items_is_created() -> None:
    live, wiped = _wiped()
    d = desired(invoices={NEXT: invoice(status="sent", items=[amount_item(description="Other")])})
    plan = make_plan(d, replace(wiped, customers=live.customers, untagged_customers=frozenset()))
    assert plan.conflicts == () and any(isinstance(a, CreateInvoice) for a in plan.actions)


def test_a_held_customer_holds_its_invoices_lifecycle() -> None:
    live, _ = _wiped()
    d = desired(invoices={INV: invoice(status="draft"), NEXT: invoice(status="sent")})
    # The customer lost its tag; its managed invoice still bills it.
    wiped = replace(live, customers={}, untagged_customers=frozenset({"cus_jenny-rosen"}),
                    invoices={INV: live.invoices[INV]})  # fmt: skip
    plan = make_plan(d, wiped)
    assert [c.object for c in plan.conflicts] == ["customer:jenny-rosen", f"invoice:{NEXT}"]
    assert plan.conflicts[1].message.endswith("held with customer jenny-rosen (nothing is done to it until that is resolved)")
    assert not any(isinstance(a, FinalizeInvoice) for a in plan.actions)
