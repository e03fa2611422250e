"""Command-line interface: parse options, call one library function, print.

The only module that imports click. Library errors (ReconcilerError) become
one-line messages on stderr and exit code 1; nothing else turns into a
traceback unless RECONCILER_DEBUG is set.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from reconciler.apply.options import MAX_PARALLELISM
from reconciler.errors import Interrupted, ReconcilerError
from reconciler.gateway.retry import DEFAULT_TIMEOUT
from reconciler.runtime import Runtime
from reconciler.text import plural

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SPEC_PATHS = ("specs",)
DEFAULT_SANDBOX_DB = os.path.join(".reconciler", "sandbox.db")
EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_INTERRUPTED = 0, 1, 2, 130
# Objects held for a person (a conflict such as an invoice voided that the spec says
# sent): everything else planned, or applied. CI tells it from 1 (error) and 2 (changes).
EXIT_HELD = 3

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


def redact_option(func: F) -> F:
    return click.option(
        "--redact", is_flag=True, envvar="RECONCILER_REDACT", show_envvar=True,
        help="Mask customer names, emails, phones and descriptions in text and markdown output.",
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


class BareHelpGroup(click.Group):
    """A group that, run with nothing after it, prints its help as a successful answer."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            click.echo(ctx.get_help())
            ctx.exit(EXIT_OK)
        return super().parse_args(ctx, args)


