"""Rules of the money kinds (tax rates, coupons) and of what invoices take from them."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.spec.entries import Entry
from reconciler.spec.errors import SpecError
from reconciler.spec.models import CouponSpec


def coupon(entry: Entry, model: CouponSpec) -> Iterator[SpecError]:
    """Stripe's create rules (docs.stripe.com/api/coupons/create): a coupon is either percent_off or
    amount_off, the latter with its currency ("required if amount_off is passed"), and
    duration_in_months goes with duration repeating ("Required only if duration is repeating")."""
    if (model.percent_off is None) == (model.amount_off is None):
        yield entry.at((), f"{entry.where}: a coupon takes exactly one of percent_off and amount_off")
    if model.amount_off is not None and model.currency is None:
        yield entry.at(("amount_off",), f"{entry.where} amount_off: needs a currency (the coupon's amount is in it)")
    if model.amount_off is None and model.currency is not None:
        yield entry.at(("currency",), f"{entry.where} currency: only an amount_off coupon has a currency")
    if (model.duration == "repeating") != (model.duration_in_months is not None):
        yield entry.at(("duration_in_months",) if model.duration_in_months is not None else ("duration",),
                       f"{entry.where}: duration_in_months goes with duration repeating, and only with it")
