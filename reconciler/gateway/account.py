"""Which account the key reaches: one `GET /v1/account`."""

from __future__ import annotations

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import UnexpectedAnswer
from reconciler.gateway.pacing import Pacer
from reconciler.live.account import Account


def read_account(gateway: StripeGateway, *, pacer: Pacer | None = None) -> Account:
    """The key's account and mode; an answer without an account id is an error, never a guess."""
    data = gateway.request("GET", "/v1/account", pacer=pacer)
    account_id = data.get("id")
    if not isinstance(account_id, str) or not account_id.startswith("acct_"):
        raise UnexpectedAnswer(gateway.host, "GET /v1/account", "no account id (acct_…)")
    return Account(id=account_id, livemode=gateway.livemode)
