"""Planner: `status: paid` on charge_automatically invoices charges the saved card (plain data)."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import converged, desired, invoice, with_invoice

from reconciler.live.records import Live, PaymentAttempt, PaymentCard
from reconciler.plan.actions import ChargeInvoice, FinalizeInvoice, PayInvoice
from reconciler.plan.planner import make_plan
from reconciler.spec.models import Desired

INV = "jenny-rosen-2026-11"
VISA = PaymentCard("pm_visa", "visa", "4242")
CHARGED = {"collection_method": "charge_automatically", "days_until_due": None}


def _live(status: str = "open", card: PaymentCard | None = VISA, **invoice_over: object) -> Live:
    """Jenny's open (or draft) charge_automatically invoice; her default card `card`."""
    live = converged(desired(invoices={INV: invoice(status="open" if status == "open" else "draft", **CHARGED)}))
    jenny = replace(live.customers["jenny-rosen"], default_payment_method=card)
    live = replace(live, customers={"jenny-rosen": jenny})
    return with_invoice(live, INV, **invoice_over)


def _paid(**over: object) -> Desired:
    return desired(invoices={INV: invoice(status="paid", **CHARGED, **over)})


def test_an_open_invoice_is_charged_to_the_customers_default_card() -> None:
    (charge,) = make_plan(_paid(), _live()).actions
    assert charge == ChargeInvoice(key=INV, reason="charge visa •••• 4242 (spec status: paid)",
                                   stripe_id=f"in_{INV}", payment_method="pm_visa", card="visa •••• 4242")


def test_a_draft_is_finalized_then_charged_and_the_invoices_own_card_comes_first() -> None:
    own = PaymentCard("pm_mc", "mastercard", "4444")
    finalize, charge = make_plan(_paid(), _live("draft", default_payment_method=own)).actions
    assert isinstance(finalize, FinalizeInvoice) and isinstance(charge, ChargeInvoice)
    assert (charge.payment_method, charge.card, charge.depends_on) == ("pm_mc", "mastercard •••• 4444",
                                                                       (finalize.id,))


def test_after_a_decline_one_new_attempt_keyed_after_the_failed_charge() -> None:
    declined = PaymentAttempt("requires_payment_method", "card_declined", "insufficient_funds",
                              "Your card has insufficient funds.", "ch_failed")
    (charge,) = make_plan(_paid(), _live(attempt_count=1, last_attempt=declined)).actions
    assert isinstance(charge, ChargeInvoice) and charge.after_charge == "ch_failed"
    assert charge.reason == ("charge visa •••• 4242 again (spec status: paid): 1 attempt so far, last failed: "
                             "card_declined/insufficient_funds: Your card has insufficient funds.")


def test_a_charge_waiting_for_3d_secure_is_never_retried_and_the_note_gives_the_link() -> None:
    waiting = PaymentAttempt("requires_action")
    url = "https://invoice.stripe.com/i/acct_1/test_x"
    plan = make_plan(_paid(), _live(attempt_count=1, last_attempt=waiting, hosted_invoice_url=url))
    assert plan.actions == ()
    (note,) = plan.notes
    assert url in note and "never retries" in note


def test_no_card_on_file_holds_that_invoice_only() -> None:
    other = "acme-2026-11"
    d = desired(invoices={INV: invoice(status="paid", **CHARGED), other: invoice(status="open")})
    live = replace(_live(card=None), invoices={**_live().invoices})
    plan = make_plan(d, live)
    assert [a.key for a in plan.actions] == [other, other, other]  # the other invoice is created and finalized
    (held,) = plan.conflicts
    assert (held.object, held.stripe_id) == (f"invoice:{INV}", f"in_{INV}")
    assert held.message == (f"invoice {INV} (in_{INV}, number NUM-{INV}): no payment method on file: cannot charge "
                            "(the customer's invoice_settings.default_payment_method is set by a checkout or setup "
                            "flow, never by specs); write paid_out_of_band: true for a payment made outside Stripe, "
                            "or status: open until the customer has a card on file")


def test_paid_out_of_band_marks_paid_whatever_the_collection_method() -> None:
    (pay,) = make_plan(_paid(paid_out_of_band=True), _live(card=None)).actions
    assert isinstance(pay, PayInvoice)
    sent = desired(invoices={INV: invoice(status="paid")})  # send_invoice: as before the field existed
    (pay,) = make_plan(sent, converged(desired(invoices={INV: invoice(status="open")}))).actions
    assert isinstance(pay, PayInvoice) and pay.reason == "mark paid out of band (spec status: paid)"


def test_a_processing_payment_still_waits() -> None:
    plan = make_plan(_paid(), _live(payment_processing=True))
    assert plan.actions == () and "processing" in plan.notes[0]


def test_no_plan_ever_writes_a_payment_method() -> None:
    """Cards are a checkout's: a plan that changes the customer and charges never sets or unsets one."""
    d = _paid()
    jenny = d.customers["jenny-rosen"].model_copy(update={"name": "Jenny R.", "email": "jr@example.com"})
    plan = make_plan(d.model_copy(update={"customers": {"jenny-rosen": jenny}}), _live())
    assert [a.name for a in plan.actions] == ["UpdateCustomer", "ChargeInvoice"]
    writes = repr([(getattr(a, "params", None), getattr(a, "changes", None)) for a in plan.actions])
    assert "default_payment_method" not in writes and "invoice_settings" not in writes
