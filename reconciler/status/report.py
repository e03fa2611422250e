"""The status report: one row per managed invoice, totals per currency. Pure: no I/O.

Built from Stripe's state (the invoices as listed now); the journal only adds
the last payment event it saw for each invoice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.live.payments import OWED_STATUSES, InvoiceSnapshot
from reconciler.receiver.journal.records import LastEvent


@dataclass(frozen=True)
class InvoiceRow:
    key: str
    id: str | None  # None: in the specs, not (yet) in Stripe
    number: str | None
    customer: str | None
    desired_status: str | None  # None: managed in Stripe, no longer in the specs
    live_status: str | None
    currency: str | None
    total: int
    amount_paid: int
    amount_remaining: int
    due_date: int | None
    overdue: bool
    last_event: LastEvent | None
    # Owed invoices only: where the customer pays, Stripe's attempt count, the last charge's failure.
    hosted_invoice_url: str | None = None
    attempt_count: int = 0
    last_failure: str | None = None
    credited: int = 0  # what its credit notes took off (pre- and post-payment)


@dataclass(frozen=True)
class CurrencyTotals:
    outstanding: int = 0
    overdue: int = 0
    paid: int = 0


@dataclass(frozen=True)
class StatusReport:
    invoices: tuple[InvoiceRow, ...]
    totals: dict[str, CurrencyTotals]


def build_report(
    desired_statuses: Mapping[str, str],
    invoices: Sequence[InvoiceSnapshot],
    *,
    now: float,
    last_events: Mapping[str, LastEvent] | None = None,
) -> StatusReport:
    """`desired_statuses`: spec key -> status from the specs; `invoices`: managed ones from Stripe."""
    last_events = last_events or {}
    rows = [_row(snapshot, desired_statuses.get(snapshot.key or ""), now, last_events.get(snapshot.id))
            # An invoice a revision replaced is its key's history (void, nothing owed): the revision is the row.
            for snapshot in invoices if snapshot.key and not snapshot.latest_revision]  # fmt: skip
    in_stripe = {row.key for row in rows}
    rows += [InvoiceRow(key, None, None, None, status, None, None, 0, 0, 0, None, False, None)
             for key, status in desired_statuses.items() if key not in in_stripe]  # fmt: skip
    rows.sort(key=lambda row: (row.key, row.id or ""))
    return StatusReport(tuple(rows), _totals(rows))


def _row(snapshot: InvoiceSnapshot, desired: str | None, now: float, last: LastEvent | None) -> InvoiceRow:
    owed = snapshot.status in OWED_STATUSES
    return InvoiceRow(
        key=snapshot.key or "", id=snapshot.id, number=snapshot.number, customer=snapshot.customer_id or None,
        desired_status=desired, live_status=snapshot.status, currency=snapshot.currency, total=snapshot.total,
        amount_paid=snapshot.amount_paid, amount_remaining=snapshot.amount_remaining, due_date=snapshot.due_date,
        overdue=snapshot.overdue(now), last_event=last,
        hosted_invoice_url=snapshot.hosted_invoice_url if owed else None,
        attempt_count=snapshot.attempt_count if owed else 0, last_failure=snapshot.last_failure if owed else None,
        credited=snapshot.credited,
    )  # fmt: skip


def _totals(rows: Sequence[InvoiceRow]) -> dict[str, CurrencyTotals]:
    sums: dict[str, list[int]] = {}
    for row in rows:
        if row.currency is None:
            continue
        outstanding, overdue, paid = sums.setdefault(row.currency, [0, 0, 0])
        owed = row.amount_remaining if row.live_status in OWED_STATUSES else 0
        sums[row.currency] = [outstanding + owed, overdue + (owed if row.overdue else 0), paid + row.amount_paid]
    return {currency: CurrencyTotals(*values) for currency, values in sorted(sums.items())}
