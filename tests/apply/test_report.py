from __future__ import annotations

import io

from reconciler.apply.report import LineReporter, ProgressReporter
from reconciler.apply.result import ApplyResult
from reconciler.plan.actions import AddInvoiceItem, CreateCustomer, SendInvoice


def test_line_reporter_writes_one_line_per_action() -> None:
    out = io.StringIO()
    reporter = LineReporter(out)
    reporter.on_begin(3)
    reporter.on_done(CreateCustomer(key="jenny", reason="r"), "")
    reporter.on_retry(SendInvoice(key="inv", reason="r"), 1, 0.25, "Stripe server error (500): boom")
    reporter.on_failed(AddInvoiceItem(key="inv", reason="r", item_key="fee"), "Stripe rejected the request (400): bad")
    reporter.on_skipped(SendInvoice(key="inv", reason="r"), "depends on add item inv/fee, which failed")
    assert out.getvalue().splitlines() == [
        "[1/3] done: create customer jenny",
        "retry: send invoice inv: attempt 1 failed (Stripe server error (500): boom); next in 0.2s",
        "[2/3] FAILED: add item inv/fee: Stripe rejected the request (400): bad",
        "[3/3] skipped: send invoice inv: depends on add item inv/fee, which failed",
    ]


def test_progress_reporter_shows_failures_above_the_bar() -> None:
    out = io.StringIO()
    reporter = ProgressReporter(out)
    reporter.on_begin(2)
    reporter.on_done(CreateCustomer(key="jenny", reason="r"), "")
    reporter.on_failed(CreateCustomer(key="acme", reason="r"), "Stripe rejected the request (400): [bad] email")
    reporter.on_end(ApplyResult())
    text = out.getvalue()
    assert "failed: create customer acme: Stripe rejected the request (400): [bad] email" in text
    assert "2/2" in text


def test_line_reporter_can_write_through_an_echo_function() -> None:
    lines: list[str] = []
    reporter = LineReporter(echo=lines.append)
    reporter.on_begin(1)
    reporter.on_done(CreateCustomer(key="jenny", reason="r"), "already sent")
    assert lines == ["[1/1] done: create customer jenny (already sent)"]


def test_progress_reporter_prints_a_long_failure_whole() -> None:
    # A narrow terminal must not cut off the end of the message (where "gave up after ..." is).
    out = io.StringIO()
    reporter = ProgressReporter(out)
    reporter._console.width = 40
    reporter.on_begin(1)
    message = "network failure talking to api.stripe.com: no complete answer within 20 s (gave up after 3 attempts)"
    reporter.on_failed(CreateCustomer(key="acme", reason="r"), message)
    reporter.on_end(ApplyResult())
    assert f"failed: create customer acme: {message}" in out.getvalue()
