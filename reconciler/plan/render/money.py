"""Money for humans: minor units + currency -> "$10.00 USD", "¥1,000 JPY", "10.00 SEK"."""

from __future__ import annotations

# Stripe's zero- and three-decimal currencies; every other one has two decimals.
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}


def format_money(amount: int, currency: str) -> str:
    code = currency.lower()
    decimals = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**decimals)
    number = f"{whole:,}" + (f".{frac:0{decimals}d}" if decimals else "")
    return f"{sign}{SYMBOLS.get(code, '')}{number} {code.upper()}"
