"""`reconciler plan` and `reconciler apply`."""

from __future__ import annotations

import sys
from typing import cast

import click

from reconciler.apply.options import MAX_PARALLELISM
from reconciler.cli.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_HELD,
    EXIT_INTERRUPTED,
    EXIT_OK,
    error_documents,
    handle_errors,
)
from reconciler.cli.main import main
from reconciler.cli.options import (
    FileName,
    WholeNumber,
    _color,
    _epilog,
    _gateway,
    _max_rps,
    _runtime,
    _spec_paths,
    connection_options,
    max_rps_option,
    redact_option,
    target_option,
)


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
    from reconciler.apply.workflow import run_plan
    from reconciler.plan.files import refuse_special_plan_file, remove_stale_plan_file, write_plan_file
    from reconciler.plan.redact import redact as redacted
    from reconciler.plan.render import Format, render
    from reconciler.spec.loader import refuse_output_inside

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
    from reconciler.apply.workflow import ApplyRequest, run_apply

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
