"""A small account with sent invoices, hooks that record each run, and a receiver.

The hooks append one line per run to runs.log (hook, event, type, invoice id,
invoice key, recorded status) and keep the event JSON they got on stdin.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import stripe
from cli_runner import invoke
from click.testing import Result

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.payments import GatewayInvoices
from reconciler.receiver.hooks import load_hooks
from reconciler.receiver.journal import JournaledEvent, open_journal
from reconciler.receiver.secrets import SecretSource
from reconciler.receiver.server import ReceiverServer, bind, build_receiver
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

INVOICE_KEYS = ("ada-2026-11", "bob-2026-11", "cyd-2026-11")

RECORD = ('printf "%s %s %s %s %s %s\\n" "$RECONCILER_HOOK_NAME" "$RECONCILER_EVENT_ID" "$RECONCILER_EVENT_TYPE"'
          ' "$RECONCILER_INVOICE_ID" "$RECONCILER_INVOICE_KEY" "$RECONCILER_INVOICE_STATUS" >> runs.log')
# What a retry offer emails: the link where the customer pays, and how often Stripe tried.
OFFER = 'printf "%s %s\\n" "$RECONCILER_HOSTED_INVOICE_URL" "$RECONCILER_ATTEMPT_COUNT" > "offer-$RECONCILER_INVOICE_ID"'
HOOKS_YAML = f"""\
hooks:
  - name: confirm-order
    events: [invoice.paid]
    run: cat > "stdin-$RECONCILER_EVENT_ID.json" && {RECORD}
  - name: pending-notice
    events: [payment_intent.processing]
    run: '{RECORD}'
  - name: retry-offer
    events: [invoice.payment_failed]
    run: '{RECORD} && {OFFER}'
"""


def cli(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return invoke(args, env=env)


def on(sandbox: RunningSandbox) -> list[str]:
    return ["--api-key", SANDBOX_API_KEY, "--api-base", sandbox.url]


def spec_text(statuses: dict[str, str] | None = None) -> str:
    statuses = statuses or {}
    lines = ["products:", "  plan:", "    name: Plan", "prices:", "  plan-usd:", "    product: plan",
             "    unit_amount: 1000", "    currency: usd", "customers:"]  # fmt: skip
    for key in INVOICE_KEYS:
        who = key.split("-")[0]
        # status sent emails the invoice: each customer has an address to send it to
        lines += [f"  {who}:", f"    name: {who.title()}", f"    email: {who}@example.com"]
    lines.append("invoices:")
    for key in INVOICE_KEYS:
        lines += [f"  {key}:", f"    customer: {key.split('-')[0]}", "    days_until_due: 30",
                  f"    status: {statuses.get(key, 'sent')}", "    items:", "      - price: plan-usd"]  # fmt: skip
    return "\n".join(lines) + "\n"


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition") -> None:
    """A bounded wait for a real condition (a journal state), polled."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@dataclass
class World:
    folder: Path
    sandbox: RunningSandbox
    client: stripe.StripeClient
    invoices: dict[str, str]  # spec key -> invoice id
    server: ReceiverServer | None = None

    @property
    def journal(self) -> str:
        return str(self.folder / "journal.db")

    @property
    def secret_file(self) -> Path:
        return self.folder / "secret"

    def runs(self) -> list[tuple[str, ...]]:
        log = self.folder / "runs.log"
        if not log.exists():
            return []
        return sorted(tuple(line.split(" ")) for line in log.read_text().splitlines())

    def events(self) -> list[JournaledEvent]:
        journal = open_journal(self.journal)
        try:
            return journal.events()
        finally:
            journal.close()

    def settled(self, count: int) -> bool:
        """`count` hook runs finished (done or dead), none left to run."""
        runs = [run for event in self.events() for run in event.hooks]
        return len(runs) == count and all(run.state in ("done", "dead") for run in runs)

    def apply(self, statuses: dict[str, str] | None = None) -> None:
        specs = self.folder / "specs.yaml"
        specs.write_text(spec_text(statuses))
        result = cli("apply", str(specs), *on(self.sandbox), "--yes")
        assert result.exit_code == 0, result.output

    def start_receiver(self, *, url_path: str = "/stripe/webhook") -> ReceiverServer:
        sock = bind("127.0.0.1", 0)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}{url_path}"
        registered = cli("webhook", "register", "--url", url, "--secret-file", str(self.secret_file),
                         "--hooks", str(self.folder / "hooks.yaml"), *on(self.sandbox))  # fmt: skip
        assert registered.exit_code == 0, registered.output
        assert "whsec_" not in registered.output  # the secret goes to the file only
        receiver = build_receiver(
            secrets=SecretSource(file=str(self.secret_file), env_value=None),
            hooks=load_hooks(self.folder / "hooks.yaml"),
            journal_target=self.journal,
            invoices=GatewayInvoices(StripeGateway(SANDBOX_API_KEY, api_base=self.sandbox.url)),
        )
        self.server = ReceiverServer(receiver, sock).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def make_world(folder: Path, sandbox: RunningSandbox, client: stripe.StripeClient) -> World:
    (folder / "hooks.yaml").write_text(HOOKS_YAML)
    world = World(folder, sandbox, client, {})
    world.apply()
    for invoice in client.v1.invoices.list({"limit": 100}).data:
        world.invoices[(invoice.metadata or {})["reconciler_id"]] = invoice.id
    return world


def offer_of(world: World, invoice_id: str) -> tuple[str, str]:
    """(hosted invoice URL, attempt count) the retry-offer hook got for the invoice."""
    url, count = (world.folder / f"offer-{invoice_id}").read_text().split()
    return url, count


def stdin_of(world: World, event_id: str) -> dict[str, object]:
    return dict(json.loads((world.folder / f"stdin-{event_id}.json").read_text()))
