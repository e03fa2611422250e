"""Charging a `charge_automatically` invoice whose spec says `status: paid`.

Stripe charges the invoice's `default_payment_method`, else the customer's
`invoice_settings.default_payment_method` (https://docs.stripe.com/api/invoices/pay);
the plan names that card and plans at most one attempt. After a decline the
next plan shows the attempts and the failure and plans one new attempt, keyed
after the failed charge; a charge waiting for the customer's 3-D Secure is
never retried blindly: the note gives the page where they finish it.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.live.records import LiveInvoice, PaymentAttempt, PaymentCard
from reconciler.plan.actions import ChargeInvoice
from reconciler.plan.planner.context import Context
from reconciler.spec.models import InvoiceSpec
from reconciler.text import plural

NO_CARD = (
    "no payment method on file: cannot charge (the customer's invoice_settings.default_payment_method is set by "
    "a checkout or setup flow, never by specs); write paid_out_of_band: true for a payment made outside Stripe, "
    "or status: open until the customer has a card on file"
)


@dataclass(frozen=True)
class Charging:
    """What the plan needs to charge one invoice."""

    card: PaymentCard | None
    attempt: PaymentAttempt | None = None
    attempt_count: int = 0
    hosted_invoice_url: str | None = None

    @property
    def awaits_customer(self) -> bool:
        return self.attempt is not None and self.attempt.status == "requires_action"


def charging(ctx: Context, spec: InvoiceSpec, cur: LiveInvoice | None) -> Charging | None:
    """The charge facts of an invoice whose spec charges; None when it does not."""
    if not spec.charges():
        return None
    customer = ctx.live.customers.get(spec.customer)
    card = (cur.default_payment_method if cur else None) or (customer.default_payment_method if customer else None)
    if cur is None:
        return Charging(card)
    return Charging(card, cur.last_attempt, cur.attempt_count, cur.hosted_invoice_url)


def waiting_note(label: str, charge: Charging) -> str:
    where = charge.hosted_invoice_url or "the invoice's hosted page"
    return (
        f"invoice {label}: the spec says paid, nothing done now: its last charge needs the customer's "
        f"authentication (3-D Secure), which they complete at {where}; the tool never retries such a charge "
        "(send them that link, e.g. from an invoice.payment_action_required hook)"
    )


def charge_action(key: str, charge: Charging, *, stripe_id: str, deps: tuple[str, ...],
                  desired: str) -> ChargeInvoice:
    """The one attempt of this plan (card present: the caller checked)."""
    assert charge.card is not None
    card = charge.card.label()
    reason = f"charge {card} (spec status: {desired})"
    failure = charge.attempt.failure() if charge.attempt else None
    if charge.attempt_count or failure:
        tries = plural(max(charge.attempt_count, 1), "attempt")
        reason = f"charge {card} again (spec status: {desired}): {tries} so far" + (
            f", last failed: {failure}" if failure else "")
    after = charge.attempt.latest_charge if charge.attempt and charge.attempt.latest_charge else ""
    return ChargeInvoice(key=key, reason=reason, depends_on=deps, stripe_id=stripe_id,
                         payment_method=charge.card.id, card=card, after_charge=after)
