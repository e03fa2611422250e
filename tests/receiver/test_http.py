"""The receiver over HTTP: only genuine, fresh, well-formed deliveries are journaled; nothing else runs."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import stripe

from reconciler.gateway.client import StripeGateway
from reconciler.gateway.payments import GatewayInvoices
from reconciler.receiver.hooks import load_hooks
from reconciler.receiver.journal import open_journal
from reconciler.receiver.secrets import SecretSource
from reconciler.receiver.server import ReceiverServer, bind, build_receiver
from reconciler.receiver.signature import sign
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from tests.sandbox.helpers import make_open

from .builders import event_json
from .world import wait_until

NOW = 1_800_000_000
OLD, NEW = "whsec_" + "a" * 32, "whsec_" + "b" * 32


@dataclass
class Setup:
    folder: Path
    server: ReceiverServer
    connection: http.client.HTTPConnection
    invoice_id: str
    secret_file: Path
    monotonic: list[float]

    def post(self, body: bytes, signature: str | None, path: str = "/") -> tuple[int, dict[str, object]]:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def event(self, event_id: str) -> bytes:
        return event_json(event_id, object_id=self.invoice_id)

    def journaled(self) -> list[str]:
        journal = open_journal(str(self.folder / "journal.db"))
        try:
            return [event.id for event in journal.events()]
        finally:
            journal.close()

    def runs(self) -> list[str]:
        log = self.folder / "runs.log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def setup(tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient) -> Iterator[Setup]:
    invoice = make_open(stripe_client)
    (tmp_path / "hooks.yaml").write_text(
        "hooks:\n  - name: confirm\n    events: [invoice.paid]\n"
        "    run: echo \"$RECONCILER_EVENT_ID\" >> runs.log\n"
    )
    secret_file = tmp_path / "secrets"
    secret_file.write_text(OLD + "\n")
    monotonic = [0.0]
    receiver = build_receiver(
        secrets=SecretSource(file=str(secret_file), env_value=None, clock=lambda: monotonic[0]),
        hooks=load_hooks(tmp_path / "hooks.yaml"),
        journal_target=str(tmp_path / "journal.db"),
        invoices=GatewayInvoices(StripeGateway(SANDBOX_API_KEY, api_base=sandbox.url)),
        clock=lambda: NOW,
    )
    server = ReceiverServer(receiver, bind("127.0.0.1", 0)).start()
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    yield Setup(tmp_path, server, connection, invoice.id, secret_file, monotonic)
    connection.close()
    server.stop()


def test_a_genuine_delivery_is_journaled_once_and_its_hook_runs_once(setup: Setup) -> None:
    body = setup.event("evt_1")
    assert setup.post(body, sign(OLD, body, NOW)) == (200, {"received": True, "duplicate": False})
    # Stripe redelivers (a new signature, same event): acknowledged, ignored.
    assert setup.post(body, sign(OLD, body, NOW + 60)) == (200, {"received": True, "duplicate": True})
    wait_until(lambda: setup.runs() == ["evt_1"], what="the hook run")
    assert setup.journaled() == ["evt_1"]


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "no Stripe-Signature header"),
        ("t=1800000000", "no v1 signature in Stripe-Signature"),
        ("v1=abc", "no timestamp in Stripe-Signature"),
        ("t=yesterday,v1=abc", "malformed timestamp in Stripe-Signature"),
        ("forged", "no signature matches a configured secret"),
        ("stale", "timestamp 1799999699 is more than 300s from now"),
        ("future", "timestamp 1800000301 is more than 300s from now"),
    ],
)
def test_missing_forged_or_stale_signatures_get_400_and_run_nothing(
    setup: Setup, signature: str | None, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = setup.event("evt_1")
    header = {
        "forged": sign("whsec_" + "f" * 32, body, NOW),
        "stale": sign(OLD, body, NOW - 301),
        "future": sign(OLD, body, NOW + 301),
    }.get(signature or "", signature)
    with caplog.at_level(logging.WARNING, logger="reconciler.receiver.app"):
        assert setup.post(body, header) == (400, {"error": reason})
    assert setup.journaled() == [] and setup.runs() == []
    logged = caplog.text
    assert reason in logged and OLD not in logged and (header is None or header not in logged)


def test_the_tolerance_holds_up_to_300_seconds_either_way(setup: Setup) -> None:
    for n, offset in enumerate((-300, 300)):
        body = setup.event(f"evt_{n}")
        assert setup.post(body, sign(OLD, body, NOW + offset))[0] == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not UTF-8 JSON"),
        (b"\xff\xfe", "body is not UTF-8 JSON"),
        (b'{"object": "list"}', "body is not a Stripe event object"),
        (b'{"object": "event", "id": "evt_1", "type": "invoice.paid", "created": "now", "data": {"object": {}}}',
         "event has no valid created time"),
        (b'{"object": "event", "id": "evt_1", "type": "invoice.paid", "created": 1}', "event has no data.object"),
    ],
)
def test_a_signed_but_malformed_body_gets_400(setup: Setup, body: bytes, reason: str) -> None:
    assert setup.post(body, sign(OLD, body, NOW)) == (400, {"error": reason})
    assert setup.journaled() == []


def test_other_requests(setup: Setup) -> None:
    setup.connection.request("GET", "/healthz")
    response = setup.connection.getresponse()
    assert (response.status, json.loads(response.read())) == (200, {"ok": True})
    setup.connection.request("PUT", "/", body=b"{}")
    response = setup.connection.getresponse()
    assert (response.status, response.getheader("Allow"), response.read()) == (
        405, "POST", b'{"error": "webhooks are POSTed"}'
    )  # fmt: skip
    huge = b" " * (1024 * 1024 + 1)
    assert setup.post(huge, sign(OLD, huge, NOW)) == (413, {"error": "body larger than 1048576 bytes"})


def test_rolling_the_secret_without_a_restart(setup: Setup) -> None:
    first, second, third = (setup.event(f"evt_{n}") for n in (1, 2, 3))
    assert setup.post(first, sign(NEW, first, NOW))[0] == 400
    setup.secret_file.write_text(f"{OLD}\n{NEW}\n")  # the new secret added beside the old
    setup.monotonic[0] += 1.0  # the file is looked at again at most once a second
    both = f"{sign(OLD, first, NOW)},v1={sign(NEW, first, NOW).split('v1=')[1]}"
    assert setup.post(first, both)[0] == 200  # Stripe signs with both while rolling
    assert setup.post(second, sign(NEW, second, NOW))[0] == 200
    setup.secret_file.write_text(f"{NEW}\n")  # the old one expired
    setup.monotonic[0] += 1.0
    assert setup.post(third, sign(OLD, third, NOW)) == (400, {"error": "no signature matches a configured secret"})
    assert setup.post(third, sign(NEW, third, NOW))[0] == 200
    assert setup.journaled() == ["evt_1", "evt_2", "evt_3"]
