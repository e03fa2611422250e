"""Credit note previews: what Stripe says a new credit note would do, before it is issued.

One `GET /v1/credit_notes/preview` per credit note a plan issues
(https://docs.stripe.com/api/credit_notes/preview: "Get a preview of a credit note
without creating it"): a read, so nothing is written and nobody is emailed. A
preview Stripe refuses is the plan's error, with Stripe's own words.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import InvalidRequest
from reconciler.live.previews import CreditPreview


class CreditNotePreviewRefused(ReconcilerError):
    kind = "plan"

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"credit note {key}: Stripe refuses it (its preview): {message}")


def preview_credit_note(gateway: StripeGateway, key: str, params: dict[str, Any]) -> CreditPreview:
    """Stripe's preview of the credit note `params` would create (the ownership tag is left out: nothing is kept)."""
    asked = {name: value for name, value in params.items() if name != "metadata"}
    try:
        found = gateway.request("GET", "/v1/credit_notes/preview", asked)
    except InvalidRequest as exc:
        raise CreditNotePreviewRefused(key, exc.stripe_message) from None
    refunds = sum(int(r.get("amount_refunded") or 0) for r in found.get("refunds") or ())
    return CreditPreview(
        key=key,
        amount=int(found.get("total") or found.get("amount") or 0),
        currency=str(found.get("currency") or ""),
        pre_payment_amount=int(found.get("pre_payment_amount") or 0),
        post_payment_amount=int(found.get("post_payment_amount") or 0),
        refund_amount=refunds or int(params.get("refund_amount") or 0),
        credit_amount=int(params.get("credit_amount") or 0),
        out_of_band_amount=int(found.get("out_of_band_amount") or 0),
        number=found.get("number"),
    )
