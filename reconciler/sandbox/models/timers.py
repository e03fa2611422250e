"""Stripe's automatic advancement: a draft with `auto_advance` is finalized when its
`automatically_finalizes_at` passes on the sandbox's clock.

"When you turn on automatic collection, Stripe does everything to drive the invoice
towards payment—including automatically finalizing draft invoices after one hour"
(docs.stripe.com/invoicing/integration/automatic-advancement-collection). Each
scheduled draft has one timer row; the request pipeline fires the due ones
(`due`) before serving a request, so whatever a client reads already shows them.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest
from reconciler.sandbox.models.base import Context, Obj, Params
from reconciler.sandbox.store import Tx

KIND = "finalize_timer"
# Stripe's default grace period before an auto-advancing draft is finalized.
GRACE_PERIOD = 3600
# "You can automatically finalize an invoice up to 5 years in the future."
MAX_AHEAD = 5 * 366 * 86_400


def _timer_id(invoice_id: str) -> str:
    return f"timer_{invoice_id}"


def schedule(ctx: Context, tx: Tx, invoice: Obj, params: Params) -> None:
    """On create: `auto_advance` (default false, as the API's) and `automatically_finalizes_at`."""
    at = params.get("automatically_finalizes_at")
    invoice["auto_advance"] = bool(params.get("auto_advance", False))
    _set(ctx, tx, invoice, at)


def reschedule(ctx: Context, tx: Tx, invoice: Obj, params: Params) -> None:
    """On update: turning auto_advance off cancels the timer, on starts it."""
    if "auto_advance" in params and invoice["status"] not in ("draft", "open"):
        # "An invoice must be in a `draft` or `open` state to update automatic advancement."
        raise InvalidRequest(
            f"You can only update auto_advance on draft or open invoices. This invoice ({invoice['id']}) is "
            f"{invoice['status']}.", param="auto_advance",
        )
    if "auto_advance" in params:
        invoice["auto_advance"] = bool(params["auto_advance"])
    if invoice["status"] != "draft":
        if "automatically_finalizes_at" in params:
            raise InvalidRequest(
                "automatically_finalizes_at can only be set on draft invoices.",
                param="automatically_finalizes_at",
            )
        return
    _set(ctx, tx, invoice, params.get("automatically_finalizes_at") or invoice["automatically_finalizes_at"])


def _set(ctx: Context, tx: Tx, invoice: Obj, at: Any) -> None:
    now = ctx.now()
    if not invoice["auto_advance"]:
        if at is not None and at != invoice["automatically_finalizes_at"]:
            # Not documented as an error by Stripe; a time that would never act is refused.
            raise InvalidRequest(
                "automatically_finalizes_at needs auto_advance=true: without it the invoice is "
                "never finalized automatically.", param="automatically_finalizes_at",
            )
        invoice["automatically_finalizes_at"] = None
        cancel(tx, invoice["id"])
        return
    when = now + GRACE_PERIOD if at is None else int(at)
    if not now < when <= now + MAX_AHEAD:
        raise InvalidRequest(
            "Invalid automatically_finalizes_at: it must be in the future and at most 5 years ahead.",
            param="automatically_finalizes_at",
        )
    invoice["automatically_finalizes_at"] = when
    cancel(tx, invoice["id"])
    tx.insert(KIND, {"id": _timer_id(invoice["id"]), "invoice": invoice["id"], "created": when},
              invoice=invoice["id"])
    ctx.timers_due_at = when if ctx.timers_due_at is None else min(ctx.timers_due_at, when)


def cancel(tx: Tx, invoice_id: str) -> None:
    """No timer for this invoice any more (finalized, deleted, or auto_advance off)."""
    tx.delete(_timer_id(invoice_id))


def due(ctx: Context, tx: Tx) -> list[str]:
    """The invoices whose timers passed, oldest first; their timers are removed."""
    now = ctx.now()
    if ctx.timers_due_at is not None and ctx.timers_due_at > now:
        return []
    rows, _ = tx.page(KIND, filters={}, limit=100, created={"lte": now}, newest_first=False)
    for row in rows:
        tx.delete(row["id"])
    # The next firing time, so that requests before it skip this query. Few drafts
    # auto-advance, so reading every remaining timer is cheap.
    pending = [int(r["created"]) for r in tx.all(KIND)]
    ctx.timers_due_at = min(pending) if pending else None
    return [str(r["invoice"]) for r in rows]
