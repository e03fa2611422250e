"""Where the tool's Stripe calls go: an API key (optionally with an api base),
or an in-process sandbox persisted in SQLite. Never a silent fallback."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import ReconcilerError
from reconciler.gateway.client import StripeGateway

log = logging.getLogger(__name__)

_KEY_PREFIXES = ("sk_", "rk_")
_LIVE_PREFIXES = ("sk_live_", "rk_live_")


class ConnectionError_(ReconcilerError):
    """The connection options are missing, contradictory or unusable."""

    kind = "connection"


class NoCredentials(ConnectionError_):
    def __init__(self) -> None:
        super().__init__("no Stripe credentials: pass --api-key, set STRIPE_API_KEY, or use --sandbox")


class BadApiKey(ConnectionError_):
    def __init__(self) -> None:
        # Never echo the value: it may be a real secret pasted in the wrong place.
        super().__init__(
            "the API key is not a Stripe secret or restricted key (expected sk_… or rk_…)"
        )


class BadApiBase(ConnectionError_):
    def __init__(self, api_base: str, detail: str = "") -> None:
        super().__init__(f"--api-base {api_base!r} is not a valid URL{': ' + detail if detail else ''}")


class LiveKeyRefused(ConnectionError_):
    def __init__(self) -> None:
        super().__init__("refusing to apply with a live key without --live")


class SandboxUnavailable(ConnectionError_):
    def __init__(self, db_path: Path, detail: str) -> None:
        super().__init__(f"cannot start the sandbox at {db_path}: {detail}")


def is_live_key(api_key: str) -> bool:
    return api_key.startswith(_LIVE_PREFIXES)


def check_api_key(api_key: str, *, require_live_flag: bool = False, live: bool = False) -> None:
    """Raise unless `api_key` looks like a usable key (and, on apply, unless a live key has --live)."""
    if not api_key.startswith(_KEY_PREFIXES):
        raise BadApiKey()
    if require_live_flag and is_live_key(api_key) and not live:
        raise LiveKeyRefused()


@contextmanager
def open_gateway(
    *,
    api_key: str | None,
    api_base: str | None,
    sandbox: str | Path | None,
    require_live_flag: bool = False,
    live: bool = False,
) -> Iterator[StripeGateway]:
    """A gateway on the chosen account; an embedded sandbox lives as long as the block.

    The CLI resolves the env vars (STRIPE_API_KEY, STRIPE_API_BASE) into
    `api_key`/`api_base`; `sandbox` is the SQLite file of an in-process sandbox.
    """
    if sandbox is not None:
        # --sandbox is explicit and wins over a key or base inherited from the environment.
        with _sandbox_gateway(Path(sandbox)) as gateway:
            yield gateway
        return
    if not api_key:
        raise NoCredentials()
    check_api_key(api_key, require_live_flag=require_live_flag, live=live)
    if api_base:
        check_api_base(api_base)
    yield StripeGateway(api_key, api_base=api_base or None)


def check_api_base(api_base: str) -> None:
    """Raise BadApiBase unless `api_base` is an http(s) URL with a host (and a valid port)."""
    if not api_base.startswith(("http://", "https://")):
        raise BadApiBase(api_base, "it must start with http:// or https://")
    try:
        parts = urlsplit(api_base)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise BadApiBase(api_base) from None
    if not parts.hostname:
        raise BadApiBase(api_base, "it names no host")


@contextmanager
def _sandbox_gateway(db_path: Path) -> Iterator[StripeGateway]:
    # Imported here: the sandbox (an HTTP server and its models) is only loaded
    # when asked for.
    from reconciler.sandbox import SANDBOX_API_KEY, start_sandbox

    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SandboxUnavailable(db_path, exc.strerror or str(exc)) from None
    try:
        running = start_sandbox(str(db_path))
    except (OSError, sqlite3.Error) as exc:
        # e.g. an unwritable folder, or a file that is not a sandbox database
        raise SandboxUnavailable(db_path, getattr(exc, "strerror", None) or str(exc)) from None
    log.info("sandbox at %s persisted in %s", running.url, db_path)
    with running:
        yield StripeGateway(SANDBOX_API_KEY, api_base=running.url)
