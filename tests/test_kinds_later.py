"""A kind registered after the first plan files (`KindInfo.later`) changes nothing for specs and
accounts that hold none of it: the live fingerprint (which salts idempotency keys), the specs digest,
the managed counts, the load summary and the import report stay what they were without it.

Product is made one here and, for the comparison, unregistered (tax rates and coupons are later kinds
too; their own tests show their specs and accounts)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from reconciler import kinds
from reconciler.importer.report import ImportReport
from reconciler.live.records import Live, LiveProduct
from reconciler.plan.fingerprint import live_fingerprint
from reconciler.plan.review import managed_counts, specs_digest
from reconciler.spec.loader import summary_line
from tests.plan.plan_builders import desired, product

REGISTERED = list(kinds.KINDS)  # as this module was imported: dependency order


@pytest.fixture
def product_later() -> Iterator[None]:
    """Product as a later kind; the registry is put back whole afterwards (its order is dependency order)."""
    saved = dict(kinds.KINDS), dict(kinds.BY_SECTION)
    info = dataclasses.replace(kinds.KINDS["product"], later=True)
    kinds.KINDS["product"], kinds.BY_SECTION["products"] = info, info
    yield
    for table, before in zip((kinds.KINDS, kinds.BY_SECTION), saved, strict=True):
        table.clear()
        table.update(before)


def _unregistered() -> None:
    del kinds.KINDS["product"], kinds.BY_SECTION["products"]


def test_an_empty_later_kind_leaves_the_live_fingerprint_as_without_it(product_later: None) -> None:
    with_it = live_fingerprint(Live())
    some = live_fingerprint(Live(products={"gold": LiveProduct("prod_1", "gold", "Gold")}))
    _unregistered()
    assert live_fingerprint(Live()) == with_it != some


def test_an_empty_later_kind_leaves_the_specs_digest_and_counts_as_without_it(product_later: None) -> None:
    none = desired(products={}, prices={}, invoices={})
    some = desired(products={"gold": product()}, prices={}, invoices={})
    with_it, counts = specs_digest(none), managed_counts(Live())
    assert "product" not in counts and managed_counts(Live(products={"g": LiveProduct("prod_1", "g")}))["product"] == 1
    assert specs_digest(some) != with_it
    _unregistered()
    assert specs_digest(none) == with_it


def test_the_summaries_name_a_later_kind_only_once_there_is_some(product_later: None) -> None:
    assert "product" not in summary_line(desired(products={}, prices={}, invoices={}))
    assert "1 product" in summary_line(desired(products={"gold": product()}, prices={}, invoices={}))
    report = ImportReport(out="x", files=(), written={}, adopted=0, managed=0, pulled={}, pulled_names=(),
                          unexpressed=(), skipped=(), read={"price": 2})
    assert report.lines()[0].startswith("Read 2 prices, 0 customers, 0 invoices from Stripe")


def test_the_registry_is_back_in_dependency_order() -> None:
    # Runs after the tests above: their fixture must not leave product at the end.
    assert list(kinds.KINDS) == REGISTERED and list(kinds.BY_SECTION) == [kinds.KINDS[k].section for k in REGISTERED]
