"""The account: its id (GET /v1/account) and its invoice defaults (Dashboard settings).

Stripe fills a new invoice's `footer` and `description` (the Dashboard's
"memo") from the account's default footer and memo when the request does not
set them (a customer's own `invoice_settings.footer` comes first). Stripe has
no API for these settings, so the sandbox sets them through its admin surface.
They live in the store, so a reset clears them and a file database keeps them.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models.base import Context, Obj
from reconciler.sandbox.store import Tx

KIND = "account_settings"
# The account's default currency (GET /v1/account's default_currency).
DEFAULT_CURRENCY = "usd"
ACCOUNT_ID = "acct_sandbox"  # the settings row's id (one account per store)


def account_id(ctx: Context) -> str:
    """The account's id: `acct_sandbox` for seed 0, so another seed is another account."""
    return ACCOUNT_ID if ctx.seed == 0 else f"{ACCOUNT_ID}_{ctx.seed}"


def retrieve(ctx: Context) -> Obj:
    """GET /v1/account: the account the key belongs to (a test-mode standard account)."""
    return {
        "id": account_id(ctx),
        "object": "account",
        "business_profile": {"name": "Reconciler sandbox", "url": None, "support_email": None},
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "country": "US",
        "default_currency": DEFAULT_CURRENCY,
        "email": None,
        "type": "standard",
        "created": 0,
        "metadata": {},
    }
DEFAULTS: dict[str, str | None] = {"invoice_footer": None, "invoice_memo": None}


def settings(tx: Tx) -> dict[str, str | None]:
    found = tx.get(KIND, ACCOUNT_ID)
    if found is None:
        return dict(DEFAULTS)
    body = found[0]
    return {name: body.get(name) for name in DEFAULTS}


def update(tx: Tx, changes: dict[str, Any]) -> dict[str, str | None]:
    """Apply `changes` (None or "" clears a default); the settings after."""
    for name, value in changes.items():
        if name not in DEFAULTS:
            raise InvalidRequest(f"Unknown account setting: {name}", code="parameter_unknown", param=name)
        if value is not None and not isinstance(value, str):
            raise InvalidRequest(f"Account setting {name} must be a string or null", param=name)
    exists = tx.get(KIND, ACCOUNT_ID) is not None
    current = settings(tx)
    current.update({name: value or None for name, value in changes.items()})
    body = {"id": ACCOUNT_ID, "object": KIND, **current}
    if exists:
        tx.update(body)
    else:
        tx.insert(KIND, body)
    return current
