"""Progress reporting: one line per action (CI) or a progress bar (TTY).

Reporters are called from worker threads, so each serialises its output.
Messages come from actions and gateway errors, which never hold the API key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import IO, Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reconciler.apply.result import ApplyResult, describe
from reconciler.plan.actions import Action


class Reporter(Protocol):
    def on_begin(self, total: int) -> None: ...
    def on_start(self, action: Action) -> None: ...
    def on_done(self, action: Action, note: str) -> None: ...
    def on_failed(self, action: Action, message: str) -> None: ...
    def on_skipped(self, action: Action, reason: str) -> None: ...
    def on_retry(self, action: Action, attempt: int, delay: float, message: str) -> None: ...
    def on_end(self, result: ApplyResult) -> None: ...


class NullReporter:
    """Reports nothing (library use, tests)."""

    def on_begin(self, total: int) -> None: ...
    def on_start(self, action: Action) -> None: ...
    def on_done(self, action: Action, note: str) -> None: ...
    def on_failed(self, action: Action, message: str) -> None: ...
    def on_skipped(self, action: Action, reason: str) -> None: ...
    def on_retry(self, action: Action, attempt: int, delay: float, message: str) -> None: ...
    def on_end(self, result: ApplyResult) -> None: ...


class LineReporter:
    """One line per finished action, flushed at once, so a CI log (or a parent
    process watching a pipe) sees progress as it happens."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        echo: Callable[[str], None] | None = None,
        show_retries: bool = True,
    ) -> None:
        if (stream is None) == (echo is None):
            raise ValueError("LineReporter needs exactly one of stream or echo")
        self._stream = stream
        self._echo = echo
        self._show_retries = show_retries
        self._lock = threading.Lock()
        self._total = 0
        self._finished = 0

    def _write(self, text: str) -> None:
        with self._lock:
            if self._echo is not None:
                self._echo(text)
                return
            assert self._stream is not None
            self._stream.write(text + "\n")
            self._stream.flush()

    def _count(self) -> str:
        with self._lock:
            self._finished += 1
            return f"[{self._finished}/{self._total}]" if self._total else f"[{self._finished}]"

    def on_begin(self, total: int) -> None:
        self._total = total

    def on_start(self, action: Action) -> None:
        pass  # a line per finished action is enough for a log

    def on_done(self, action: Action, note: str) -> None:
        suffix = f" ({note})" if note else ""
        self._write(f"{self._count()} done: {describe(action)}{suffix}")

    def on_failed(self, action: Action, message: str) -> None:
        self._write(f"{self._count()} FAILED: {describe(action)}: {message}")

    def on_skipped(self, action: Action, reason: str) -> None:
        self._write(f"{self._count()} skipped: {describe(action)}: {reason}")

    def on_retry(self, action: Action, attempt: int, delay: float, message: str) -> None:
        if self._show_retries:
            self._write(f"retry: {describe(action)}: attempt {attempt} failed ({message}); next in {delay:.1f}s")

    def on_end(self, result: ApplyResult) -> None:
        pass  # the caller prints the summary, in the format it was asked for


class ProgressReporter:
    """A rich progress bar for a terminal; failures are printed above it."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._console = Console(file=stream, stderr=stream is None)
        self._progress = Progress(
            TextColumn("[bold]apply[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self._console,
            transient=False,
        )
        self._task = self._progress.add_task("", total=None)
        self._lock = threading.Lock()
        self._retries = 0

    def on_begin(self, total: int) -> None:
        self._progress.update(self._task, total=total)
        self._progress.start()

    def on_start(self, action: Action) -> None:
        self._progress.update(self._task, description=describe(action))

    def on_done(self, action: Action, note: str) -> None:
        self._progress.advance(self._task)

    def on_failed(self, action: Action, message: str) -> None:
        text = f"[red]failed[/red]: {escape(describe(action))}: {escape(message)}"
        self._progress.console.print(text, highlight=False, soft_wrap=True)  # the whole message, however wide
        self._progress.advance(self._task)

    def on_skipped(self, action: Action, reason: str) -> None:
        self._progress.advance(self._task)

    def on_retry(self, action: Action, attempt: int, delay: float, message: str) -> None:
        with self._lock:
            self._retries += 1
            retries = self._retries
        self._progress.update(self._task, description=f"{describe(action)} (retries so far: {retries})")

    def on_end(self, result: ApplyResult) -> None:
        self._progress.update(self._task, description="")
        self._progress.stop()
