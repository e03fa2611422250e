"""`reconciler webhook ...`: the receiver and its journal."""

from __future__ import annotations

import os

import click

from reconciler.cli.errors import F, handle_errors
from reconciler.cli.main import BareHelpGroup, main
from reconciler.cli.options import WholeNumber, _gateway, connection_options
from reconciler.text import plural

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
