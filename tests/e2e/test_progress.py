"""Progress while plan and apply read live state: a line every few seconds in
a log, a line redrawn in place on a terminal; nothing for a quick read."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli_runner import invoke

from reconciler.progress import ReadProgress
from reconciler.runtime import Runtime
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"


class SteppingClock:
    """Time that moves `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_log_gets_a_line_per_interval_and_a_total() -> None:
    lines: list[str] = []
    clock = SteppingClock(0.0)
    progress = ReadProgress(lines.append, terminal=False, host="api.stripe.com", clock=clock)
    progress.page("/v1/products", 100)
    clock.now = 2.0
    progress.page("/v1/products", 100)  # within the interval: nothing yet
    assert lines == []
    clock.now = 6.0
    progress.page("/v1/customers", 40)
    clock.now = 11.5
    progress.tick()  # the API is silent: the ticker still reports
    clock.now = 12.0
    progress.page("/v1/invoices/in_1/lines", 3)
    progress.finish()
    progress.finish()
    assert lines == [
        "reading live state from api.stripe.com: customers 40 · products 200 (3 requests, 6 s)",
        "reading live state from api.stripe.com: customers 40 · products 200 (3 requests, 12 s)",
        "read live state: 243 objects in 4 requests (12 s)",
    ]


def test_a_quick_read_prints_nothing() -> None:
    lines: list[str] = []
    progress = ReadProgress(lines.append, terminal=False, clock=SteppingClock(0.01))
    for _ in range(5):
        progress.page("/v1/prices", 100)
    progress.finish()
    assert lines == []


def test_a_terminal_line_is_redrawn_in_place_and_cleared() -> None:
    written: list[str] = []
    progress = ReadProgress(written.append, terminal=True, clock=SteppingClock(1.0))
    progress.page("/v1/invoices", 100)
    progress.page("/v1/invoices", 100)
    progress.finish()
    assert all(text.startswith("\r\x1b[K") for text in written)
    assert written[-2].endswith("reading live state: invoices 200 (2 requests, 2 s)")
    assert written[-1] == "\r\x1b[K"


def test_plan_reports_progress_on_stderr_only(sandbox: RunningSandbox, tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPECS, specs)
    runtime = Runtime(sleep=lambda seconds: None, clock=SteppingClock(10.0))
    args = ["--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]
    assert invoke(["apply", str(specs), *args, "--yes"], obj=runtime, catch_exceptions=True).exit_code == 0
    result = invoke(["plan", str(specs), *args], obj=runtime, catch_exceptions=True)
    assert result.exit_code == 0, result.output
    assert result.stdout == "No changes. Live state matches the specs.\n"
    reports = result.stderr.splitlines()
    host = sandbox.url.removeprefix("http://")
    # One list request per kind (each well under a page), read at once: whichever answers
    # first is reported first. The clock moves 10 s per reading.
    kinds = ("products", "prices", "customers", "invoices")
    assert reports[0] in {f"reading live state from {host}: {kind} {n} (1 request, 10 s)" for kind in kinds for n in (1, 2)}
    assert all(line.startswith(f"reading live state from {host}: ") for line in reports[:-1])
    assert reports[-1].startswith("read live state: 6 objects in 7 requests (")  # one list per kind


def test_a_failed_read_logs_no_total() -> None:
    lines: list[str] = []
    progress = ReadProgress(lines.append, terminal=False, clock=SteppingClock(10.0))
    progress.page("/v1/products", 100)
    progress.finish(failed=True)
    assert lines == ["reading live state: products 100 (1 request, 10 s)"]  # the error line says the rest


def test_plan_whose_read_fails_reports_the_error_not_a_finished_read(sandbox: RunningSandbox, tmp_path: Path) -> None:
    sandbox.set_faults(fail_routes=[{"method": "GET", "path_prefix": "/v1/customers", "status": 400}])
    runtime = Runtime(sleep=lambda seconds: None, clock=SteppingClock(10.0))
    args = ["--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]
    result = invoke(["plan", str(EXAMPLE_SPECS), *args], obj=runtime, catch_exceptions=True)
    assert result.exit_code == 1
    reports = result.stderr.splitlines()
    assert not [line for line in reports if line.startswith("read live state:")], reports
    assert reports[-1].startswith("error: "), reports


def test_the_read_report_ends_when_read_live_returns(sandbox: RunningSandbox) -> None:
    # apply goes on for minutes after its read: the report (and its ticker) end with the read.
    from reconciler.gateway.client import StripeGateway
    from reconciler.gateway.read import read_live

    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)
    ended: list[int] = []
    gateway.on_page = lambda path, n: ended.append(0)
    gateway.on_read_done = lambda: ended.append(1)
    read_live(gateway)
    assert ended and ended[-1] == 1 and ended.count(1) == 1
