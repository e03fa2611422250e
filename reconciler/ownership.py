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

API_VERSION = "2026-10-28.endive"


def is_reserved(metadata_key: str) -> bool:
    return metadata_key.startswith(RESERVED_PREFIX)


def user_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    """The part of a live object's metadata the specs own (reserved keys removed)."""
    return {k: v for k, v in (metadata or {}).items() if not is_reserved(k)}
