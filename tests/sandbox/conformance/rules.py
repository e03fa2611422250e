"""Each conformance test names the rule it checks: Stripe's page and the sentence quoted,
or, where Stripe is silent, the sandbox's own choice (also written in docs/sandbox.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

DOCS = "https://docs.stripe.com/"
TRANSITIONS = DOCS + "invoicing/integration/workflow-transitions"
FINALIZE = DOCS + "api/invoices/finalize"
SEND = DOCS + "api/invoices/send"
UPDATE_INVOICE = DOCS + "api/invoices/update"
CREATE_INVOICE = DOCS + "api/invoices/create"
DELETE_INVOICE = DOCS + "api/invoices/delete"
INVOICE_OBJECT = DOCS + "api/invoices/object"
AUTO_ADVANCE = DOCS + "invoicing/integration/automatic-advancement-collection"
SCHEDULED = DOCS + "invoicing/scheduled-finalization"
MULTI_CURRENCY = DOCS + "invoicing/multiple-currencies"
CREATE_ITEM = DOCS + "api/invoiceitems/create"
LIST_ITEMS = DOCS + "api/invoiceitems/list"
CREATE_CUSTOMER = DOCS + "api/customers/create"
CREATE_PRICE = DOCS + "api/prices/create"
PRICE_OBJECT = DOCS + "api/prices/object"
CURRENCIES = DOCS + "currencies"
LIST_EVENTS = DOCS + "api/events/list"
IDEMPOTENCY = DOCS + "api/idempotent_requests"
PAGINATION = DOCS + "api/pagination"
RATE_LIMITS = DOCS + "rate-limits"
WEBHOOKS = DOCS + "webhooks"


def stripe_rule(url: str, quote: str) -> Callable[[F], F]:
    """The test checks `quote`, a sentence of the docs.stripe.com page `url`."""

    def mark(fn: F) -> F:
        fn.stripe_rule = (url, quote)  # type: ignore[attr-defined]
        return fn

    return mark


def sandbox_choice(choice: str) -> Callable[[F], F]:
    """Stripe's docs are silent: the test checks what the sandbox chose ("not documented
    by Stripe: the sandbox does X", as docs/sandbox.md says)."""

    def mark(fn: F) -> F:
        fn.sandbox_choice = choice  # type: ignore[attr-defined]
        return fn

    return mark
INVOICE_EDITS = DOCS + "invoicing/invoice-edits"
