"""What the payment-events receiver and `reconciler status` read of an invoice."""

from __future__ import annotations

from dataclasses import dataclass

# Where a status sits on the lifecycle: a recorded state only moves to an equal
# or higher rank, so an older read (or an event delivered late) never wins.
STATUS_RANK = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3}
# Statuses whose amount_remaining is still owed.
OWED_STATUSES = ("open", "uncollectible")


@dataclass(frozen=True)
class InvoiceSnapshot:
    """One invoice as Stripe answered at one moment."""

    id: str
    key: str | None  # spec key when the invoice is managed, else None
    number: str | None
    customer_id: str
    status: str
    currency: str
    total: int
    amount_paid: int
    amount_remaining: int
    due_date: int | None
    created: int
    # Where the customer pays (set once finalized), and Stripe's attempt count.
    hosted_invoice_url: str | None = None
    attempt_count: int = 0
    # The last charge's failure, from its PaymentIntent ("card_declined/insufficient_funds: …"); status only.
    last_failure: str | None = None
    # The newest finalized revision that replaced it (Stripe voided this one then): history.
    latest_revision: str | None = None
    # What credit notes took off it: before payment (its amount remaining) and after (refunds, balance, outside).
    credited: int = 0

    @property
    def rank(self) -> int:
        return STATUS_RANK.get(self.status, 0)

    def overdue(self, now: float) -> bool:
        """Still owed past its due date."""
        return (
            self.status in OWED_STATUSES
            and self.amount_remaining > 0
            and self.due_date is not None
            and self.due_date < now
        )


@dataclass(frozen=True)
class CreatedEndpoint:
    """A webhook endpoint just created; `secret` is shown by Stripe this once."""

    id: str
    url: str
    enabled_events: tuple[str, ...]
    secret: str

    def __repr__(self) -> str:  # never show the secret
        return f"CreatedEndpoint(id={self.id!r}, url={self.url!r})"


@dataclass(frozen=True)
class WebhookEndpoint:
    """A webhook endpoint as listed (Stripe never shows its secret again)."""

    id: str
    url: str
    enabled_events: tuple[str, ...]
    status: str  # enabled | disabled
