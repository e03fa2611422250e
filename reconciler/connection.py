"""Where the tool's Stripe calls go: an API key (optionally with an api base),
or an in-process sandbox persisted in SQLite. Never a silent fallback."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import ReconcilerError
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.retry import DEFAULT_TIMEOUT, RetryPolicy

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


class KeyWithWhitespace(ConnectionError_):
    def __init__(self) -> None:
        super().__init__(
            "the API key contains a line break, space or other control character "
            "(copied with a trailing newline?): remove it"
        )


class BadApiBase(ConnectionError_):
    def __init__(self, api_base: str, detail: str = "") -> None:
        super().__init__(f"--api-base {_shown_url(api_base)!r} is not a valid URL{': ' + detail if detail else ''}")


class EmptySetting(ConnectionError_):
    """A variable that is set but empty: what `${{ secrets.X }}` gives when the secret is missing."""

    def __init__(self, name: str, instead: str) -> None:
        super().__init__(f"{name} is set but empty (a missing CI secret?): {instead}")


class LiveKeyRefused(ConnectionError_):
    def __init__(self) -> None:
        super().__init__("refusing to apply with a live key without --live")


class SandboxUnavailable(ConnectionError_):
    def __init__(self, db_path: Path, detail: str) -> None:
        super().__init__(f"cannot start the sandbox at {db_path}: {detail}")


def is_live_key(api_key: str) -> bool:
    return api_key.startswith(_LIVE_PREFIXES)


def refuse_empty_settings(*, api_key: str | None, api_base: str | None, environ: Mapping[str, str]) -> None:
    """An empty STRIPE_API_BASE must not quietly mean api.stripe.com (nor an empty key "no key").

    Click reads an empty variable as unset, so the environment is looked at here.
    """
    if api_base is None and environ.get("STRIPE_API_BASE") == "":
        raise EmptySetting("STRIPE_API_BASE", "unset it to reach https://api.stripe.com, or give a URL")
    if api_key is None and environ.get("STRIPE_API_KEY") == "":
        raise EmptySetting("STRIPE_API_KEY", "set it to a secret key (sk_…) or restricted key (rk_…), or use --sandbox")


def check_api_key(api_key: str, *, require_live_flag: bool = False, live: bool = False) -> None:
    """Raise unless `api_key` looks like a usable key (and, on apply, unless a live key has --live)."""
    if any(ch.isspace() or not ch.isprintable() for ch in api_key):
        # Sent as is, it would fail as an invalid header: "no answer", not the cause.
        raise KeyWithWhitespace()
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
    timeout: float = DEFAULT_TIMEOUT,
    retry: RetryPolicy | None = None,
) -> Iterator[StripeGateway]:
    """A gateway on the chosen account; an embedded sandbox lives as long as the block.

    The CLI resolves the env vars (STRIPE_API_KEY, STRIPE_API_BASE) into
    `api_key`/`api_base`; `sandbox` is the SQLite file of an in-process sandbox.
    `timeout` bounds each call, retries included; `retry` is the policy of reads.
    """
    if sandbox is not None:
        # --sandbox is explicit and wins over a key or base inherited from the environment.
        with _sandbox_gateway(Path(sandbox), timeout=timeout, retry=retry) as gateway:
            yield gateway
        return
    if not api_key:
        raise NoCredentials()
    check_api_key(api_key, require_live_flag=require_live_flag, live=live)
    if api_base is not None:
        check_api_base(api_base)
    yield StripeGateway(api_key, api_base=api_base or None, timeout=timeout, retry=retry)


def check_api_base(api_base: str) -> None:
    """Raise BadApiBase unless `api_base` is an http(s) URL with a host (and a valid port)
    and no credentials (the key goes in --api-key, never in a URL that logs may show)."""
    if not api_base.strip():
        raise BadApiBase(api_base, "it is empty; leave --api-base out to reach https://api.stripe.com")
    if not api_base.startswith(("http://", "https://")):
        raise BadApiBase(api_base, "it must start with http:// or https://")
    try:
        parts = urlsplit(api_base)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise BadApiBase(api_base) from None
    if not parts.hostname:
        raise BadApiBase(api_base, "it names no host")
    if "@" in parts.netloc:
        raise BadApiBase(api_base, "it carries credentials (user:password@); pass the key with --api-key instead")
    if "?" in api_base or "#" in api_base:
        # The SDK would drop it silently; it may hold a secret, so it is not shown either.
        raise BadApiBase(api_base, "it carries a query or fragment (?… or #…); give only scheme, host, port and path")


def _shown_url(url: str) -> str:
    """`url` with any user:password@ part masked: it may hold a secret."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    rest, query_mark = _before_query(rest)
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return f"{scheme}{sep}{netloc}{slash}{path}{query_mark}"


def _before_query(text: str) -> tuple[str, str]:
    """`text` up to its query or fragment, and "?…" when it had one (shown masked)."""
    cut = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=-1)
    return (text, "") if cut < 0 else (text[:cut], "?…")


@contextmanager
def _sandbox_gateway(db_path: Path, *, timeout: float, retry: RetryPolicy | None) -> Iterator[StripeGateway]:
    # Imported here: the sandbox (an HTTP server and its models) is only loaded
    # when asked for.
    from reconciler.sandbox import SANDBOX_API_KEY, FaultConfig, start_sandbox
    from reconciler.sandbox.dbfile import SandboxFileError
    from reconciler.sandbox.faults import TEST_MODE_RATE_LIMIT

    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SandboxUnavailable(db_path, exc.strerror or str(exc)) from None
    try:
        # Test mode's rate limit, as the account a `--sandbox` run stands for has it.
        running = start_sandbox(str(db_path), holder=f"a `--sandbox` run (pid {os.getpid()})",
                                faults=FaultConfig(rate_limit_rps=TEST_MODE_RATE_LIMIT))
    except SandboxFileError as exc:
        raise SandboxUnavailable(db_path, exc.detail) from None
    except (OSError, sqlite3.Error) as exc:
        # e.g. an unwritable folder, or a file that is not a sandbox database
        raise SandboxUnavailable(db_path, getattr(exc, "strerror", None) or str(exc)) from None
    log.info("sandbox at %s persisted in %s", running.url, db_path)
    with running:
        yield StripeGateway(SANDBOX_API_KEY, api_base=running.url, timeout=timeout, retry=retry)
