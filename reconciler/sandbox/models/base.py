"""What every resource model shares: the context, ids, metadata, list pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from reconciler.sandbox.exceptions import InvalidRequest, ResourceMissing
from reconciler.sandbox.store import Store, Tx

Params = dict[str, Any]
Obj = dict[str, Any]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Every two-digit base-62 string, low digit first, indexed by its value (0..3843).
_PAIRS = [_ALPHABET[i % 62] + _ALPHABET[i // 62] for i in range(62 * 62)]


@dataclass
class Context:
    """State shared by the models: the store, the clock and the id seed."""

    store: Store
    clock: Callable[[], float]
    seed: int = 0
    # Called with each new event inside its transaction (webhook fan-out); a
    # listener returns how many deliveries it queued.
    event_listeners: list[Callable[[Tx, Obj], int]] = field(default_factory=list)
    # When the next auto-advance timer fires (models/timers.py): None, none is set;
    # 0 (the start), not known yet, so the first request looks.
    timers_due_at: int | None = 0

    def now(self) -> int:
        return int(self.clock())

    def new_id(self, tx: Tx, prefix: str) -> str:
        """A Stripe-looking id, deterministic from the seed and a counter."""
        n = tx.next_counter(f"id:{prefix}")
        digest = hashlib.sha256(f"{self.seed}:{prefix}:{n}".encode()).digest()
        number = int.from_bytes(digest[:16], "big")
        # 24 base-62 digits, least significant first, two at a time.
        pairs = []
        for _ in range(12):
            number, rest = divmod(number, 3844)
            pairs.append(_PAIRS[rest])
        return prefix + "_" + "".join(pairs)


def require(tx: Tx, kind: str, object_id: str, *, label: str | None = None, param: str | None = "id") -> Obj:
    """The live object, or 404 resource_missing (a deleted one counts as missing)."""
    found = tx.get(kind, object_id)
    if found is None or found[1]:
        raise ResourceMissing(label or kind, object_id, param=param)
    return found[0]


# Parameters naming objects the sandbox never has (no sources exist in it; payment
# methods do, checked by payment_methods.owned), with Stripe's name for the kind in "No such ...".
ABSENT_KINDS = {
    "default_source": "source",
}


def refuse_absent_references(params: Params, *, prefix: str = "") -> None:
    """400 resource_missing for an id parameter naming what cannot exist here ("" clears, so passes)."""
    for name, kind in ABSENT_KINDS.items():
        value = params.get(name)
        if value not in (None, ""):
            raise ResourceMissing(kind, str(value), param=f"{prefix}[{name}]" if prefix else name)


def new_metadata(value: Any) -> dict[str, str]:
    """Metadata on create: empty values are simply not set."""
    return apply_metadata({}, value)


def apply_metadata(current: dict[str, str], value: Any) -> dict[str, str]:
    """Stripe's merge: "" for a key unsets it, "" for the whole map unsets all."""
    if value is None:
        return current
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest("Invalid object", param="metadata")
    merged = dict(current)
    for key, raw in value.items():
        text = raw if isinstance(raw, str) else str(raw)
        if text == "":
            merged.pop(key, None)
        else:
            merged[key] = text
    _check_metadata(merged)
    return merged


def _check_metadata(metadata: dict[str, str]) -> None:
    if len(metadata) > 50:
        raise InvalidRequest(
            "Invalid metadata: metadata cannot have more than 50 keys.", param="metadata"
        )
    for key, value in metadata.items():
        if len(key) > 40:
            raise InvalidRequest(
                f"Invalid metadata: keys can be at most 40 characters long ({key!r}).",
                param=f"metadata[{key}]",
            )
        if "[" in key or "]" in key:
            raise InvalidRequest(
                f"Invalid metadata: keys cannot contain '[' or ']' ({key!r}).",
                param=f"metadata[{key}]",
            )
        if len(value) > 500:
            raise InvalidRequest(
                "Invalid metadata: values can be at most 500 characters long.",
                param=f"metadata[{key}]",
            )


def list_page(
    tx: Tx,
    kind: str,
    url: str,
    params: Params,
    *,
    filters: dict[str, Any] | None = None,
    newest_first: bool = True,
    render: Callable[[Obj], Obj] | None = None,
) -> Obj:
    """A Stripe list object for one page, honouring limit and both cursors."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequest(
            "Invalid limit: must be between 1 and 100", param="limit"
        )
    after = params.get("starting_after")
    before = params.get("ending_before")
    if after is not None and before is not None:
        raise InvalidRequest(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="starting_after",
        )
    after_seq = _cursor(tx, kind, after, "starting_after")
    before_seq = _cursor(tx, kind, before, "ending_before")
    created = params.get("created")
    if isinstance(created, int):
        created = {"gte": created, "lte": created}
    objects, has_more = tx.page(
        kind,
        filters=filters or {},
        limit=limit,
        after_seq=after_seq,
        before_seq=before_seq,
        newest_first=newest_first,
        created=created,
    )
    if render is not None:
        objects = [render(o) for o in objects]
    return {"object": "list", "data": objects, "has_more": has_more, "url": url}


def _cursor(tx: Tx, kind: str, object_id: str | None, param: str) -> int | None:
    if object_id is None:
        return None
    seq = tx.seq_of(kind, object_id)
    if seq is None:
        raise ResourceMissing(kind, object_id, param=param)
    return seq


def public(obj: Obj) -> Obj:
    """The object without the sandbox's private bookkeeping keys (`_…`)."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def decimal_text(value: Decimal) -> str:
    """A decimal as Stripe writes one: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
