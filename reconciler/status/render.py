"""The status report as text (a table), markdown (for a PR comment or a wiki), or JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from reconciler.plan.render.money import format_money
from reconciler.status.report import InvoiceRow, StatusReport
from reconciler.text import plural

_COLUMNS = ("invoice", "number", "desired", "live", "total", "paid", "remaining", "due", "overdue", "last event")
# After "paid", only when some invoice has credit notes: a report without any reads as it always did.
_CREDITED = "credited"


def _columns(report: StatusReport) -> tuple[str, ...]:
    if not any(row.credited for row in report.invoices):
        return _COLUMNS
    at = _COLUMNS.index("paid") + 1
    return (*_COLUMNS[:at], _CREDITED, *_COLUMNS[at:])


def _date(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")


def _iso(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(amount: int, row: InvoiceRow) -> str:
    return format_money(amount, row.currency) if row.currency else ""


def _cells(row: InvoiceRow, columns: tuple[str, ...] = _COLUMNS) -> list[str]:
    last = f"{row.last_event.type} {_date(row.last_event.created)}" if row.last_event else ""
    credited = [_money(row.credited, row) if row.credited else ""] if _CREDITED in columns else []
    return [
        row.key, row.number or "", row.desired_status or "(not in specs)", row.live_status or "(not in Stripe)",
        _money(row.total, row), _money(row.amount_paid, row), *credited, _money(row.amount_remaining, row),
        _date(row.due_date), "OVERDUE" if row.overdue else "", last,
    ]  # fmt: skip


def _total_lines(report: StatusReport) -> list[str]:
    return [f"{currency.upper()}: outstanding {format_money(t.outstanding, currency)}, "
            f"overdue {format_money(t.overdue, currency)}, paid {format_money(t.paid, currency)}"
            for currency, t in report.totals.items()]  # fmt: skip


def _pay_lines(report: StatusReport) -> list[str]:
    """Each owed invoice's payment page, its attempts and last failure: what to send a customer."""
    lines = []
    for row in report.invoices:
        if row.hosted_invoice_url:
            tries = f"{plural(row.attempt_count, 'attempt')}" + (
                f", last failed: {row.last_failure}" if row.last_failure else "")
            lines.append(f"{row.key}: {row.hosted_invoice_url} ({tries})")
    return lines


def render_text(report: StatusReport) -> str:
    if not report.invoices:
        return "No managed invoices.\n"
    columns = _columns(report)
    table = [list(columns), *(_cells(row, columns) for row in report.invoices)]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip() for line in table]
    pay = _pay_lines(report)
    pay_block = ["", "Customers pay open invoices at:", *(f"  {line}" for line in pay)] if pay else []
    return "\n".join([*lines, *pay_block, "", *(f"Totals {line}" for line in _total_lines(report))]) + "\n"


def render_markdown(report: StatusReport) -> str:
    if not report.invoices:
        return "No managed invoices.\n"
    columns = _columns(report)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in report.invoices:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in _cells(row, columns)) + " |")
    pay = _pay_lines(report)
    pay_block = ["", "Customers pay open invoices at:", "", *(f"- {line}" for line in pay)] if pay else []
    return "\n".join([*lines, *pay_block, "", *(f"- {line}" for line in _total_lines(report))]) + "\n"


def report_json(report: StatusReport) -> dict[str, Any]:
    return {
        "invoices": [{
            "key": row.key, "id": row.id, "number": row.number, "customer": row.customer,
            "desired_status": row.desired_status, "live_status": row.live_status, "currency": row.currency,
            "total": row.total, "amount_paid": row.amount_paid, "amount_remaining": row.amount_remaining,
            "due_date": _iso(row.due_date), "overdue": row.overdue,
            "last_event": {"id": row.last_event.id, "type": row.last_event.type,
                           "created": _iso(row.last_event.created)} if row.last_event else None,
            "hosted_invoice_url": row.hosted_invoice_url, "attempt_count": row.attempt_count,
            "last_failure": row.last_failure, "credited": row.credited,
        } for row in report.invoices],
        "totals": {currency: {"outstanding": t.outstanding, "overdue": t.overdue, "paid": t.paid}
                   for currency, t in report.totals.items()},
    }  # fmt: skip


def render(report: StatusReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report_json(report), indent=2) + "\n"
    return render_markdown(report) if fmt == "markdown" else render_text(report)
