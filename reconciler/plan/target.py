"""--target KIND/KEY: plan only some objects and what they depend on.

A filter on the inputs, so the planner itself knows nothing of targets: the
specs and the live state are narrowed to the targets and their dependency
closure (an invoice needs its customer and its items' prices, a price its
product), then planned as usual. Live objects are narrowed to the same keys,
so `--prune` can only remove a targeted object.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reconciler.errors import ReconcilerError
from reconciler.live.records import Live
from reconciler.spec.models import Desired

TargetKind = str  # product | price | customer | invoice
TARGET_KINDS = ("product", "price", "customer", "invoice")


class BadTarget(ReconcilerError):
    kind = "usage"

    def __init__(self, text: str, why: str) -> None:
        super().__init__(f"--target {text!r}: {why}")


@dataclass(frozen=True, order=True)
class Target:
    kind: TargetKind
    key: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.key}"

    @classmethod
    def parse(cls, text: str) -> Target:
        kind, sep, key = text.partition("/")
        if not sep or not key:
            raise BadTarget(text, "expected KIND/KEY, e.g. invoice/acme-2026-11")
        if kind not in TARGET_KINDS:
            raise BadTarget(text, f"unknown kind {kind!r} (one of {', '.join(TARGET_KINDS)})")
        return cls(kind, key)


def _tables(data: Desired | Live) -> dict[str, dict[str, object]]:
    return {"product": data.products, "price": data.prices, "customer": data.customers, "invoice": data.invoices}


def closure(desired: Desired, targets: tuple[Target, ...]) -> dict[str, set[str]]:
    """Keys per kind: the targets and everything they depend on in the specs."""
    keys: dict[str, set[str]] = {kind: set() for kind in TARGET_KINDS}
    for target in targets:
        keys[target.kind].add(target.key)
    for key in list(keys["invoice"]):
        invoice = desired.invoices.get(key)
        if invoice is not None:
            keys["customer"].add(invoice.customer)
            keys["price"].update(item.price for item in invoice.items if item.price)
    for key in list(keys["price"]):
        price = desired.prices.get(key)
        if price is not None:
            keys["product"].add(price.product)
    return keys


def narrow(desired: Desired, live: Live, targets: tuple[Target, ...]) -> tuple[Desired, Live]:
    """`desired` and `live` reduced to the targets' closure; BadTarget for a key found in neither."""
    if not targets:
        return desired, live
    for target in targets:
        if target.key not in _tables(desired)[target.kind] and target.key not in _tables(live)[target.kind]:
            raise BadTarget(str(target), f"no {target.kind} {target.key!r} in the specs or in Stripe")
    keys = closure(desired, targets)

    def only(table: dict[str, object], kind: str) -> dict[str, object]:
        return {k: v for k, v in table.items() if k in keys[kind]}

    kept_desired = desired.model_copy(update={f"{kind}s": only(_tables(desired)[kind], kind) for kind in TARGET_KINDS})
    kept_live = replace(
        live,
        **{f"{kind}s": only(_tables(live)[kind], kind) for kind in TARGET_KINDS},  # type: ignore[arg-type]
        duplicates={k: v for k, v in live.duplicates.items() if k.partition("/")[2] in keys.get(k.partition("/")[0], set())},
        archived_prices={k: v for k, v in live.archived_prices.items() if k in keys["price"]},
        extra_active_prices={k: v for k, v in live.extra_active_prices.items() if k in keys["price"]},
    )
    return kept_desired, kept_live
