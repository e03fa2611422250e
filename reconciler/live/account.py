"""The Stripe account a key reaches, as a plan file records it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    id: str  # "acct_…"
    livemode: bool  # a live key (sk_live_/rk_live_) rather than a test-mode one

    def __str__(self) -> str:
        return f"{self.id} ({'live' if self.livemode else 'test'} mode)"
