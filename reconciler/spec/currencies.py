"""ISO 4217 alphabetic currency codes (active list, lowercase as Stripe writes them).

XTS (testing) and XXX (no currency) are left out: nothing can be invoiced in them.
"""

from __future__ import annotations

ISO_4217: frozenset[str] = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob bov
    brl bsd btn bwp byn bzd cad cdf che chf chw clf clp cny cop cou crc cuc cup cve
    czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd gnf gtq gyd hkd
    hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs khr kmf kpw krw kwd kyd
    kzt lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn mxv
    myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub
    rwf sar sbd scr sdg sek sgd shp sle sll sos srd ssp stn svc syp szl thb tjs tmt
    tnd top try ttd twd tzs uah ugx usd usn uyi uyu uyw uzs ved ves vnd vuv wst xaf
    xag xau xba xbb xbc xbd xcd xcg xdr xof xpd xpf xpt xsu xua yer zar zmw zwg zwl
    """.split()
)

# The currencies Stripe accepts, as its own answer to an unsupported one lists them ("Invalid
# currency: … Stripe currently supports these currencies: usd, aed, …", a test-mode error quoted in
# public code; docs.stripe.com/currencies lists the same presentment currencies). Codes that are
# no longer ISO 4217 (eek, hrk, ltl, lvl, mro, std, vef) and usdc are left out: validate also
# requires an active ISO 4217 code. The sandbox keeps its own copy of Stripe's answer.
STRIPE_SUPPORTED: frozenset[str] = frozenset(
    """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn
    bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf
    gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr
    lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen
    pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd szl thb tjs tnd top
    try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw btn ghs svc sll
    """.split()
) & ISO_4217

# docs.stripe.com/currencies#zero-decimal: amounts are whole units (¥500 is 500).
ZERO_DECIMAL: frozenset[str] = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
# docs.stripe.com/currencies#three-decimal: "these API calls require the least-significant (last)
# digit to be 0. Your integration must round amounts to the nearest ten."
THREE_DECIMAL: frozenset[str] = frozenset("bhd jod kwd omr tnd".split())
# docs.stripe.com/currencies#special-cases: ISK is zero-decimal, but amounts keep two decimals
# for backwards compatibility, so they must be evenly divisible by 100 (5 ISK is 500).
_DIVISORS: dict[str, int] = {**{code: 10 for code in THREE_DECIMAL}, "isk": 100}


def amount_divisor(currency: str) -> int:
    """What Stripe requires an amount in `currency` to be a multiple of (1: any integer)."""
    return _DIVISORS.get(currency.lower(), 1)


def decimals(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit, as Stripe counts them."""
    code = currency.lower()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
