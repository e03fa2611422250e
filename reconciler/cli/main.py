"""The `reconciler` group: its help, and every usage error as one `error:` line and exit 1."""

from __future__ import annotations

from typing import Any

import click

from reconciler.cli.errors import EXIT_ERROR, EXIT_OK
from reconciler.cli.options import _epilog


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
