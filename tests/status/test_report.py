"""The status report on plain data, and its renderers (golden strings)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.live.payments import InvoiceSnapshot
from reconciler.receiver.journal.records import LastEvent
from reconciler.status.render import render
from reconciler.status.report import CurrencyTotals, build_report

DAY = 86_400
NOW = 1_800_000_000


def snapshot(key: str | None, **fields: Any) -> InvoiceSnapshot:
    base: dict[str, Any] = dict(id=f"in_{key}", key=key, number=f"N-{key}", customer_id="cus_1", status="open",
                                currency="usd", total=1000, amount_paid=0, amount_remaining=1000,
                                due_date=NOW + DAY, created=0)  # fmt: skip
    return InvoiceSnapshot(**{**base, **fields})


def _report() -> Any:
    invoices = [
        snapshot("paid-one", status="paid", amount_paid=1000, amount_remaining=0),
        snapshot("late-one", due_date=NOW - DAY),
        snapshot("due-later"),
        snapshot("euro-late", currency="eur", total=500, amount_remaining=500, due_date=NOW - 1),
        snapshot(None),  # unmanaged: not reported
        snapshot("orphan", status="void", amount_remaining=0),
    ]
    desired = {"paid-one": "sent", "late-one": "sent", "due-later": "open", "euro-late": "sent", "missing": "sent"}
    last = {"in_paid-one": LastEvent("evt_9", "invoice.paid", NOW - 60)}
    return build_report(desired, invoices, now=NOW, last_events=last)


def test_rows_and_totals() -> None:
    report = _report()
    assert [(r.key, r.desired_status, r.live_status, r.overdue) for r in report.invoices] == [
        ("due-later", "open", "open", False),
        ("euro-late", "sent", "open", True),
        ("late-one", "sent", "open", True),
        ("missing", "sent", None, False),
        ("orphan", None, "void", False),
        ("paid-one", "sent", "paid", False),
    ]
    assert report.totals == {
        "eur": CurrencyTotals(outstanding=500, overdue=500, paid=0),
        "usd": CurrencyTotals(outstanding=2000, overdue=1000, paid=1000),
    }


def test_an_uncollectible_invoice_is_still_owed_and_a_draft_is_not() -> None:
    report = build_report({}, [snapshot("written-off", status="uncollectible", due_date=NOW - DAY),
                               snapshot("draft", status="draft", due_date=NOW - DAY)], now=NOW)  # fmt: skip
    assert [(r.key, r.overdue) for r in report.invoices] == [("draft", False), ("written-off", True)]
    assert report.totals["usd"] == CurrencyTotals(outstanding=1000, overdue=1000, paid=0)


def test_text() -> None:
    assert render(_report(), "text") == (
        "invoice    number       desired         live             total       paid        remaining   due         overdue  last event\n"
        "due-later  N-due-later  open            open             $10.00 USD  $0.00 USD   $10.00 USD  2027-01-16\n"
        "euro-late  N-euro-late  sent            open             €5.00 EUR   €0.00 EUR   €5.00 EUR   2027-01-15  OVERDUE\n"
        "late-one   N-late-one   sent            open             $10.00 USD  $0.00 USD   $10.00 USD  2027-01-14  OVERDUE\n"
        "missing                 sent            (not in Stripe)\n"
        "orphan     N-orphan     (not in specs)  void             $10.00 USD  $0.00 USD   $0.00 USD   2027-01-16\n"
        "paid-one   N-paid-one   sent            paid             $10.00 USD  $10.00 USD  $0.00 USD   2027-01-16           invoice.paid 2027-01-15\n"
        "\n"
        "Totals EUR: outstanding €5.00 EUR, overdue €5.00 EUR, paid €0.00 EUR\n"
        "Totals USD: outstanding $20.00 USD, overdue $10.00 USD, paid $10.00 USD\n"
    )


def test_markdown_escapes_pipes_and_lists_totals() -> None:
    text = render(build_report({"a|b": "sent"}, [], now=NOW), "markdown")
    assert text.splitlines()[2] == "| a\\|b |  | sent | (not in Stripe) |  |  |  |  |  |  |"


def test_json_shape() -> None:
    document = json.loads(render(_report(), "json"))
    paid = next(row for row in document["invoices"] if row["key"] == "paid-one")
    assert paid == {
        "key": "paid-one", "id": "in_paid-one", "number": "N-paid-one", "customer": "cus_1",
        "desired_status": "sent", "live_status": "paid", "currency": "usd", "total": 1000, "amount_paid": 1000,
        "amount_remaining": 0, "due_date": "2027-01-16T08:00:00Z", "overdue": False,
        "last_event": {"id": "evt_9", "type": "invoice.paid", "created": "2027-01-15T07:59:00Z"},
        "hosted_invoice_url": None, "attempt_count": 0, "last_failure": None, "credited": 0,
    }  # fmt: skip
    assert document["totals"] == {"eur": {"outstanding": 500, "overdue": 500, "paid": 0},
                                  "usd": {"outstanding": 2000, "overdue": 1000, "paid": 1000}}  # fmt: skip


def test_owed_invoices_show_where_the_customer_pays_their_attempts_and_last_failure() -> None:
    url = "https://invoice.stripe.com/i/acct_1/test_a"
    report = build_report({}, [
        snapshot("declined", hosted_invoice_url=url, attempt_count=1,
                 last_failure="card_declined/insufficient_funds: Your card has insufficient funds."),
        snapshot("settled", status="paid", amount_remaining=0, hosted_invoice_url=url + "b", attempt_count=1),
    ], now=NOW)  # fmt: skip
    assert [(r.key, r.hosted_invoice_url, r.attempt_count) for r in report.invoices] == [
        ("declined", url, 1), ("settled", None, 0)]
    text = render(report, "text").splitlines()
    assert text[4:6] == ["Customers pay open invoices at:", f"  declined: {url} (1 attempt, last failed: "
                         "card_declined/insufficient_funds: Your card has insufficient funds.)"]
    assert f"- declined: {url} (1 attempt" in render(report, "markdown")
    row = json.loads(render(report, "json"))["invoices"][0]
    assert (row["hosted_invoice_url"], row["attempt_count"], row["last_failure"]) == (
        url, 1, "card_declined/insufficient_funds: Your card has insufficient funds.")


def test_credited_amounts_show_in_a_column_once_an_invoice_has_credit_notes() -> None:
    report = build_report({}, [snapshot("credited", total=3000, amount_remaining=2500, credited=500),
                               snapshot("plain")], now=NOW)  # fmt: skip
    lines = render(report, "text").splitlines()
    assert lines[0].split() == ["invoice", "number", "desired", "live", "total", "paid", "credited", "remaining",
                                "due", "overdue", "last", "event"]
    assert "$5.00 USD" in lines[1] and "$25.00 USD" in lines[1]
    assert json.loads(render(report, "json"))["invoices"][0]["credited"] == 500
    assert "| credited |" in render(report, "markdown").splitlines()[0]
