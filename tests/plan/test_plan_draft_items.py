"""Planner: items reconciler did not add, and descriptions Stripe fills in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import amount_item, converged, customer, desired, ids, invoice, item, product, with_invoice

from reconciler.live.records import Live, LiveItem
from reconciler.plan.actions import FieldChange, RemoveInvoiceItem, UpdateInvoiceItem, section_of
from reconciler.plan.planner import make_plan
from reconciler.spec.models import Desired

INV = "jenny-rosen-2026-11"
MANUAL = LiveItem("ii_manual", "", None, 1, 100, "usd", "added in the Dashboard")
MANUAL2 = LiveItem("ii_another", "", None, 1, 50, "usd")


def _with_strays(status: str = "draft") -> tuple[Desired, Live]:
    d = desired(invoices={INV: invoice(status=status)})
    live = converged(desired())
    return d, with_invoice(live, INV, items=(*live.invoices[INV].items, MANUAL, MANUAL2))


@pytest.mark.parametrize("status", ["draft", "open", "paid"])
def test_a_draft_with_items_others_added_is_held_with_a_note_without_prune(status: str) -> None:
    """Someone else's items: not an error (another actor's doing), but the draft
    is left alone: finalizing would bill what nobody reviewed."""
    d, live = _with_strays(status)
    d = d.model_copy(update={"customers": {**d.customers, "bob": customer(name="Bob")}})  # the rest goes on
    plan = make_plan(d, live)
    assert ids(plan) == ["CreateCustomer:bob"]
    assert plan.notes == (
        f"invoice {INV} has items reconciler did not add (ii_another, ii_manual): "
        "remove them in Stripe, or run with --prune to delete them; until then nothing is done to it",
    )


def test_unmanaged_items_are_removed_with_prune_in_the_destroy_section() -> None:
    d, live = _with_strays("open")
    plan = make_plan(d, live, prune=True)
    assert ids(plan) == [
        f"RemoveInvoiceItem:{INV}:@ii_another",
        f"RemoveInvoiceItem:{INV}:@ii_manual",
        f"FinalizeInvoice:{INV}",
    ]
    removal = plan.actions[1]
    assert removal == RemoveInvoiceItem(
        key=INV, reason="an item the specs do not manage (--prune)", item_key="@ii_manual", stripe_id="ii_manual", prune=True
    )
    assert section_of(removal) == "destroy"
    assert plan.actions[2].depends_on == tuple(a.id for a in plan.actions[:2])
    assert plan.summary == {"create": 0, "update": 0, "lifecycle": 1, "destroy": 2}


def test_a_draft_that_must_be_recreated_keeps_unmanaged_items_safe() -> None:
    """Changing the customer deletes and re-creates the draft: not with items nobody asked to delete."""
    d = desired(customers={"jenny-rosen": customer(), "bob": customer(name="Bob")}, invoices={INV: invoice(customer="bob")})
    base = converged(desired(customers={"jenny-rosen": customer(), "bob": customer(name="Bob")}))
    live = with_invoice(base, INV, items=(*base.invoices[INV].items, MANUAL))
    held = make_plan(d, live)
    assert held.is_empty and held.notes[0].startswith(f"invoice {INV} has items reconciler did not add (ii_manual)")
    assert ids(make_plan(d, live, prune=True))[:2] == [f"DeleteInvoice:{INV}", f"CreateInvoice:{INV}"]


@pytest.mark.parametrize("prune", [False, True])
def test_a_finalized_invoice_with_items_others_added_is_held_with_a_note(prune: bool) -> None:
    """Its items cannot be removed (frozen), nor should it be sent as is: no step, a note."""
    d = desired(invoices={INV: invoice(status="sent")})
    live = converged(desired(invoices={INV: invoice(status="open")}))
    live = with_invoice(live, INV, items=(*live.invoices[INV].items, MANUAL))
    plan = make_plan(d, live, prune=prune)
    assert plan.is_empty
    assert plan.notes == (
        f"invoice {INV} (in_{INV}, number NUM-{INV}) has items reconciler did not add (ii_manual): a finalized "
        "invoice cannot change: if it is wrong, void it (status: void) and issue a new invoice under a new key; "
        "until then no lifecycle step is taken",
    )


def test_removed_description_of_a_price_item_returns_to_the_product_name() -> None:
    with_note = desired(invoices={INV: invoice(items=[item(quantity=2, description="Gold, special offer")])})
    d = desired()
    plan = make_plan(d, converged(with_note))
    (update,) = plan.actions
    assert isinstance(update, UpdateInvoiceItem)
    assert update.changes == (FieldChange("description", "Gold, special offer", "Gold Special"),)
    assert update.stripe_params() == {"description": "Gold Special"}
    # once Stripe shows the product name again, nothing is left to do
    assert make_plan(d, converged(d)).actions == ()


def test_description_follows_a_product_rename() -> None:
    d = desired(products={"gold-special": product(name="Gold Deluxe")})
    plan = make_plan(d, converged(desired()))
    assert ids(plan) == ["UpdateProduct:gold-special", f"UpdateInvoiceItem:{INV}:gold-special-usd"]
    assert plan.actions[1].changes == (FieldChange("description", "Gold Special", "Gold Deluxe"),)
    assert make_plan(d, converged(d)).actions == ()


def test_new_price_item_waits_for_the_product_rename() -> None:
    d = desired(products={"gold-special": product(name="Gold Deluxe")}, invoices={INV: invoice(items=[item(), amount_item()])})
    live = converged(desired(products={"gold-special": product()}))
    live = with_invoice(live, INV, items=())
    plan = make_plan(d, live)
    adds = [a for a in plan.actions if a.id.startswith("AddInvoiceItem")]
    assert [a.depends_on for a in adds] == [("UpdateProduct:gold-special",), ()]


def test_amount_item_without_description_is_left_alone() -> None:
    d = desired(invoices={INV: invoice(items=[amount_item(key="fee", description=None)])})
    live = converged(d)
    live = with_invoice(live, INV, items=(replace(live.invoices[INV].items[0], description="typed in the Dashboard"),))
    assert make_plan(d, live).actions == ()