class ReconcilerGroup(BareHelpGroup):
    """A group whose every failure, usage errors included, is one `error:` line and exit 1."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"error: {exc.format_message()}{hint}", err=True)
            raise SystemExit(EXIT_ERROR) from None
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            raise SystemExit(EXIT_ERROR) from None
        except click.Abort:
            click.echo("error: aborted", err=True)
            raise SystemExit(EXIT_ERROR) from None
        raise SystemExit(code if isinstance(code, int) else EXIT_OK)


@click.group(name="reconciler", cls=ReconcilerGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=_epilog("reconciler validate", "reconciler plan --sandbox",
                            "reconciler plan --out plan.json --format markdown",
                            "reconciler apply --plan plan.json --yes"))
@click.version_option(package_name="reconciler")
def main() -> None:
    """Invoice-as-code for Stripe: validate, plan and apply YAML specs.

    Specs are read from specs/ unless PATHS are given.
    """


@main.command(epilog=_epilog("reconciler validate", "reconciler validate specs/customers.yaml"))
@click.argument("paths", nargs=-1, type=click.Path())
@handle_errors
def validate(paths: tuple[str, ...]) -> None:
    """Check specs offline (no API call): every error as FILE:LINE:COL: message.

    PATHS are spec files or directories (default: specs/).
    """
    from reconciler.spec.loader import load_specs, summary_line

    desired = load_specs(_spec_paths(paths))
    click.echo(summary_line(desired))


@main.command(epilog=_epilog("reconciler schema > schema/reconciler-spec.schema.json"))
@handle_errors
def schema() -> None:
    """Print the JSON Schema of a spec file (for editor completion)."""
    from reconciler.spec.schema import spec_json_schema

    click.echo(json.dumps(spec_json_schema(), indent=2, sort_keys=True))


@main.command(epilog=_epilog("reconciler plan --sandbox", "reconciler plan --out plan.json --format markdown > plan.md",
                             "reconciler plan specs/ --detailed-exitcode"))
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--out", "out_file", type=FileName(dir_okay=False, writable=True), default=None,
              help="Also write the plan as JSON to this file (for apply --plan); not inside the spec paths.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="How to print the plan on stdout.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when the plan has changes, 0 when empty (3 when objects are held, with or without it).")
@click.option("--prune", is_flag=True, help="Also plan the removal of managed objects missing from the specs.")
@target_option
@redact_option
@max_rps_option
@connection_options
@handle_errors
@error_documents
def plan(paths: tuple[str, ...], out_file: str | None, fmt: str, detailed_exitcode: bool, prune: bool,
         targets: tuple[str, ...], redact: bool, max_rps: float | None, api_key: str | None, api_base: str | None,
         sandbox_db: str | None, timeout: float) -> None:
    """Read live Stripe state, diff it against the specs, print the plan.

    PATHS are spec files or directories (default: specs/).
    """
    from reconciler.plan.redact import redact as redacted
    from reconciler.plan.render import Format, render
    from reconciler.spec.loader import refuse_output_inside
    from reconciler.workflow import refuse_special_plan_file, remove_stale_plan_file, run_plan, write_plan_file

    if redact and fmt == "json":
        raise click.UsageError("--redact masks text and markdown output; the JSON plan keeps every value")
    if out_file:
        # Before anything else: a refused --out must not remove the file it names.
        refuse_output_inside(out_file, _spec_paths(paths), option="--out")
        refuse_special_plan_file(out_file)
    try:
        with _gateway(api_key, api_base, sandbox_db, timeout, progress=True) as gateway:
            the_plan = run_plan(_spec_paths(paths), gateway, prune=prune, targets=targets,
                                max_rps=_max_rps(max_rps, api_key, sandbox_db), sleep=_runtime().sleep)
        if out_file:
            write_plan_file(out_file, the_plan.to_json())
    except BaseException:
        if out_file:
            # An old plan left in place would be uploaded and applied as if it were this run's.
            remove_stale_plan_file(out_file)
        raise
    shown = redacted(the_plan) if redact else the_plan
    click.echo(render(shown, cast(Format, fmt), color=_color() and fmt == "text"), nl=False)
    if the_plan.conflicts:
        raise SystemExit(EXIT_HELD)
    if detailed_exitcode and not the_plan.is_empty:
        raise SystemExit(EXIT_CHANGES)


@main.command(epilog=_epilog("reconciler apply --sandbox --yes", "reconciler apply --dry-run",
                             "reconciler apply --plan plan.json --yes"))
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--plan", "plan_file", type=FileName(dir_okay=False), default=None,
              help="Apply exactly this saved plan (refused if live state changed since).")
@click.option("--dry-run", is_flag=True, help="Print every request it would send; send no write.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Also remove managed objects missing from the specs.")
@click.option("--live", "live_ok", is_flag=True, help="Allow a live-mode key (sk_live_/rk_live_).")
@click.option("--parallelism", type=WholeNumber(1, MAX_PARALLELISM), default=MAX_PARALLELISM, show_default=True,
              help="Most actions at once; how many run follows the rate limit x round-trip time.")
@max_rps_option
@click.option("--fail-fast", is_flag=True, help="Stop scheduling new work after the first failure.")
@click.option("--allow-destroy", type=WholeNumber(0), default=0, metavar="N",
              help="Apply a plan past the destroy limits if it destroys at most N objects.")
@target_option
@redact_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Format of the result summary (json and markdown: alone on stdout).")
@connection_options
@handle_errors
@error_documents
def apply(paths: tuple[str, ...], plan_file: str | None, dry_run: bool, yes: bool, prune: bool, live_ok: bool,
          parallelism: int, max_rps: float | None, fail_fast: bool, allow_destroy: int, targets: tuple[str, ...],
          redact: bool, fmt: str, api_key: str | None, api_base: str | None, sandbox_db: str | None,
          timeout: float) -> None:
    """Plan, confirm, and apply the changes to Stripe.

    PATHS are spec files or directories (default: specs/).
    """
    from reconciler.workflow import ApplyRequest, run_apply

    request = ApplyRequest(
        spec_paths=_spec_paths(paths), plan_file=plan_file, dry_run=dry_run, prune=prune, targets=targets,
        allow_destroy=allow_destroy, redact=redact,
        parallelism=parallelism, max_rps=_max_rps(max_rps, api_key, sandbox_db),
        fail_fast=fail_fast, result_format=fmt, color=_color(), tty=sys.stdout.isatty(), sleep=_runtime().sleep,
    )

    def confirm() -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise click.ClickException("refusing to apply without --yes: no terminal to confirm on")
        return click.confirm("Apply these changes?", default=False)

    with _gateway(api_key, api_base, sandbox_db, timeout, require_live_flag=True, live=live_ok,
                  progress=True) as gateway:

        # The read's progress report has ended (read_live's on_read_done) before anything is echoed.
        result = run_apply(request, gateway, confirm=confirm, echo=click.echo)
    if result.interrupted:
        raise SystemExit(EXIT_INTERRUPTED)
    raise SystemExit(EXIT_ERROR if not result.ok else EXIT_HELD if result.held else EXIT_OK)


@main.command(name="import")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=DEFAULT_SPEC_PATHS[0], show_default=True,
              help="Folder to write the specs into (new or empty, unless --force).")
@click.option("--kind", "kinds", type=click.Choice(["product", "price", "customer", "invoice"]), multiple=True,
              help="Import only objects of this kind (repeatable); what they refer to comes along.")
@click.option("--customer", "customer_ids", multiple=True, metavar="CUS_ID",
              help="Import only this customer and its invoices (repeatable).")
@click.option("--created-after", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Import only objects created on that day (UTC) or later.")
@click.option("--force", is_flag=True, help="Replace the spec files an earlier import wrote in the folder.")
@click.option("--metadata", "claim_metadata", is_flag=True,
              help="Also write the metadata of objects to adopt: adoption then claims those keys as the tool's.")
@connection_options
@handle_errors
def import_(out_dir: str, kinds: tuple[str, ...], customer_ids: tuple[str, ...], created_after: Any, force: bool,
            claim_metadata: bool, api_key: str | None, api_base: str | None, sandbox_db: str | None, timeout: float) -> None:
    """Write specs for the objects of an existing account (read-only: writes nothing to Stripe).

    Objects the tool does not manage yet get `adopt: <id>` in their specs: the
    next plan adopts them, a step reviewed like any other.
    """
    from reconciler.importer import KINDS, ImportRequest, run_import

    request = ImportRequest(
        out=Path(out_dir), kinds=kinds or KINDS, customers=tuple(dict.fromkeys(customer_ids)),
        created_after=created_after.date() if created_after else None, force=force, metadata=claim_metadata,
    )
    with _gateway(api_key, api_base, sandbox_db, timeout) as gateway:
        report = run_import(request, gateway)
    click.echo("\n".join(report.lines()))


@main.command(epilog=_epilog("reconciler sandbox --db .reconciler/sandbox.db",
                             "reconciler sandbox --port 0 --rate-limit 0"))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the unauthenticated admin surface.")
@click.option("--port", type=WholeNumber(0, 65535), default=12111, show_default=True,
              help="Port to listen on (0: a free one, printed at start).")
@click.option("--db", "db_path", type=FileName(dir_okay=False), default=None,
              help="SQLite file to persist state in (in memory when omitted).")
@click.option("--latency-ms", type=FiniteFloat(0), default=0.0, help="Fault: added latency per request.")
@click.option("--rate-limit", type=FiniteFloat(0), default=25.0, show_default=True,
              help="Answer 429 past this many requests per second, as Stripe's test mode does (0: no limit).")
@click.option("--error-rate", type=FiniteFloat(0, 1), default=0.0, help="Fault: fraction of 500 answers.")
@click.option("--lose-response-rate", type=FiniteFloat(0, 1), default=0.0,
              help="Fault: fraction of writes committed but answered by a dropped connection.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for ids and faults.")
@handle_errors
def sandbox(host: str, port: int, db_path: str | None, latency_ms: float, rate_limit: float | None,
            error_rate: float, lose_response_rate: float, seed: int) -> None:
    """Run the local Stripe emulator (any sk_test_ key authenticates)."""
    from reconciler.sandbox.faults import FaultConfig
    from reconciler.sandbox.server import serve_forever

    faults = FaultConfig(latency_ms=latency_ms, rate_limit_rps=rate_limit or None, error_rate=error_rate,
                         lose_response_rate=lose_response_rate, seed=seed)
    serve_forever(host, port, db_path, faults)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="How to print the report.")
@click.option("--journal", default=None, metavar="FILE|URL",
              help="Add the last payment event the receiver journaled [default: .reconciler/journal.db if it exists].")
@connection_options
@handle_errors
def status(paths: tuple[str, ...], fmt: str, journal: str | None,
           api_key: str | None, api_base: str | None, sandbox_db: str | None, timeout: float) -> None:
    """What is paid, outstanding and overdue: per managed invoice, from Stripe's state."""
    from reconciler.status.command import status_report
    from reconciler.status.render import render

    if journal is None and os.path.exists(DEFAULT_JOURNAL):
        journal = DEFAULT_JOURNAL  # the receiver's default, as `webhook events` reads it
    with _gateway(api_key, api_base, sandbox_db, timeout) as gateway:
        report = status_report(_spec_paths(paths), gateway, journal_target=journal)
    click.echo(render(report, fmt), nl=False)


