"""Ownership: the metadata keys that mark an object as managed by reconciler.

An object is managed if and only if its metadata carries OWNER_KEY. Every other
object in the account is left alone. All metadata keys starting with
RESERVED_PREFIX belong to the tool; specs may not set them.
"""

from __future__ import annotations

RESERVED_PREFIX = "reconciler_"
# metadata[OWNER_KEY] = spec key, on products, prices, customers, invoices.
OWNER_KEY = "reconciler_id"
# metadata[ITEM_KEY] = item key (unique within its invoice), on invoice items.
ITEM_KEY = "reconciler_item"
# metadata[SEND_KEY] on invoices: "requested" before the send call, "done" after.
SEND_KEY = "reconciler_send"
SEND_REQUESTED = "requested"
SEND_DONE = "done"

# metadata[KEYS_KEY] on every object the tool writes metadata to: the user
# metadata keys it set from the specs, comma-separated and sorted. Only these
# (and the keys the specs name now) are the tool's; every other key belongs to
# someone else and is never diffed, unset or overwritten. It is written in the
# same request as the keys themselves, so a crash never leaves them apart.
KEYS_KEY = "reconciler_keys"
KEYS_SEPARATOR = ","

# Reserved keys one object can carry (id or item, keys, send marker): the
# room a spec's own metadata must leave under Stripe's 50 keys.
MAX_RESERVED_KEYS = 3

# Stripe's facts live in reconciler.stripe_facts; these names stay importable
# from here for code written before they moved.
from reconciler.stripe_facts import API_VERSION, EVENTS_WINDOW, TRUSTED_EVENTS_WINDOW  # noqa: E402, F401


def is_reserved(metadata_key: str) -> bool:
    return metadata_key.startswith(RESERVED_PREFIX)


def owned_keys(metadata: dict[str, str] | None) -> frozenset[str] | None:
    """The user keys the tool recorded as its own; None when it recorded none."""
    record = (metadata or {}).get(KEYS_KEY)
    if not record:
        return None
    return frozenset(k for k in record.split(KEYS_SEPARATOR) if k)


def keys_record(keys: frozenset[str] | set[str] | list[str]) -> str:
    """The value of KEYS_KEY for these user keys ("" when there are none: unset)."""
    return KEYS_SEPARATOR.join(sorted(keys))


def user_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    """The part of a live object's metadata the specs own (reserved keys removed)."""
    return {k: v for k, v in (metadata or {}).items() if not is_reserved(k)}


# The planner's note and the send guard's refusal for a `requested` marker Stripe's events can no longer explain.
INTERRUPTED_SEND = (
    "a run of the tool stopped while sending it (its send marker says requested), and Stripe's events "
    "no longer go back far enough to show whether the email went out"
)
CLEAR_REQUESTED = (
    "If the Dashboard shows it was never emailed, delete the invoice's metadata key reconciler_send "
    "and keep `assume_unsent: true`; if it was, write `status: open`"
)
