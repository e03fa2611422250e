"""Previews Stripe gives of writes a plan would make: shown to the reviewer, never compared."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreditPreview:
    """What Stripe's preview says a credit note the plan issues will do (display only)."""

    key: str
    amount: int
    currency: str
    pre_payment_amount: int  # taken off the invoice's amount remaining
    post_payment_amount: int
    refund_amount: int = 0
    credit_amount: int = 0
    out_of_band_amount: int = 0
    number: str | None = None
