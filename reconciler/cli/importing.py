"""`reconciler import`: write specs from what an account already holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli.errors import handle_errors
from reconciler.cli.main import main
from reconciler.cli.options import DEFAULT_SPEC_PATHS, _gateway, connection_options
from reconciler.kinds import KINDS  # data only: --help loads no pydantic through it


@main.command(name="import")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=DEFAULT_SPEC_PATHS[0], show_default=True,
              help="Folder to write the specs into (new or empty, unless --force).")
@click.option("--kind", "kinds", type=click.Choice(list(KINDS)), multiple=True,
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
