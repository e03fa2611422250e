"""`reconciler status` below the CLI: read the specs, Stripe and (optionally) the journal."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.payments import managed_invoices, open_payment_attempts
from reconciler.live.payments import OWED_STATUSES, InvoiceSnapshot
from reconciler.spec.loader import load_specs
from reconciler.status.report import StatusReport, build_report


def status_report(spec_paths: Sequence[str], gateway: StripeGateway, *, journal_target: str | None,
                  clock: Callable[[], float] = time.time) -> StatusReport:  # fmt: skip
    """The report; `clock` only when Stripe's answers carry no Date header."""
    desired = load_specs(list(spec_paths))
    statuses = {key: spec.status for key, spec in desired.invoices.items()}
    last_events = {}
    if journal_target is not None:
        from reconciler.receiver.journal import open_journal

        journal = open_journal(journal_target, existing=True)
        try:
            last_events = journal.last_payment_events()
        finally:
            journal.close()
    invoices = _with_failures(gateway, managed_invoices(gateway))
    # Overdue by Stripe's clock (the Date of the answers just read), as the send rule judges
    # by it: a local clock that is off must not call an invoice overdue that Stripe does not.
    now = gateway.server_time if gateway.server_time is not None else clock()
    return build_report(statuses, invoices, now=now, last_events=last_events)


def _with_failures(gateway: StripeGateway, invoices: list[InvoiceSnapshot]) -> list[InvoiceSnapshot]:
    """Each owed invoice with its last charge's failure (one list more, only when some invoice is owed)."""
    if not any(i.key and i.status in OWED_STATUSES for i in invoices):
        return invoices
    attempts = open_payment_attempts(gateway)
    return [replace(i, last_failure=attempts[i.id].failure()) if i.id in attempts else i for i in invoices]
