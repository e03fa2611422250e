"""What the `reconciler webhook` commands do, below the CLI's option parsing."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.payments import (
    GatewayInvoices,
    create_webhook_endpoint,
    events_since,
    update_webhook_endpoint,
    webhook_endpoints,
)
from reconciler.live.payments import CreatedEndpoint
from reconciler.receiver.errors import ReceiverError
from reconciler.receiver.event import MalformedEvent, event_from
from reconciler.receiver.hooks import HookSet, load_hooks
from reconciler.receiver.journal import HookRun, Journal, JournaledEvent, open_journal
from reconciler.receiver.journal.records import SOURCE_CATCH_UP, HookState
from reconciler.receiver.runner import HookRunner
from reconciler.receiver.secrets import SecretSource
from reconciler.receiver.server import DEFAULT_GRACE, ReceiverServer, bind, build_receiver
from reconciler.receiver.urls import has_credentials, shown
from reconciler.stripe_facts import EVENTS_WINDOW  # older events cannot be listed

log = logging.getLogger(__name__)

DEFAULT_HOOKS_FILE = "hooks.yaml"
# How often `replay` looks at a run another receiver is running, and how long past the hook's timeout it waits.
_REPLAY_POLL = 0.2
_REPLAY_MARGIN = 30.0


def hooks_from(path: str | None) -> HookSet:
    """The hooks of `path`; without one, of ./hooks.yaml if it exists, else none."""
    if path is None:
        if not Path(DEFAULT_HOOKS_FILE).exists():
            return HookSet()
        path = DEFAULT_HOOKS_FILE
    return load_hooks(path)


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    journal: str
    secret_file: str | None
    env_secret: str | None
    hooks_file: str | None
    grace: float = DEFAULT_GRACE


def prepare_server(options: ServeOptions, gateway: StripeGateway) -> tuple[ReceiverServer, str]:
    """The server, bound and ready to serve, and the line that says where it listens."""
    secrets = SecretSource(file=options.secret_file, env_value=options.env_secret)
    hooks = hooks_from(options.hooks_file)
    try:  # bound first: a port in use is reported before any worker starts
        sock = bind(options.host, options.port)
    except OSError as exc:
        raise ReceiverError(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}") from None
    try:
        receiver = build_receiver(secrets=secrets, hooks=hooks, journal_target=options.journal,
                                  invoices=GatewayInvoices(gateway))  # fmt: skip
    except BaseException:
        sock.close()
        raise
    server = ReceiverServer(receiver, sock, grace=options.grace)
    if not hooks.hooks:
        log.warning("no hooks: events are journaled and acknowledged, nothing runs")
    line = (f"listening on {server.url} (journal {receiver.journal_target}, {len(hooks.hooks)} hooks, "
            f"{secrets.count} signing secrets)")  # fmt: skip
    return server, line


@dataclass(frozen=True)
class Registration:
    """What `webhook register` did to the endpoint of its URL."""

    endpoint_id: str
    url: str
    events: tuple[str, ...]
    created: bool  # False: the URL's endpoint existed (its secret file is left alone)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    enabled: bool = False  # it was disabled and is enabled again


def register(gateway: StripeGateway, *, url: str, secret_file: str, hooks: HookSet) -> Registration:
    """The endpoint for `url` receives exactly the hooks' event types: created (its secret to a new 0600
    file) when the account has none for that URL, else updated in place. Running it twice changes nothing."""
    _check_endpoint_url(url)
    events = hooks.event_types
    if not events:
        raise ReceiverError("the hooks name no events: nothing to register (see --hooks)")
    found = [endpoint for endpoint in webhook_endpoints(gateway) if endpoint.url == url]
    if len(found) > 1:
        # Each one gets every event: the receiver would see each twice, one copy under the other's secret.
        raise ReceiverError(f"{len(found)} webhook endpoints have the URL {url} ({', '.join(sorted(e.id for e in found))}): "
                            "delete all but one (Dashboard > Developers > Webhooks), then register again")  # fmt: skip
    if not found:
        created = _create_endpoint(gateway, url=url, secret_file=secret_file, events=events)
        return Registration(created.id, created.url, created.enabled_events, created=True)
    (endpoint,) = found
    current, wanted = set(endpoint.enabled_events), set(events)
    disabled = endpoint.status == "disabled"
    if current != wanted or disabled:
        update_webhook_endpoint(gateway, endpoint.id, enabled_events=events, enable=disabled)
    return Registration(endpoint.id, url, tuple(events), created=False, added=tuple(sorted(wanted - current)),
                        removed=tuple(sorted(current - wanted)), enabled=disabled)  # fmt: skip


def _check_endpoint_url(url: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise ReceiverError(f"--url {shown(url)!r} is not an http(s) URL")
    if has_credentials(url):
        # Stripe would keep the password in the endpoint and show it in the Dashboard; the
        # signature already proves a delivery is Stripe's.
        raise ReceiverError(f"--url {shown(url)}: a URL with a user name or password is refused (the signature "
                            "authenticates Stripe's deliveries; put any other check in the proxy)")  # fmt: skip


def _create_endpoint(gateway: StripeGateway, *, url: str, secret_file: str, events: list[str]) -> CreatedEndpoint:
    path = Path(secret_file)
    try:
        # Created (empty, private) before asking Stripe, so the secret always has a place to go.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ReceiverError(f"{path} exists: choose a new file for the new secret (never overwritten)") from None
    except OSError as exc:
        raise ReceiverError(f"cannot create {path}: {exc.strerror or exc}") from None
    try:
        endpoint = create_webhook_endpoint(gateway, url=url, enabled_events=events,
                                           description="reconciler webhook receiver")  # fmt: skip
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(endpoint.secret + "\n")
    return endpoint


@dataclass(frozen=True)
class HandledEvents:
    listed: int
    new: int
    ran: int


def _runner(journal: Journal, hooks: HookSet, gateway: StripeGateway, clock: Callable[[], float]) -> HookRunner:
    return HookRunner(journal, hooks, GatewayInvoices(gateway), clock=clock, concurrency=1)


def catch_up(gateway: StripeGateway, *, journal_target: str, hooks: HookSet, since: int | None = None,
             clock: Callable[[], float] = time.time) -> HandledEvents:  # fmt: skip
    """Journal the events Stripe holds that the journal lacks, then run every due hook."""
    if not hooks.event_types:
        raise ReceiverError("the hooks name no events: nothing to catch up on (see --hooks)")
    # Never a new journal: one that does not know the events handled already would run their hooks again.
    journal = open_journal(journal_target, existing=True)
    try:
        start = journal.newest_created() if since is None else since
        if start is None:
            raise ReceiverError("the journal is empty: pass --since (a date, or e.g. 7d) to say how far back to look")
        start = max(start, int(clock()) - EVENTS_WINDOW)
        listed = list(events_since(gateway, created_gte=start, types=hooks.event_types))
        events = []
        for obj in reversed(listed):  # oldest first, as they happened
            try:
                events.append(event_from(obj, json.dumps(obj)))
            except MalformedEvent as exc:
                log.warning("skipping an event Stripe listed: %s", exc.reason)
        fresh = journal.record(events, hooks.for_event, now=clock(), source=SOURCE_CATCH_UP)
        ran = _runner(journal, hooks, gateway, clock).run_due()
    finally:
        journal.close()
    return HandledEvents(listed=len(listed), new=sum(fresh), ran=ran)


def replay(gateway: StripeGateway, event_id: str, *, journal_target: str, hooks: HookSet,
           clock: Callable[[], float] = time.time) -> list[HookRun]:  # fmt: skip
    """Run the event's hooks again now (each from attempt 1); each replayed run's outcome."""
    journal = open_journal(journal_target, existing=True)
    try:
        return replay_in(journal, gateway, event_id, hooks=hooks, clock=clock)
    finally:
        journal.close()


def replay_in(journal: Journal, gateway: StripeGateway, event_id: str, *, hooks: HookSet,
              clock: Callable[[], float] = time.time) -> list[HookRun]:  # fmt: skip
    """`replay` on an open journal. A running receiver may claim a replayed run before this
    command does: its outcome is waited for (up to the hook's timeout) and reported all the same."""
    names = hooks.for_event(journal.event_type(event_id))
    if not names:
        raise ReceiverError(f"no hook runs for {journal.event_type(event_id)} events (see --hooks)")
    journal.replay(event_id, names, now=clock())
    runner = _runner(journal, hooks, gateway, clock)
    deadline = time.monotonic() + max(hook.timeout for hook in hooks.hooks if hook.name in names) + _REPLAY_MARGIN
    while True:
        runner.run_due(event_id=event_id)
        runs = _runs_of(journal, event_id, names)
        if not any(run.state in ("pending", "running") for run in runs) or time.monotonic() > deadline:
            return runs
        time.sleep(_REPLAY_POLL)  # another worker holds a run: poll the journal for its outcome


def _runs_of(journal: Journal, event_id: str, names: list[str]) -> list[HookRun]:
    return [run for run in journal.event_runs(event_id) if run.name in names]


def journal_events(journal_target: str, state: HookState | None) -> list[JournaledEvent]:
    journal = open_journal(journal_target, existing=True)
    try:
        return journal.events(state=state)
    finally:
        journal.close()


_DURATION_UNITS = {"m": 60, "h": 3600, "d": 86_400}


def parse_since(text: str, *, now: float) -> int:
    """`--since`: a date (2026-11-01, midnight UTC), a time (2026-11-01T12:00:00Z) or a duration (90m, 12h, 7d)."""
    value = text.strip()
    unit = _DURATION_UNITS.get(value[-1:])
    if unit is not None and value[:-1].isdigit():
        return int(now) - int(value[:-1]) * unit
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReceiverError(f"--since {text!r}: expected a date (2026-11-01), a UTC time or a duration (12h, 7d)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())
