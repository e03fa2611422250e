"""Errors become one line and an exit code: the exit codes, the decorator that turns library errors into them, and --format json|markdown error documents."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.errors import Interrupted, ReconcilerError

F = TypeVar("F", bound=Callable[..., Any])


EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_INTERRUPTED = 0, 1, 2, 130


# Objects held for a person (a conflict such as an invoice voided that the spec says
# sent): everything else planned, or applied. CI tells it from 1 (error) and 2 (changes).
EXIT_HELD = 3


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"error: {line}" if not _has_location(line) else line, err=True)
    raise SystemExit(EXIT_ERROR)


_LOCATED = re.compile(r"[^\s:][^:]*:\d+:\d+: ")


def _has_location(line: str) -> bool:
    """Spec errors arrive as FILE:LINE:COL: message and are printed as they are."""
    return _LOCATED.match(line) is not None


def handle_errors(func: F) -> F:
    """Turn expected failures into clean output and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReconcilerError as exc:
            _fail(exc.lines())
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            raise SystemExit(EXIT_INTERRUPTED) from None
        except (SystemExit, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the promise is "never a traceback"
            if os.environ.get("RECONCILER_DEBUG"):
                raise
            _fail([f"internal error ({type(exc).__name__}): {exc}; set RECONCILER_DEBUG=1 for a traceback"])

    return wrapper  # type: ignore[return-value]


def error_documents(func: F) -> F:
    """With --format json or markdown, a failure also prints an error document on stdout
    (for machines, and for the CI job that posts or summarises the output)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ReconcilerError, click.ClickException) as exc:
            _print_error_document(kwargs.get("fmt"), exc)
            raise
        except KeyboardInterrupt:
            _print_error_document(kwargs.get("fmt"), Interrupted("interrupted"))
            raise

    return wrapper  # type: ignore[return-value]


def _print_error_document(fmt: str | None, exc: ReconcilerError | click.ClickException) -> None:
    from reconciler.plan.render.markdown import error_markdown

    if isinstance(exc, ReconcilerError):
        document = exc.document()
    else:
        message = exc.format_message()
        document = {"error": {"kind": "usage", "message": message, "lines": [message]}}
    command = click.get_current_context().command.name or "reconciler"
    if fmt == "json":
        click.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(error_markdown(command, document["error"]["lines"]), nl=False)
