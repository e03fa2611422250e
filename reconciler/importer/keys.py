"""Spec keys for an imported account: readable, valid, and the same on every run.

A managed object keeps its `reconciler_id`. Any other object gets a key from
what identifies it to a person: a simple kind's `key_from` fields (a product's
name; a customer's name, else email, else id), a price's lookup key (else
its product's key and currency), an
invoice its customer's key and the month it was created (`jenny-rosen-2026-11`;
a second one that month: `jenny-rosen-2026-11-25`, its day). Keys are slugged to the spec-key pattern. Objects whose keys would
clash are ordered (prices: active first; then oldest first, then by id): the
first keeps the key, each other one gets a suffix (a price its amount when
that tells it apart, else the end of its own Stripe id), so adding an object
never renames the ones before it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from reconciler.kinds import BY_SECTION, SIMPLE_KINDS, KindInfo
from reconciler.live.inventory import Found, Inventory
from reconciler.spec.models import SPEC_KEY_PATTERN

MAX_KEY = 64
_VALID = re.compile(SPEC_KEY_PATTERN)
_SUFFIX = 6


def slug(text: str, limit: int = MAX_KEY) -> str:
    """`text` in the key alphabet: ASCII, lowercase, other runs of characters as one '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9._-]+", "-", ascii_text.lower())
    out = re.sub(r"-{2,}", "-", out).strip("-._")
    return out[:limit].rstrip("-._")


def is_valid_key(key: str) -> bool:
    return bool(_VALID.match(key))


class Keys(dict[str, dict[str, str]]):
    """Stripe id -> spec key, per spec section (`keys.customers`)."""

    def __getattr__(self, section: str) -> dict[str, str]:
        try:
            return self[section]
        except KeyError:
            raise AttributeError(section) from None


def derive_keys(inventory: Inventory) -> Keys:
    """Keys for every object of the inventory (managed ones: their own)."""
    keys = Keys({section: {} for section in BY_SECTION})
    for info in SIMPLE_KINDS:
        keys[info.section] = _keyed(inventory.sections[info.section], functools.partial(_named, info), info.name)
    keys["prices"] = _keyed(
        inventory.prices,
        lambda f: slug(f.record.lookup_key or "")
        or slug(f"{keys.products.get(f.record.product_id, 'price')}-{f.record.currency}"),
        "price",
        order=lambda f: (not f.record.active,),
        # Prices of one product and currency differ by amount: say it before resorting to the id.
        readable=lambda f: str(f.record.unit_amount),
    )
    keys["invoices"] = _keyed(
        inventory.invoices,
        lambda f: _invoice_base(f, keys.customers),
        "invoice",
        # A customer's invoices of one month differ by day: say it before resorting to the id.
        readable=lambda f: datetime.fromtimestamp(f.created, UTC).strftime("%d"),
    )
    keys.invoices.update(_revision_keys(inventory))
    # A credit note after its invoice's key: `<invoice key>-cn-01` (its number's own ending).
    keys["credit_notes"] = _keyed(
        inventory.credit_notes,
        lambda f: slug(f"{keys.invoices.get(f.record.invoice_id, 'invoice')[:MAX_KEY - 7]}-cn-"
                       f"{(f.record.number or '').rpartition('-')[2] or '01'}"),
        "credit-note",
    )
    return keys


def _named(info: KindInfo, found: Found[Any]) -> str:
    """A simple kind's key: the slug of the first of its `key_from` fields that gives one."""
    slugs = (slug(str(found.record.values[name] or "")) for name in info.key_from)
    return next((text for text in slugs if text), "")


def _revision_keys(inventory: Inventory) -> dict[str, str]:
    """An untagged revision of a managed invoice takes the key it revises (adopted under it)."""
    managed = {f.record.id: f.record.key for f in inventory.invoices if f.managed}
    return {
        f.record.id: managed[f.record.from_invoice]
        for f in inventory.invoices
        if not f.managed and not f.unsupported and f.record.from_invoice in managed
    }


def _invoice_base(found: Found[Any], customers: dict[str, str]) -> str:
    """`<customer key>-<YYYY-MM>` of its creation: what a person calls it ("Jenny's November
    invoice"); Stripe's number (`1E662914-0001`) says nothing, and a draft has none."""
    month = datetime.fromtimestamp(found.created, UTC).strftime("%Y-%m")
    return slug(customers.get(found.record.customer_id, "invoice"), MAX_KEY - 8) + f"-{month}"


def _keyed(
    found: Iterable[Found[Any]],
    base: Callable[[Found[Any]], str],
    fallback: str,
    order: Callable[[Found[Any]], tuple[Any, ...]] = lambda f: (),
    readable: Callable[[Found[Any]], str] | None = None,
) -> dict[str, str]:
    """Stripe id -> key: managed objects their own, the rest derived and de-duplicated.
    Objects that cannot be imported get none (so they never push another's key aside)."""
    out: dict[str, str] = {}
    rest: list[Found[Any]] = []
    for f in found:
        if f.managed:
            out[f.record.id] = f.record.key
        elif not f.unsupported:
            rest.append(f)
    taken = set(out.values())
    groups: dict[str, list[Found[Any]]] = {}
    for f in rest:
        groups.setdefault(base(f) or f"{fallback}-{_tail(f.record.id, _SUFFIX)}", []).append(f)
    for name in sorted(groups):
        members = sorted(groups[name], key=lambda f: (*order(f), f.created, f.record.id))
        shared = Counter(readable(f) for f in members) if readable else Counter()
        for index, f in enumerate(members):
            if index == 0 and name not in taken:
                key = name
            elif readable and shared[readable(f)] == 1 and _fits(f"{name}-{slug(readable(f))}", taken):
                key = f"{name}-{slug(readable(f))}"
            else:
                key = _suffixed(name, f.record.id, taken)
            taken.add(key)
            out[f.record.id] = key
    return out


def _fits(key: str, taken: set[str]) -> bool:
    return len(key) <= MAX_KEY and is_valid_key(key) and key not in taken


def _tail(stripe_id: str, length: int) -> str:
    """The last characters of an id's random part, in the key alphabet."""
    return slug(stripe_id.rpartition("_")[2])[-length:] or "x"


def _suffixed(name: str, stripe_id: str, taken: set[str]) -> str:
    """`name-<end of the id>`, longer (then numbered) until it is free."""
    random_part = slug(stripe_id.rpartition("_")[2]) or "x"
    for length in range(_SUFFIX, len(random_part) + 1):
        suffix = random_part[-length:]
        key = f"{name[: MAX_KEY - len(suffix) - 1].rstrip('-._')}-{suffix}"
        if key not in taken:
            return key
    n = 2
    while True:
        suffix = f"{random_part[-_SUFFIX:]}-{n}"
        key = f"{name[: MAX_KEY - len(suffix) - 1].rstrip('-._')}-{suffix}"
        if key not in taken:
            return key
        n += 1