# -- payment events ------------------------------------------------------------

DEFAULT_JOURNAL = os.path.join(".reconciler", "journal.db")


def journal_option(func: F) -> F:
    return click.option("--journal", default=DEFAULT_JOURNAL, show_default=True, metavar="FILE|URL",
                        help="SQLite file, or postgresql://… shared by several receivers.")(func)


def hooks_option(func: F) -> F:
    return click.option("--hooks", "hooks_file", type=click.Path(dir_okay=False), default=None,
                        help="Hooks file [default: ./hooks.yaml if present].")(func)


@main.group(cls=BareHelpGroup)
def webhook() -> None:
    """Receive Stripe's payment events and run fulfilment hooks."""


@webhook.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=WholeNumber(0, 65535), default=8787, show_default=True,
              help="Port to listen on (0: a free one).")
@click.option("--secret-file", type=click.Path(dir_okay=False), default=None,
              help="Signing secrets, one per line [default: $STRIPE_WEBHOOK_SECRET].")
@click.option("--grace", type=WholeNumber(0, 3600), default=25, show_default=True, metavar="SECONDS",
              help="On SIGTERM or Ctrl-C, how long running hooks get to finish.")
@hooks_option
@journal_option
@connection_options
@handle_errors
def serve(host: str, port: int, secret_file: str | None, grace: int, hooks_file: str | None, journal: str,
          api_key: str | None, api_base: str | None, sandbox_db: str | None, timeout: float) -> None:
    """Verify, journal and acknowledge Stripe's events; run the hooks after answering."""
    from reconciler.receiver.commands import ServeOptions, prepare_server
    from reconciler.receiver.controls import configure_logging
    from reconciler.receiver.secrets import env_secret

    configure_logging()
    options = ServeOptions(host=host, port=port, journal=journal, secret_file=secret_file,
                           env_secret=env_secret(), hooks_file=hooks_file, grace=grace)
    with _gateway(api_key, api_base, sandbox_db, timeout) as gateway:
        server, line = prepare_server(options, gateway)
        click.echo(line)
        server.serve()


