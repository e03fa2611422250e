"""Rules of the money kinds (tax rates, coupons) and of what invoices take from them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from reconciler.spec.countries import ISO_3166_ALPHA_2
from reconciler.spec.entries import Entry
from reconciler.spec.errors import SpecError
from reconciler.spec.models import CouponSpec, InvoiceSpec, TaxRateSpec
from reconciler.spec.yamltree import YamlPath, dotted

# "The percentage is a number (up to 4 decimal places)" (https://stripe.com/docs/billing/taxes/tax-rates,
# "Creating tax rates through the API"); stripe-node's TaxRateData.percentage: "decimal values between 0
# and 100 inclusive with at most 4 decimal places".
TAX_RATE_DECIMALS = 4


def decimal_places(value: float) -> int:
    """The decimal places a number is written with (repr: the shortest form that reads back)."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def tax_rate(entry: Entry, model: TaxRateSpec) -> Iterator[SpecError]:
    places = decimal_places(model.percentage)
    if places > TAX_RATE_DECIMALS:
        yield entry.at(("percentage",), f"{entry.where} percentage: {model.percentage!r} has {places} decimal "
                                        f"places; Stripe takes at most {TAX_RATE_DECIMALS}")
    if model.country is not None and model.country not in ISO_3166_ALPHA_2:
        # The field's pattern takes any two letters; a customer's address country is checked the same way.
        yield entry.at(("country",), f"{entry.where} country: {model.country!r} is not an ISO 3166-1 alpha-2 "
                                     "country code (e.g. DE, US, GB)")


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


def invoice(
    entry: Entry, model: InvoiceSpec, tax_rates: Mapping[str, Entry], coupons: Mapping[str, Entry], currency: str | None
) -> Iterator[SpecError]:
    """What an invoice and its items take from tax rates and coupons: each once per list, no
    archived rate ("this tax rate cannot be used with new applications",
    docs.stripe.com/api/tax_rates/object), an amount_off coupon only in its own currency."""
    yield from _stripe_tax(entry, model)
    lists: list[tuple[YamlPath, list[str]]] = [(("default_tax_rates",), model.default_tax_rates),
                                               (("discounts",), model.discounts)]
    for index, item in enumerate(model.items):
        lists += [(("items", index, "tax_rates"), list(item.tax_rates or ())), (("items", index, "discounts"), item.discounts)]
    for sub, keys in lists:
        for n, key in enumerate(keys):
            where = f"{entry.where} {dotted((*sub, n))}"
            if key in keys[:n]:
                yield entry.at((*sub, n), f"{where}: {key} is listed twice")
                continue
            rate = tax_rates.get(key)
            if sub[-1] != "discounts" and rate is not None and isinstance(rate.model, TaxRateSpec) and not rate.model.active:
                yield entry.at((*sub, n), f"{where}: tax rate {key} is archived (active: false); an archived rate "
                                          "cannot be applied to a new invoice")
            coupon = coupons.get(key)
            if (sub[-1] == "discounts" and coupon is not None and isinstance(coupon.model, CouponSpec)
                    and coupon.model.currency is not None and currency is not None and coupon.model.currency != currency):
                yield entry.at((*sub, n), f"{where}: coupon {key} takes {coupon.model.currency} off, the invoice is in "
                                          f"{currency}: an amount_off coupon applies only in its own currency")


def _stripe_tax(entry: Entry, model: InvoiceSpec) -> Iterator[SpecError]:
    """Stripe Tax takes no tax rates and no credit lines: "incompatible invoice items (invoice items
    with manually specified tax rates, negative amounts, …) cannot be added to automatic tax
    invoices" (stripe-python's Invoice.AutomaticTax.enabled)."""
    if model.automatic_tax is None or not model.automatic_tax.enabled:
        return
    if model.default_tax_rates:
        yield entry.at(("default_tax_rates",), f"{entry.where} default_tax_rates: not with automatic_tax (Stripe Tax "
                                               "computes the tax)")
    for index, item in enumerate(model.items):
        if item.tax_rates:
            yield entry.at(("items", index, "tax_rates"), f"{entry.where} items[{index}].tax_rates: not with "
                                                         "automatic_tax (Stripe Tax computes the tax)")
        if item.amount is not None and item.amount < 0:
            yield entry.at(("items", index, "amount"), f"{entry.where} items[{index}].amount: Stripe Tax takes no "
                                                      "negative items (automatic_tax)")
