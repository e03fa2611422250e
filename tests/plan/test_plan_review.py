"""Review on plain data: watched objects, their changes, targets, destroy limits, notices, redaction."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_builders import converged, customer, desired, invoice, item, price, product, with_invoice

from reconciler.live.account import Account
from reconciler.live.records import Live, LiveItem
from reconciler.plan.actions import DeleteCustomer, VoidInvoice
from reconciler.plan.errors import TooMuchDestroy
from reconciler.plan.plan import Plan
from reconciler.plan.redact import redact
from reconciler.plan.review import plan_for_review
from reconciler.plan.target import BadTarget, Target, narrow
from reconciler.plan.watch import changes_since, watched_objects

ACCOUNT = Account("acct_1", False)
INV = "jenny-rosen-2026-11"


def test_watched_objects_are_the_ones_acted_on_and_depended_on() -> None:
    d = desired(invoices={INV: invoice(status="open")}, customers={"jenny-rosen": customer(), "other": customer()})
    live = converged(desired(invoices={INV: invoice()}, customers={"jenny-rosen": customer(), "other": customer()}))
    plan = plan_for_review(d, live, account=ACCOUNT)
    refs = {w.ref: w.actions for w in plan.watched}
    # Finalizing the draft depends on the invoice and on who it bills; "other" is not watched.
    assert refs == {f"invoice:{INV}": (f"FinalizeInvoice:{INV}",), "customer:jenny-rosen": (f"FinalizeInvoice:{INV}",)}


def test_changes_elsewhere_do_not_matter_and_own_changes_are_named() -> None:
    d = desired(invoices={INV: invoice(status="sent"), "other": invoice(status="open")})
    before = converged(desired(invoices={INV: invoice(status="open"), "other": invoice(status="open")}))
    plan = plan_for_review(d, before, account=ACCOUNT)
    other_paid = with_invoice(before, "other", status="paid", amount_paid=2000, amount_remaining=0)
    assert changes_since(plan.watched, other_paid) == []
    ours_paid = with_invoice(before, INV, status="paid", amount_paid=2000, amount_remaining=0)
    assert changes_since(plan.watched, ours_paid) == [
        f"invoice {INV}: status open → paid, amount_paid 0 → 2000, amount_remaining 2000 → 0 since the plan was made"
    ]


def test_facts_read_beside_an_invoice_are_said_in_words() -> None:
    d = desired(invoices={INV: invoice(status="sent")})
    before = converged(desired(invoices={INV: invoice(status="open")}))
    plan = plan_for_review(d, before, account=ACCOUNT)
    emailed = with_invoice(before, INV, sent_event=True, payment_processing=True)
    assert changes_since(plan.watched, emailed) == [
        f"invoice {INV}: a payment of it is processing, "
        "emailed outside the plan (Stripe holds an invoice.sent event) since the plan was made"
    ]


def test_item_changes_and_personal_fields_are_phrased_without_values() -> None:
    d = desired(invoices={INV: invoice(items=[item(quantity=3)])})
    live = converged(desired())
    plan = plan_for_review(d, live, account=ACCOUNT)
    extra = LiveItem("ii_x", "", None, 1, 500, "usd", "Dashboard fee")
    edited = with_invoice(live, INV, items=(*live.invoices[INV].items, extra))
    edited = replace(edited, customers={"jenny-rosen": replace(live.customers["jenny-rosen"], email="j@other.example")})
    assert changes_since(plan.watched, edited) == [
        "customer jenny-rosen: email changed since the plan was made",
        f"invoice {INV}: item @ii_x added since the plan was made",
    ]
    gone = replace(live, customers={})
    assert "customer jenny-rosen: deleted or no longer managed since the plan was made" in changes_since(plan.watched, gone)


def test_an_object_created_since_is_named() -> None:
    d = desired()
    plan = plan_for_review(d, Live(), account=ACCOUNT)
    assert changes_since(plan.watched, converged(d))[0] == "customer jenny-rosen: created since the plan was made (cus_jenny-rosen)"


def test_target_closure_takes_dependencies_only() -> None:
    d = desired(
        products={"gold-special": product(), "silver": product(name="Silver")},
        prices={"gold-special-usd": price(), "silver-usd": price(product="silver")},
        customers={"jenny-rosen": customer(), "acme": customer(name="Acme")},
    )
    narrowed, live = narrow(d, converged(d), (Target("invoice", INV),))
    assert (set(narrowed.products), set(narrowed.prices), set(narrowed.customers), set(narrowed.invoices)) == (
        {"gold-special"}, {"gold-special-usd"}, {"jenny-rosen"}, {INV},
    )  # fmt: skip
    assert set(live.customers) == {"jenny-rosen"} and set(live.products) == {"gold-special"}


def test_target_with_prune_removes_only_the_target() -> None:
    live = converged(desired(customers={"jenny-rosen": customer(), "gone": customer(), "kept": customer()}))
    plan = plan_for_review(desired(), live, account=ACCOUNT, prune=True, targets=(Target("customer", "gone"),))
    assert [a.id for a in plan.actions] == ["DeleteCustomer:gone"]
    with pytest.raises(BadTarget, match="no customer 'nobody' in the specs or in Stripe"):
        plan_for_review(desired(), live, account=ACCOUNT, targets=(Target("customer", "nobody"),))


def test_a_targeted_prune_of_a_product_takes_its_prices_and_only_with_prune() -> None:
    d = desired(
        products={"gold-special": product(), "silver": product(name="Silver")},
        prices={"gold-special-usd": price(), "silver-usd": price(product="silver")},
    )
    live = converged(d)
    gone = d.model_copy(update={"products": {"gold-special": product()}, "prices": {"gold-special-usd": price()}})
    pruned = plan_for_review(gone, live, account=ACCOUNT, prune=True, targets=(Target("product", "silver"),))
    archive_price = f"ArchivePrice:silver-usd:{live.prices['silver-usd'].id}"
    assert sorted(a.id for a in pruned.actions) == sorted(["ArchiveProduct:silver", archive_price])
    unpruned = plan_for_review(gone, live, account=ACCOUNT, targets=(Target("product", "silver"),))
    assert unpruned.actions == ()


def _deletes(n: int) -> tuple[DeleteCustomer, ...]:
    return tuple(DeleteCustomer(key=f"c{i}", reason="r", stripe_id=f"cus_{i}") for i in range(n))


def test_destroy_limit_counts_objects_and_the_share_of_a_kind() -> None:
    assert Plan(_deletes(10), managed={"customer": 100}).warnings() == []
    assert Plan(_deletes(11), managed={"customer": 100}).unsafe_reason() == "this plan destroys 11 objects, more than 10 at once"
    share = Plan(_deletes(3), managed={"customer": 10})
    assert share.unsafe_reason() == "this plan destroys 3 of 10 managed customers (30%, more than 20% of a kind)"
    # Below 10 managed objects of a kind, one object is already a large share: only the count applies.
    assert Plan(_deletes(3), managed={"customer": 4}).unsafe_reason() is None
    voids = tuple(VoidInvoice(key=f"i{i}", reason="spec status: void", stripe_id=f"in_{i}") for i in range(11))
    assert Plan(voids).destroys() == voids


def test_raise_if_unsafe_is_bypassed_only_by_enough_allow_destroy() -> None:
    plan = Plan(_deletes(12))
    with pytest.raises(TooMuchDestroy, match="pass --allow-destroy 12 if that is intended"):
        plan.raise_if_unsafe()
    with pytest.raises(TooMuchDestroy, match="--allow-destroy 11 does not cover them"):
        plan.raise_if_unsafe(allow_destroy=11)
    plan.raise_if_unsafe(allow_destroy=12)
    Plan(_deletes(2)).raise_if_unsafe()


def test_notices_name_recipient_total_and_due_date() -> None:
    d = desired(invoices={INV: invoice(status="sent"), "void-me": invoice(status="void")})
    live = converged(desired(invoices={INV: invoice(), "void-me": invoice(status="open")}))
    live = with_invoice(live, "void-me", due_date=1_800_000_000)
    plan = plan_for_review(d, live, account=ACCOUNT)
    shown = [(n.invoice, n.effect, n.recipient, n.amount, n.due) for n in plan.notices]
    assert shown == [
        (INV, "emailed", "Jenny Rosen <jenny.rosen@example.com>", 2000, "30 days after it is finalized"),
        ("void-me", "voided", "Jenny Rosen <jenny.rosen@example.com>", 2000, "2027-01-15"),
    ]
    assert [n.recipient for n in redact(plan).notices] == ["(redacted)", "(redacted)"]


def test_redact_masks_customer_params_and_changes_only() -> None:
    live = converged(desired(customers={"jenny-rosen": customer(email="old@example.com")}))
    wanted = desired(customers={"jenny-rosen": customer(), "new": customer(phone="+1 555")}, invoices={INV: invoice(status="open")})
    plan = plan_for_review(wanted, live, account=ACCOUNT)
    masked = redact(plan)
    create = next(a for a in masked.actions if a.id == "CreateCustomer:new")
    update = next(a for a in masked.actions if a.id == "UpdateCustomer:jenny-rosen")
    assert create.params["email"] == create.params["name"] == create.params["phone"] == "(redacted)"  # type: ignore[attr-defined]
    assert create.params["metadata"] == {"reconciler_id": "new"}  # type: ignore[attr-defined]
    assert [(c.field, c.old, c.new) for c in update.changes] == [("email", "(redacted)", "(redacted)")]  # type: ignore[attr-defined]
    untouched = [a for a in plan.actions if a.kind != "customer"]
    assert untouched == [a for a in masked.actions if a.kind != "customer"] and untouched


def test_watched_objects_of_an_empty_plan_are_none() -> None:
    d = desired()
    assert watched_objects((), converged(d)) == ()
