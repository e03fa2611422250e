"""Webhook signing secrets: from --secret-file or STRIPE_WEBHOOK_SECRET, several at once.

Several secrets (one per line, or comma-separated) let a secret be rolled:
Stripe signs with the old and the new one for a while, and the receiver
accepts either. A secret file is re-read when it changes (checked at most
once a second), so adding or removing a secret needs no restart.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from reconciler.receiver.errors import BadWebhookSecret, NoWebhookSecret

log = logging.getLogger(__name__)

ENV_VAR = "STRIPE_WEBHOOK_SECRET"
_SECRET = re.compile(r"^whsec_[A-Za-z0-9_+/=-]{8,}$")
_RECHECK_SECONDS = 1.0


def parse_secrets(text: str, where: str) -> tuple[bytes, ...]:
    """Every secret in `text` (lines or commas; `#` starts a comment line), checked."""
    found: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("#"):
            continue
        for part in line.split(","):
            value = part.strip()
            if not value:
                continue
            if not _SECRET.match(value):
                # Never quote the value: it may be a real secret in the wrong place.
                raise BadWebhookSecret(f"{where}:{number}" if where != ENV_VAR else where,
                                       "not a Stripe webhook signing secret (expected whsec_…)")
            found.append(value.encode())
    if not found:
        raise BadWebhookSecret(where, "holds no webhook signing secret")
    return tuple(dict.fromkeys(found))


class SecretSource:
    """The current secrets; `current()` is cheap enough to call per request."""

    def __init__(self, *, file: str | None, env_value: str | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._file = Path(file) if file else None
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._stamp: tuple[int, int] | None = None
        if self._file is not None:
            self._secrets = self._read_file()
        elif env_value:
            self._secrets = parse_secrets(env_value, ENV_VAR)
        else:
            raise NoWebhookSecret()

    @property
    def count(self) -> int:
        return len(self._secrets)

    def _read_file(self) -> tuple[bytes, ...]:
        assert self._file is not None
        try:
            stat = self._file.stat()
            text = self._file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadWebhookSecret(str(self._file), f"cannot read secret file: {getattr(exc, 'strerror', None) or exc}") from None
        self._stamp = (stat.st_mtime_ns, stat.st_size)
        return parse_secrets(text, str(self._file))

    def current(self) -> tuple[bytes, ...]:
        if self._file is None:
            return self._secrets
        now = self._clock()
        if now - self._checked_at < _RECHECK_SECONDS:
            return self._secrets
        with self._lock:
            self._checked_at = now
            try:
                stat = self._file.stat()
                if (stat.st_mtime_ns, stat.st_size) != self._stamp:
                    self._secrets = self._read_file()
                    log.warning("secret file %s changed: %s secret(s) now accepted", self._file, len(self._secrets))
            except BadWebhookSecret as exc:
                # Keep serving with the secrets we had: a half-written file must not lock Stripe out.
                log.error("%s; keeping the previous %s secret(s)", exc, len(self._secrets))
            except OSError as exc:
                log.error("cannot stat secret file %s (%s); keeping the previous secrets", self._file, exc.strerror)
        return self._secrets


def env_secret() -> str | None:
    return os.environ.get(ENV_VAR) or None
