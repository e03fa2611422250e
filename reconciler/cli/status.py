"""`reconciler status`: what is owed, paid and overdue."""

from __future__ import annotations

import os

import click

from reconciler.cli.errors import handle_errors
from reconciler.cli.main import main
from reconciler.cli.options import _gateway, _spec_paths, connection_options
from reconciler.cli.webhook import DEFAULT_JOURNAL


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