@webhook.command()
@click.option("--url", required=True, help="The receiver's public URL, as Stripe will call it.")
@click.option("--secret-file", required=True, type=click.Path(dir_okay=False),
              help="New file to write the endpoint's signing secret to (mode 0600).")
@hooks_option
@connection_options
@handle_errors
def register(url: str, secret_file: str, hooks_file: str | None,
             api_key: str | None, api_base: str | None, sandbox_db: str | None, timeout: float) -> None:
    """Create or update the webhook endpoint of --url for exactly the events the hooks need."""
    from reconciler.receiver.commands import hooks_from
    from reconciler.receiver.commands import register as register_endpoint
    from reconciler.receiver.listing import registration_text

    hooks = hooks_from(hooks_file)
    with _gateway(api_key, api_base, sandbox_db, timeout) as gateway:
        registration = register_endpoint(gateway, url=url, secret_file=secret_file, hooks=hooks)
    click.echo(registration_text(registration, secret_file), nl=False)


@webhook.command()
@journal_option
@click.option("--state", type=click.Choice(["pending", "running", "failed", "dead", "done"]), default=None,
              help="Only events with a hook in this state.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the events.")
@handle_errors
def events(journal: str, state: str | None, fmt: str) -> None:
    """List journaled events with each hook's state and attempts."""
    from reconciler.receiver.commands import journal_events
    from reconciler.receiver.listing import events_json, events_text

    found = journal_events(journal, state)  # type: ignore[arg-type]
    click.echo(events_json(found) if fmt == "json" else events_text(found), nl=False)


@webhook.command()
@click.argument("event_id")
@journal_option
@hooks_option
@connection_options
@handle_errors
def replay(event_id: str, journal: str, hooks_file: str | None,
           api_key: str | None, api_base: str | None, sandbox_db: str | None, timeout: float) -> None:
    """Run an event's hooks again, on purpose."""
    from reconciler.receiver.commands import hooks_from
    from reconciler.receiver.commands import replay as replay_event

    hooks = hooks_from(hooks_file)
    with _gateway(api_key, api_base, sandbox_db, timeout) as gateway:
        runs = replay_event(gateway, event_id, journal_target=journal, hooks=hooks)
    for run in runs:
        click.echo(f"{event_id} {run.name}: {run.state}{': ' + run.last_error if run.last_error else ''}")
    failed = [run.name for run in runs if run.state != "done"]
    if failed:
        from reconciler.receiver.errors import ReceiverError

        raise ReceiverError(f"{len(failed)} of {len(runs)} hooks did not succeed: {', '.join(failed)}")


@webhook.command(name="catch-up")
@journal_option
@hooks_option
@click.option("--since", default=None, help="Look back to this date, time or duration (7d) [default: newest journaled event].")
@connection_options
@handle_errors
def catch_up(journal: str, hooks_file: str | None, since: str | None,
             api_key: str | None, api_base: str | None, sandbox_db: str | None, timeout: float) -> None:
    """Journal and handle the events Stripe still holds that the receiver missed."""
    import time

    from reconciler.receiver.commands import catch_up as run_catch_up
    from reconciler.receiver.commands import hooks_from, parse_since

    hooks = hooks_from(hooks_file)
    start = parse_since(since, now=time.time()) if since else None
    with _gateway(api_key, api_base, sandbox_db, timeout) as gateway:
        handled = run_catch_up(gateway, journal_target=journal, hooks=hooks, since=start)
    click.echo(f"caught up: {plural(handled.listed, 'event')} listed, {handled.new:,} new, {plural(handled.ran, 'hook run')}")


if __name__ == "__main__":  # pragma: no cover
    main()
