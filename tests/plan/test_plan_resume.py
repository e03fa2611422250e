"""Applying a saved plan again (plan.resume), on plain data."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import converged, customer, desired, invoice, with_invoice

from reconciler.ownership import SEND_DONE
from reconciler.plan.resume import progress, rest_of
from reconciler.plan.review import plan_for_review

INV = "jenny-rosen-2026-11"


def _saved_and_after() -> tuple:
    """A plan changing Jenny's email and sending her draft; live state before and after it ran."""
    before = converged(desired(invoices={INV: invoice(status="draft")}))
    wanted = desired(customers={"jenny-rosen": customer(email="new@example.com")}, invoices={INV: invoice(status="sent")})
    saved = plan_for_review(wanted, before, account=None)
    after = converged(wanted)
    after = with_invoice(after, INV, sent_event=True, send_marker=SEND_DONE)
    return wanted, saved, after


def test_the_plans_own_writes_are_done_not_stale() -> None:
    wanted, saved, after = _saved_and_after()
    found = progress(saved, after)
    assert found.stale == () and found.changed == {"customer:jenny-rosen", f"invoice:{INV}"}
    fresh = plan_for_review(wanted, after, account=None)
    assert fresh.is_empty and rest_of(saved, fresh, found.changed) == ([], len(saved.actions))


def test_anothers_change_beside_them_is_stale() -> None:
    _, saved, after = _saved_and_after()
    moved = replace(after, customers={"jenny-rosen": replace(after.customers["jenny-rosen"], phone="+1 555")})
    assert progress(saved, moved).stale == ("customer jenny-rosen: phone changed since the plan was made",)
    voided = with_invoice(after, INV, status="void")
    assert progress(saved, voided).stale[0].startswith(f"invoice {INV}: status draft → void")


def test_a_reviewed_action_not_done_and_no_longer_planned_is_refused() -> None:
    wanted, saved, after = _saved_and_after()
    half = replace(after, invoices=converged(desired(invoices={INV: invoice(status="draft")})).invoices)
    found = progress(saved, half)  # the customer update went through, the invoice is untouched
    assert found.changed == {"customer:jenny-rosen"}
    unwanted = wanted.model_copy(update={"invoices": {INV: invoice(status="draft")}})  # the specs no longer send it
    lines, _ = rest_of(saved, plan_for_review(unwanted, half, account=None), found.changed)
    assert [line.split(" (")[0] for line in lines] == [f"reviewed but no longer planned: finalize invoice {INV}",
                                                       f"reviewed but no longer planned: send invoice {INV}"]
