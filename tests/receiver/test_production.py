"""`reconciler webhook serve` as a deployed process: what its hooks inherit, how it stops."""

from __future__ import annotations

import os
from pathlib import Path

import stripe

from reconciler.receiver.journal import open_journal
from reconciler.sandbox import RunningSandbox
from tests.sandbox.helpers import make_open

from .processes import registered_receiver
from .world import wait_until


def _runs(journal: str) -> list[tuple[str, str, str, int]]:
    """(event, hook, state, attempts) of every run in the journal."""
    opened = open_journal(journal)
    try:
        return [(e.id, r.name, r.state, r.attempts) for e in opened.events() for r in e.hooks]
    finally:
        opened.close()


def test_hooks_get_a_minimal_environment_without_the_receivers_secrets(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    (tmp_path / "hooks.yaml").write_text(
        "hooks:\n  - name: dump\n    events: [invoice.paid]\n    run: env > env.txt\n    pass_env: [SHOP_DB]\n"
    )
    journal = str(tmp_path / "journal.db")
    secrets = {"STRIPE_API_KEY": "sk_test_writecapable", "STRIPE_WEBHOOK_SECRET": "whsec_0123456789abcdef",
               "STRIPE_API_BASE": sandbox.url, "AWS_SECRET_ACCESS_KEY": "aws-secret"}  # fmt: skip
    receiver = registered_receiver(tmp_path, sandbox, stripe_client, journal=journal, name="receiver",
                                   env={**secrets, "SHOP_DB": "postgresql:///shop", "LANG": "C.UTF-8"})  # fmt: skip
    try:
        invoice = make_open(stripe_client)
        sandbox.pay(invoice.id, "succeeded")
        wait_until(lambda: [run[2] for run in _runs(journal)] == ["done"], what="the hook run")
    finally:
        receiver.terminate()
    env = dict(line.split("=", 1) for line in (tmp_path / "env.txt").read_text().splitlines() if "=" in line)
    (event_id,) = {run[0] for run in _runs(journal)}
    # The shell itself adds PWD, SHLVL and `_`; everything else is the documented list.
    system = {name for name in ("HOME", "USER", "LOGNAME", "TZ", "TMPDIR", "LC_ALL", "LC_CTYPE") if name in os.environ}
    assert set(env) - {"PWD", "SHLVL", "_"} == system | {
        "LANG", "PATH", "SHOP_DB", "RECONCILER_EVENT_ID", "RECONCILER_EVENT_TYPE", "RECONCILER_OBJECT_ID",
        "RECONCILER_INVOICE_ID", "RECONCILER_INVOICE_KEY", "RECONCILER_INVOICE_STATUS", "RECONCILER_HOOK_NAME",
        "RECONCILER_HOOK_ATTEMPT"}  # fmt: skip
    assert (env["RECONCILER_EVENT_ID"], env["RECONCILER_INVOICE_ID"], env["SHOP_DB"]) == (
        event_id, invoice.id, "postgresql:///shop")  # fmt: skip
    text = (tmp_path / "env.txt").read_text()
    assert not any(value in text for value in secrets.values())

