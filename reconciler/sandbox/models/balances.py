"""A customer's invoice balance and its ledger of balance transactions.

"Each customer has a Balance value, which denotes a debit or credit that's automatically
applied to their next invoice upon finalization. You may modify the value directly by using
the update customer API, or by creating a Customer Balance Transaction"
(https://docs.stripe.com/api/customer_balance_transactions).
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models import account, currencies, events
from reconciler.sandbox.models.base import Context, Obj, Params, list_page, new_metadata, require
from reconciler.sandbox.store import Tx


def usable(customer: Obj, currency: str) -> int:
    """The balance an invoice in `currency` can use: one customer holds one balance, in the
    customer's currency (none set yet: any)."""
    if customer.get("currency") not in (None, currency):
        return 0
    return int(customer.get("balance") or 0)


def record(ctx: Context, tx: Tx, customer: Obj, amount: int, currency: str, *, kind: str,
           invoice: str | None = None, credit_note: str | None = None, description: str | None = None,
           metadata: Any = None, sets_currency: bool = True) -> Obj:
    """A ledger entry moving the customer's balance by `amount` (negative: credit); the entry."""
    if customer.get("currency") not in (None, currency):
        # Stripe keeps a multi-currency customer's balances apart, one per currency ("A CAD invoice
        # doesn't apply a customer credit balance denominated in USD",
        # https://docs.stripe.com/invoicing/multi-currency-customers); the sandbox keeps one balance in
        # one currency, so it refuses the request rather than add two currencies together.
        raise InvalidRequest(
            f"The sandbox keeps customer {customer['id']}'s balance in {customer['currency']} only: "
            f"{_money_word(kind)} in {currency} cannot be added to it.", param="currency",
        )
    customer["balance"] = int(customer.get("balance") or 0) + amount
    if customer.get("currency") is None and sets_currency:
        # "If the customer's currency is not set, it will be updated to this value."
        customer["currency"] = currency
    tx.update(customer, email=customer["email"])
    entry: Obj = {
        "id": ctx.new_id(tx, "cbtxn"),
        "object": "customer_balance_transaction",
        "amount": amount,
        "checkout_session": None,
        "created": ctx.now(),
        "credit_note": credit_note,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "description": description,
        "ending_balance": customer["balance"],
        "invoice": invoice,
        "livemode": False,
        "metadata": new_metadata(metadata),
        "type": kind,
    }
    tx.insert("customer_balance_transaction", entry, customer=customer["id"], invoice=invoice)
    return entry


def _money_word(kind: str) -> str:
    return {"invoice_too_small": "an amount due below the minimum charge", "applied_to_invoice": "a negative total",
            "credit_note": "a credit note's credit"}.get(kind, "an amount")


def create(ctx: Context, tx: Tx, customer_id: str, params: Params) -> Obj:
    customer = require(tx, "customer", customer_id)
    currency = currencies.checked(params["currency"])
    if customer.get("currency") not in (None, currency):
        raise InvalidRequest(
            f"The customer's balance is in {customer['currency']}; a transaction in {currency} "
            "cannot change it.", param="currency",
        )
    if params["amount"] == 0:
        raise InvalidRequest("Invalid amount: must not be zero.", param="amount")
    before = dict(customer)
    entry = record(ctx, tx, customer, params["amount"], currency, kind="adjustment",
                   description=params.get("description"), metadata=params.get("metadata"))
    events.record(ctx, tx, "customer.updated", customer, previous=events.changed(before, customer))
    return entry


def list_entries(ctx: Context, tx: Tx, customer_id: str, params: Params) -> Obj:
    require(tx, "customer", customer_id)
    filters = {"customer": customer_id, **({"invoice": params["invoice"]} if "invoice" in params else {})}
    return list_page(tx, "customer_balance_transaction", f"/v1/customers/{customer_id}/balance_transactions",
                     params, filters=filters)


def set_balance(ctx: Context, tx: Tx, customer: Obj, balance: int, *, kind: str = "adjustment") -> None:
    """A create's or update's `balance`: the difference is a ledger entry (`initial` on create),
    as Stripe's ledger keeps one; it leaves the customer's currency as it was."""
    change = balance - int(customer.get("balance") or 0)
    if change:
        record(ctx, tx, customer, change, customer.get("currency") or account.DEFAULT_CURRENCY,
               kind=kind, sets_currency=False)
