"""The currencies Stripe accepts, and its answer to any other."""

from __future__ import annotations

from reconciler.sandbox.exceptions import InvalidCurrency

# In the order Stripe's own error message lists them (a test-mode answer, quoted in
# public code: "Invalid currency: ughjsd. Stripe currently supports these currencies: usd, aed, …").
SUPPORTED: tuple[str, ...] = tuple(
    (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd "
    "cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd "
    "hkd hnl hrk htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl "
    "mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr "
    "pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd "
    "tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw usdc btn ghs eek lvl svc vef ltl sll mro"
    ).split()
)
_KNOWN = frozenset(SUPPORTED)


def checked(value: str, *, param: str = "currency") -> str:
    """The currency in lowercase, as Stripe stores it; 400 for one Stripe does not support."""
    lowered = value.lower()
    if lowered not in _KNOWN:
        raise InvalidCurrency(lowered, SUPPORTED, param=param)
    return lowered
