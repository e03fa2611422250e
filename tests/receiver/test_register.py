"""`reconciler webhook register`: one endpoint per URL, kept in step with hooks.yaml, never a password shown."""

from __future__ import annotations

from pathlib import Path

import stripe

from reconciler.sandbox import RunningSandbox

from .world import cli, on

URL = "https://billing.example.com/stripe/webhook"
HOOK = "  - name: {name}\n    events: [{events}]\n    run: 'true'\n"


def _hooks(path: Path, **hooks: str) -> str:
    path.write_text("hooks:\n" + "".join(HOOK.format(name=name, events=events) for name, events in hooks.items()))
    return str(path)


def test_register_twice_keeps_one_endpoint_and_updates_its_events_when_the_hooks_change(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    hooks = _hooks(tmp_path / "hooks.yaml", confirm="invoice.paid")
    secret = tmp_path / "secret"
    register = ["webhook", "register", "--url", URL, "--secret-file", str(secret), "--hooks", hooks, *on(sandbox)]
    first = cli(*register)
    assert first.exit_code == 0, first.output
    (endpoint,) = stripe_client.v1.webhook_endpoints.list().data
    written = secret.read_text()

    again = cli(*register)
    assert (again.exit_code, again.output) == (0, (
        f"webhook endpoint {endpoint.id} for {URL} already receives exactly: invoice.paid\n"
        f"signing secret unchanged ({secret} not written)\n"))  # fmt: skip
    assert [e.id for e in stripe_client.v1.webhook_endpoints.list().data] == [endpoint.id]
    assert secret.read_text() == written

    _hooks(tmp_path / "hooks.yaml", confirm="invoice.paid, invoice.payment_failed")
    stripe_client.v1.webhook_endpoints.update(endpoint.id, {"disabled": True})  # as Stripe does after failures
    changed = cli(*register)
    assert (changed.exit_code, changed.output) == (0, (
        f"updated webhook endpoint {endpoint.id} for {URL} (+ invoice.payment_failed, enabled again (it was"
        " disabled)): invoice.paid, invoice.payment_failed\n"
        f"signing secret unchanged ({secret} not written)\n"))  # fmt: skip
    (updated,) = stripe_client.v1.webhook_endpoints.list().data
    assert (updated.id, updated.status, sorted(updated.enabled_events)) == (
        endpoint.id, "enabled", ["invoice.paid", "invoice.payment_failed"])  # fmt: skip

    _hooks(tmp_path / "hooks.yaml", confirm="invoice.payment_failed")
    fewer = cli(*register)
    assert fewer.output.splitlines()[0] == (
        f"updated webhook endpoint {endpoint.id} for {URL} (- invoice.paid): invoice.payment_failed")
    assert stripe_client.v1.webhook_endpoints.retrieve(endpoint.id).enabled_events == ["invoice.payment_failed"]


def test_register_refuses_a_url_with_credentials_without_showing_the_password(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    hooks = _hooks(tmp_path / "hooks.yaml", confirm="invoice.paid")
    for url, shown in (("https://ops:hunter2@billing.example.com/hook", "https://ops:***@billing.example.com/hook"),
                       ("ftp://ops:hunter2@billing.example.com/hook", None)):  # fmt: skip
        result = cli("webhook", "register", "--url", url, "--secret-file", str(tmp_path / "secret"), "--hooks", hooks,
                     *on(sandbox))  # fmt: skip
        assert result.exit_code == 1 and len(result.output.splitlines()) == 1, result.output
        assert "hunter2" not in result.output
        if shown:
            assert result.output == (f"error: --url {shown}: a URL with a user name or password is refused (the "
                                     "signature authenticates Stripe's deliveries; put any other check in the proxy)\n")
    assert stripe_client.v1.webhook_endpoints.list().data == []
    assert not (tmp_path / "secret").exists()


def test_register_refuses_a_url_that_already_has_several_endpoints(
    tmp_path: Path, sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    made = [stripe_client.v1.webhook_endpoints.create({"url": URL, "enabled_events": ["invoice.paid"]}).id
            for _ in range(2)]  # fmt: skip
    result = cli("webhook", "register", "--url", URL, "--secret-file", str(tmp_path / "secret"),
                 "--hooks", _hooks(tmp_path / "hooks.yaml", confirm="invoice.paid"), *on(sandbox))  # fmt: skip
    assert (result.exit_code, result.output) == (1, (
        f"error: 2 webhook endpoints have the URL {URL} ({', '.join(sorted(made))}): delete all but one"
        " (Dashboard > Developers > Webhooks), then register again\n"))  # fmt: skip
