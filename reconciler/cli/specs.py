"""`reconciler validate` and `reconciler schema`: offline, no API call."""

from __future__ import annotations

import json

import click

from reconciler.cli.errors import handle_errors
from reconciler.cli.main import main
from reconciler.cli.options import _epilog, _spec_paths


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
