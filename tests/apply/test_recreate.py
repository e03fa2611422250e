"""Removed, then added back within Stripe's 24 h idempotency window.

A create is keyed on its parameters, so the second create of an identical
object carries the first one's key and Stripe answers with the first
(deleted or archived) object. The applier notices the replay, sees the
object is gone, and creates anew under a derived key.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.apply.idempotency import MAX_KEY_LENGTH, rekey
from reconciler.apply.result import ApplyResult
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.sandbox import RunningSandbox

from .helpers import (
    duplicates,
    gateway_for,
    object_counts,
    overlapping_applies,
    plan_and_apply,
    remaining_actions,
    write_specs,
)

BASE = """
products:
  gold: {name: Gold}
prices:
  gold-usd: {product: gold, unit_amount: UNIT, currency: usd}
customers:
  c: {name: C, email: c@example.com}
  d: {name: D, email: d@example.com}
invoices:
  i1:
    customer: CUSTOMER
    collection_method: send_invoice
    days_until_due: 30
    status: draft
    items:
      - {price: gold-usd}
ITEMS"""
EXTRA = "      - {key: extra, description: Extra, amount: 300, currency: usd}\n"


def _specs(tmp_path: Path, *, unit: int = 1000, customer: str = "c", extra: bool = True) -> Path:
    text = BASE.replace("UNIT", str(unit)).replace("CUSTOMER", customer).replace("ITEMS", EXTRA if extra else "")
    return write_specs(tmp_path, text)


def _apply(gateway: StripeGateway, specs: Path, *, prune: bool = False) -> ApplyResult:
    _, result = plan_and_apply(gateway, specs, prune=prune)
    assert result.ok, result.lines()
    assert remaining_actions(gateway, specs, prune=prune) == []
    return result


def _notes(result: ApplyResult) -> dict[str, str]:
    return {o.description: o.message for o in result.done if o.message}


def test_an_item_removed_then_added_back_is_created_again(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    _apply(gateway, _specs(tmp_path))
    first = {i.key: i.id for i in read_live(gateway).invoices["i1"].items}["extra"]
    _apply(gateway, _specs(tmp_path, extra=False))
    result = _apply(gateway, _specs(tmp_path))
    items = {i.key: i.id for i in read_live(gateway).invoices["i1"].items}
    assert set(items) == {"gold-usd", "extra"} and items["extra"] != first
    assert _notes(result) == {
        "add item i1/extra": f"created anew under a derived idempotency key: the original replayed {first} (deleted)"
    }
    # A second round trip walks the chain: both earlier items are dead.
    second = items["extra"]
    _apply(gateway, _specs(tmp_path, extra=False))
    result = _apply(gateway, _specs(tmp_path))
    assert _notes(result)["add item i1/extra"] == (
        f"created anew under a derived idempotency key: the original replayed {first} (deleted), {second} (deleted)"
    )
    assert duplicates(gateway) == []
    assert object_counts(gateway)["/v1/invoiceitems"] == 2


def test_a_price_changed_and_changed_back_is_a_new_active_price(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    _apply(gateway, _specs(tmp_path, unit=1000, extra=False))
    first = read_live(gateway).prices["gold-usd"].id
    _apply(gateway, _specs(tmp_path, unit=2000, extra=False))
    result = _apply(gateway, _specs(tmp_path, unit=1000, extra=False))
    price = read_live(gateway).prices["gold-usd"]
    assert (price.unit_amount, price.active) == (1000, True) and price.id != first
    assert _notes(result)["create price gold-usd"] == (
        f"created anew under a derived idempotency key: the original replayed {first} (archived)"
    )
    assert object_counts(gateway)["/v1/prices"] == 3


def test_a_draft_invoice_deleted_and_created_again(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    _apply(gateway, _specs(tmp_path, customer="c"))
    first = read_live(gateway).invoices["i1"].id
    _apply(gateway, _specs(tmp_path, customer="d"))  # a draft's customer is fixed: delete and create
    result = _apply(gateway, _specs(tmp_path, customer="c"))
    invoice = read_live(gateway).invoices["i1"]
    assert invoice.id != first and sorted(i.key for i in invoice.items) == ["extra", "gold-usd"]
    assert _notes(result)["create invoice i1"] == (
        f"created anew under a derived idempotency key: the original replayed {first} (deleted)"
    )
    assert duplicates(gateway) == []


def test_a_pruned_customer_added_back_is_created_again(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    only_c = "customers:\n  c: {name: C, email: c@example.com}\n"
    specs = write_specs(tmp_path, only_c)
    _apply(gateway, specs)
    first = read_live(gateway).customers["c"].id
    _apply(gateway, write_specs(tmp_path, "customers: {}\n"), prune=True)
    assert read_live(gateway).customers == {}
    result = _apply(gateway, write_specs(tmp_path, only_c), prune=True)
    assert read_live(gateway).customers["c"].id != first
    assert _notes(result)["create customer c"] == (
        f"created anew under a derived idempotency key: the original replayed {first} (deleted)"
    )


def test_two_applies_re_adding_together_derive_the_same_key(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    _apply(gateway, _specs(tmp_path))
    _apply(gateway, _specs(tmp_path, extra=False))
    specs = _specs(tmp_path)
    results = overlapping_applies(sandbox, specs, path_prefix="/v1/invoiceitems")
    assert [r.ok for r in results] == [True, True], [r.lines() for r in results]
    assert remaining_actions(gateway, specs) == []
    assert duplicates(gateway) == []
    assert object_counts(gateway)["/v1/invoiceitems"] == 2


def test_derived_keys_are_deterministic_distinct_and_short_enough() -> None:
    key = "reconciler-AddInvoiceItem-i1-extra-create-0123456789abcdef"
    assert rekey(key, "ii_1") == rekey(key, "ii_1")
    assert rekey(key, "ii_1") != rekey(key, "ii_2")
    assert rekey(key, "ii_1").startswith(key + "-after-")
    chain = key
    seen = set()
    for n in range(40):
        chain = rekey(chain, f"ii_{n}")
        assert len(chain) <= MAX_KEY_LENGTH and chain not in seen
        seen.add(chain)
    long_key = "k" * MAX_KEY_LENGTH
    assert len(rekey(long_key, "ii_1")) == MAX_KEY_LENGTH and rekey(long_key, "ii_1") != rekey(long_key, "ii_2")
