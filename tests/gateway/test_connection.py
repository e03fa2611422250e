"""Connection options: a key, a key with a base, or an embedded sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.connection import open_gateway
from reconciler.errors import ReconcilerError
from reconciler.gateway import write
from reconciler.gateway.read import read_live
from reconciler.ownership import OWNER_KEY


def test_no_key_and_no_sandbox_is_an_error() -> None:
    with pytest.raises(ReconcilerError) as caught:
        with open_gateway(api_key=None, api_base=None, sandbox=None):
            pass
    assert str(caught.value) == "no Stripe credentials: pass --api-key, set STRIPE_API_KEY, or use --sandbox"
    with pytest.raises(ReconcilerError):
        with open_gateway(api_key="", api_base="http://127.0.0.1:1", sandbox=None):
            pass


def test_a_value_that_is_not_a_secret_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ReconcilerError) as caught:
        with open_gateway(api_key="pk_test_publishable123", api_base=None, sandbox=None):
            pass
    assert str(caught.value) == "the API key is not a Stripe secret or restricted key (expected sk_… or rk_…)"
    assert "pk_test_publishable123" not in str(caught.value)


@pytest.mark.parametrize("key", ["sk_live_abc", "rk_live_abc"])
def test_a_live_key_needs_the_live_flag_on_apply(key: str) -> None:
    with pytest.raises(ReconcilerError) as caught:
        with open_gateway(api_key=key, api_base=None, sandbox=None, require_live_flag=True):
            pass
    assert str(caught.value) == "refusing to apply with a live key without --live"
    with open_gateway(api_key=key, api_base=None, sandbox=None, require_live_flag=True, live=True) as gateway:
        assert gateway.livemode is True
    with open_gateway(api_key=key, api_base=None, sandbox=None) as gateway:  # plan: read-only
        assert gateway.total_requests == 0


def test_a_key_with_an_api_base_points_the_gateway_there() -> None:
    with open_gateway(api_key="sk_test_abc", api_base="http://127.0.0.1:12111/", sandbox=None) as gateway:
        assert (gateway.api_base, gateway.host, gateway.livemode) == ("http://127.0.0.1:12111", "127.0.0.1:12111", False)


def test_the_embedded_sandbox_persists_between_runs(tmp_path: Path) -> None:
    db = tmp_path / "state" / "sandbox.db"
    with open_gateway(api_key=None, api_base=None, sandbox=str(db)) as gateway:
        write.send(gateway, "create_customer", None, {"metadata": {OWNER_KEY: "jenny"}}, idempotency_key="t-persist")
    assert db.exists()
    with open_gateway(api_key="sk_live_ignored", api_base=None, sandbox=db) as gateway:
        assert list(read_live(gateway).customers) == ["jenny"]


@pytest.mark.parametrize(
    ("api_base", "message"),
    [
        ("localhost:12111", "--api-base 'localhost:12111' is not a valid URL: it must start with http:// or https://"),
        ("http://[::1", "--api-base 'http://[::1' is not a valid URL"),
        ("http://127.0.0.1:99999", "--api-base 'http://127.0.0.1:99999' is not a valid URL"),
        ("http://localhost:port", "--api-base 'http://localhost:port' is not a valid URL"),
        ("https://", "--api-base 'https://' is not a valid URL: it names no host"),
    ],
)
def test_an_api_base_that_is_not_an_http_url_is_one_clear_line(api_base: str, message: str) -> None:
    with pytest.raises(ReconcilerError) as caught:
        with open_gateway(api_key="sk_test_abc", api_base=api_base, sandbox=None):
            pass
    assert str(caught.value) == message


def test_an_ipv6_api_base_is_accepted() -> None:
    with open_gateway(api_key="sk_test_abc", api_base="http://[::1]:12111", sandbox=None) as gateway:
        assert gateway.host == "[::1]:12111"


def test_a_sandbox_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ReconcilerError) as caught:
        with open_gateway(api_key=None, api_base=None, sandbox=db):
            pass
    assert str(caught.value) == f"cannot start the sandbox at {db}: it is not a sandbox database (file is not a database)"
