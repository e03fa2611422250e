"""Import follows revision chains: the key's invoice is its newest revision, whatever the ids'
order when the original and the revision were made within the same second."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.importer.build import Builder
from reconciler.importer.keys import derive_keys
from reconciler.live.inventory import REVISED, Found, Inventory
from reconciler.live.records import LiveInvoice


def _invoice(stripe_id: str, **over: object) -> LiveInvoice:
    base = LiveInvoice(id=stripe_id, key="acme-11", customer_id="cus_1", status="open",
                       collection_method="send_invoice", days_until_due=30, currency="usd")
    return replace(base, **over)


@pytest.mark.parametrize(("original_id", "revision_id"), [("in_a", "in_b"), ("in_b", "in_a")])
def test_the_revision_stands_for_the_key_whatever_the_id_order(original_id: str, revision_id: str) -> None:
    original = Found(_invoice(original_id, status="void", latest_revision=revision_id), 100,
                     unsupported=f"{REVISED} its revision {revision_id} replaces it")
    revision = Found(_invoice(revision_id, from_invoice=original_id), 100)
    inventory = Inventory(invoices=(original, revision))
    assert Builder(inventory, derive_keys(inventory)).current["invoice"] == {"acme-11": revision_id}
