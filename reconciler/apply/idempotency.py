"""Deterministic idempotency keys: the same write always carries the same key.

Stripe (and the sandbox) replay the first response for a repeated key, so a
retry, a re-run after a crash, or a second apply started at the same moment
never creates a second object, never repeats a lifecycle step and never sends
an invoice twice. The digest covers the resolved parameters (and the target
object's id), so a different write never reuses a key, which Stripe would
refuse with `idempotency_error`. Plain field updates are also salted with the
plan's fingerprint (see SALTED_STEPS).

Creates are keyed on their parameters alone, so that two applies started a
moment apart share them. Within the 24 h window that would replay an object
deleted since (remove an item, then add it back): the executor checks each
replayed create and moves to a derived key (`rekey`) when its object is gone.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from reconciler.plan.actions import Action, Ref

MAX_KEY_LENGTH = 255  # Stripe's limit
_UNSAFE = re.compile(r"[^A-Za-z0-9._#:-]")


def canonical(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace; Refs (dry run only) as 'kind:key'."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, Ref):
        return f"<ref {value}>"
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"not serialisable in params: {type(value).__name__}")


# Steps that set fields to values. Repeating one is harmless, but a replay is
# not: within Stripe's 24 h window the same key would return the first answer
# without writing, so a field edited back outside the tool (drift) would stay
# wrong. Their keys are salted with the plan's live-state fingerprint: stable
# across retries of one apply, new once live state has changed.
SALTED_STEPS = frozenset({"update", "archive", "mark-requested", "mark-done", "adopt", "adopt-item"})


def params_digest(params: dict[str, Any], target: str | None = None, salt: str = "") -> str:
    """First 16 hex digits of sha256 over the canonical params (and target id, salt)."""
    payload: Any = params
    if target is not None or salt:
        payload = {"params": params, "target": target}
        if salt:
            payload["salt"] = salt
    return hashlib.sha256(canonical(payload).encode()).hexdigest()[:16]


def key_prefix(action: Action, step: str) -> str:
    """'reconciler-{action name}-{spec key}[-{item key}]-{step}'."""
    parts = ["reconciler", action.name, action.key]
    item_key = action.item
    if item_key:
        parts.append(item_key)
    parts.append(step)
    return "-".join(_UNSAFE.sub("_", p) for p in parts)


def idempotency_key(
    action: Action, step: str, params: dict[str, Any], target: str | None = None, *, fingerprint: str = ""
) -> str:
    """The key of one write of `action`; at most 255 characters. `fingerprint`
    (the plan's) salts only the SALTED_STEPS."""
    digest = params_digest(params, target, fingerprint if step in SALTED_STEPS else "")
    key = f"{key_prefix(action, step)}-{digest}"
    if len(key) <= MAX_KEY_LENGTH:
        return key
    # Only reachable with very long item keys: keep it deterministic by
    # hashing the identity part instead of truncating it (truncation could
    # make two items share a prefix).
    ident = hashlib.sha256(key_prefix(action, step).encode()).hexdigest()[:32]
    return f"reconciler-{action.name}-{ident}-{_UNSAFE.sub('_', step)}-{digest}"


def rekey(key: str, replayed_id: str) -> str:
    """The key to create anew with when `key` replayed an object since deleted.

    Derived only from the key and the dead object's id, so two applies that
    meet the same dead replay derive the same key and still create once; a
    later deletion of the new object extends the chain by one more link.
    """
    suffix = f"-after-{hashlib.sha256(replayed_id.encode()).hexdigest()[:12]}"
    if len(key) + len(suffix) <= MAX_KEY_LENGTH:
        return key + suffix
    # A long chain: fold the old key into a hash, keeping its readable start.
    folded = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY_LENGTH - len(suffix) - len(folded) - 1]}-{folded}{suffix}"
