"""Hangs: a server that accepts and never answers, or drips its answer a byte
at a time, fails the call within its --timeout (real loopback sockets)."""

from __future__ import annotations

import re

import pytest
from cli_runner import invoke
from loopback_servers import dripping_server, silent_server

from reconciler import cli
from reconciler.gateway import client
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import RetriesExhausted
from reconciler.gateway.retry import RetryPolicy
from reconciler.runtime import Runtime
from reconciler.sandbox import SANDBOX_API_KEY

NO_WAIT = RetryPolicy(base=0.0, sleep=lambda seconds: None)


def _fails_within(url: str, **options: float) -> str:
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=url, retry=NO_WAIT, **options)
    with pytest.raises(RetriesExhausted) as caught:
        gateway.request("GET", "/v1/products")
    return str(caught.value)


def test_a_server_that_never_answers_fails_the_call_at_its_timeout() -> None:
    with silent_server() as url:
        message = _fails_within(url, timeout=0.3)
    host = url.removeprefix("http://")
    assert message == (
        f"network failure talking to {host}: no complete answer within 0.3 s "
        "(gave up after 1 attempt in the 0.3 s of --timeout)"
    )


def test_a_server_dripping_a_byte_at_a_time_cannot_stretch_an_attempt() -> None:
    # Every byte arrives well within any socket timeout; only the wall-clock limit ends it.
    with dripping_server(interval=0.02) as url:
        message = _fails_within(url, timeout=0.4)
    assert message.endswith("no complete answer within 0.4 s (gave up after 1 attempt in the 0.4 s of --timeout)")


def test_each_attempt_is_cut_and_retried_until_the_deadline() -> None:
    with silent_server() as url:
        message = _fails_within(url, timeout=0.6, attempt_timeout=0.15)
    found = re.search(r"gave up after (\d+) attempts in the 0.6 s of --timeout\)$", message)
    assert found and int(found.group(1)) >= 3, message


def test_defaults_fail_a_silent_server_within_a_minute() -> None:
    # Attempts of ATTEMPT_TIMEOUT, retried, all inside DEFAULT_TIMEOUT: under 60 s with room for start-up.
    assert client.ATTEMPT_TIMEOUT < client.DEFAULT_TIMEOUT <= 50
    assert cli.DEFAULT_TIMEOUT == client.DEFAULT_TIMEOUT


def test_plan_with_timeout_against_a_silent_server_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "c.yaml").write_text("customers:\n  c: {name: C}\n")
    with silent_server() as url:
        result = invoke(["plan", str(tmp_path), "--api-key", SANDBOX_API_KEY, "--api-base", url, "--timeout", "0.5"],
                        obj=Runtime(retry=NO_WAIT), catch_exceptions=True)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: network failure talking to {url.removeprefix('http://')}: no complete answer within 0.5 s "
        "(gave up after 1 attempt in the 0.5 s of --timeout)"
    ]


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_timeout_must_be_a_finite_positive_number(value: str) -> None:
    result = invoke(["plan", "--sandbox", "--timeout", value], catch_exceptions=True)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Invalid value for '--timeout'")
    assert len(result.stderr.splitlines()) == 1
