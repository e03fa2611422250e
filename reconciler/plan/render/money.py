"""Money for humans: minor units + currency -> "$10.00 USD", "¥1,000 JPY", "10.00 SEK"."""

from __future__ import annotations

from reconciler.spec.currencies import decimals as currency_decimals

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}


def format_money(amount: int, currency: str) -> str:
    code = currency.lower()
    decimals = currency_decimals(code)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**decimals)
    number = f"{whole:,}" + (f".{frac:0{decimals}d}" if decimals else "")
    return f"{sign}{SYMBOLS.get(code, '')}{number} {code.upper()}"
