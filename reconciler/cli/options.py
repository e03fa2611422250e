"""Option types and option bundles shared by commands, and what commands take from their surroundings (spec paths, gateway, runtime, colour)."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from reconciler.cli.errors import F
from reconciler.gateway.retry import DEFAULT_TIMEOUT
from reconciler.runtime import Runtime

DEFAULT_SPEC_PATHS = ("specs",)


DEFAULT_SANDBOX_DB = os.path.join(".reconciler", "sandbox.db")


EXIT_CODES_HELP = (
    "\b\nExit codes: 0 success (plan: no changes), 1 error, 2 changes (plan --detailed-exitcode),"
    "\n3 objects held for a person to decide (the rest planned or applied), 130 interrupted (apply)."
)


def _epilog(*examples: str) -> str:
    lines = "\n".join(f"  {example}" for example in examples)
    return f"\b\nExamples:\n{lines}\n\n{EXIT_CODES_HELP}"


class WholeNumber(click.IntRange):
    """An integer in a range; a bad value reads "'abc' is not a valid integer", not "integer range"."""

    name = "integer"


class FiniteFloat(click.FloatRange):
    """A FloatRange that also refuses nan and inf (nan passes every range comparison)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class FileName(click.Path):
    """A click.Path that refuses an empty name (`--out ""`, an unset variable)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("an empty file name is not a file name.", param, ctx)
        return super().convert(value, param, ctx)


def redact_option(func: F) -> F:
    return click.option(
        "--redact", is_flag=True, envvar="RECONCILER_REDACT", show_envvar=True,
        help="Mask customer data (names, emails, phones, descriptions, addresses, tax IDs) in text and markdown output.",
    )(func)


def target_option(func: F) -> F:
    return click.option(
        "--target", "targets", multiple=True, metavar="KIND/KEY",
        help="Only this object and what it depends on (repeatable), e.g. invoice/acme-2026-11.",
    )(func)


def connection_options(func: F) -> F:
    """--api-key / --api-base / --sandbox / --timeout, shared by plan and apply."""
    options = [
        click.option("--api-key", envvar="STRIPE_API_KEY", default=None, show_envvar=True,
                     help="Stripe secret or restricted key (never printed)."),
        click.option("--api-base", envvar="STRIPE_API_BASE", default=None, show_envvar=True,
                     help="API base URL, e.g. a `reconciler sandbox` server [default: https://api.stripe.com]."),
        click.option("--sandbox", "sandbox_db", type=FileName(), is_flag=False,
                     flag_value=DEFAULT_SANDBOX_DB, default=None, metavar="[FILE]",
                     help=f"Use an in-process sandbox persisted at FILE (default {DEFAULT_SANDBOX_DB})."),
        click.option("--timeout", type=FiniteFloat(0.1, 3600), default=DEFAULT_TIMEOUT, show_default=True,
                     metavar="SECONDS",
                     help="Give up on a Stripe call not answered within SECONDS, retries included "
                          "(each attempt is cut after 20 s at most)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def max_rps_option(func: F) -> F:
    """--max-rps, shared by plan and apply: reads count against Stripe's rate limit too."""
    return click.option(
        "--max-rps", type=FiniteFloat(0.1, 1000), default=None,
        help="Client-side request rate limit, reads and writes [default: 20 test mode, 80 live].",
    )(func)


def _max_rps(given: float | None, api_key: str | None, sandbox_db: str | None) -> float:
    from reconciler.apply.options import DEFAULT_MAX_RPS_LIVE, DEFAULT_MAX_RPS_TEST
    from reconciler.connection import is_live_key

    if given is not None:
        return given
    live_key = not sandbox_db and bool(api_key) and is_live_key(str(api_key))
    return DEFAULT_MAX_RPS_LIVE if live_key else DEFAULT_MAX_RPS_TEST


def _spec_paths(paths: tuple[str, ...]) -> list[str]:
    return list(paths) or list(DEFAULT_SPEC_PATHS)


def _runtime() -> Runtime:
    """What a test injected with `CliRunner().invoke(main, args, obj=Runtime(...))`, else the real one."""
    found = click.get_current_context().find_object(Runtime)
    return found if found is not None else Runtime()


@contextmanager
def _gateway(api_key: str | None, api_base: str | None, sandbox_db: str | None, timeout: float, *,
             require_live_flag: bool = False, live: bool = False, progress: bool = False) -> Iterator[Any]:
    """A gateway for the block. With `progress` (plan, apply), list pages read are
    reported on stderr until the read is done (or fails, or the block ends)."""
    from reconciler.connection import open_gateway, refuse_empty_settings
    from reconciler.progress import ReadProgress, Ticker

    if sandbox_db:
        # open_gateway creates the file's folder (or says why it cannot).
        _check_sandbox_file(sandbox_db)
    else:
        refuse_empty_settings(api_key=api_key, api_base=api_base, environ=os.environ)
    runtime = _runtime()
    with open_gateway(api_key=api_key, api_base=api_base, sandbox=sandbox_db, timeout=timeout, retry=runtime.read_retry(),
                      require_live_flag=require_live_flag, live=live) as gateway:
        if not progress:
            yield gateway
            return
        terminal = sys.stderr.isatty()
        reporter = ReadProgress(lambda text: click.echo(text, err=True, nl=not terminal), terminal=terminal,
                                host=gateway.host, clock=runtime.clock)
        gateway.on_page = reporter.page
        gateway.on_read_done = reporter.finish
        with Ticker(reporter, interval=0.1 if terminal else 1.0):
            yield gateway


def _check_sandbox_file(sandbox_db: str) -> None:
    """`--sandbox` takes an optional FILE, so `plan --sandbox specs/` would eat the spec path."""
    if Path(sandbox_db).is_dir() or sandbox_db.endswith((".yaml", ".yml")):
        raise click.UsageError(
            f"--sandbox takes an optional database FILE and {sandbox_db!r} looks like a spec path: "
            f"put paths first ('reconciler plan {sandbox_db} --sandbox') or write --sandbox=FILE"
        )


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
