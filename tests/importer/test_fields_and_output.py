"""Spec entries from live records, and the tree written whole or not at all (plain data, files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.importer import output
from reconciler.importer.fields import Unrepresentable, customer_entry, invoice_status, item_entry, spec_metadata
from reconciler.importer.output import TargetHoldsSpecs, TargetNotAFolder, render_files, write_tree
from reconciler.live.records import LiveCustomer, LiveInvoice, LiveItem
from reconciler.ownership import SEND_DONE
from reconciler.spec.loader import load_specs

OPEN = LiveInvoice("in_1", "", "cus_1", "open", "send_invoice", 30, "usd", finalized_at=1_000)


@pytest.mark.parametrize(
    ("invoice", "since", "status"),
    [
        (OPEN, 0, "open"),  # finalized inside the events window, no event: provably unsent
        (LiveInvoice(**{**OPEN.__dict__, "sent_event": True}), 0, "sent"),  # a colleague sent it
        (LiveInvoice(**{**OPEN.__dict__, "send_marker": SEND_DONE}), 5_000, "sent"),  # the tool's marker
        (OPEN, 5_000, "open"),  # finalized before the window: nobody can tell, so not "sent"
        (LiveInvoice(**{**OPEN.__dict__, "collection_method": "charge_automatically", "sent_event": True}), 0, "open"),
        (LiveInvoice(**{**OPEN.__dict__, "status": "uncollectible"}), 0, "uncollectible"),
    ],
)
def test_sent_exactly_when_the_tool_can_tell(invoice: LiveInvoice, since: int, status: str) -> None:
    assert invoice_status(invoice, since) == status


def test_metadata_an_adoption_would_claim_and_what_a_spec_cannot_name() -> None:
    assert spec_metadata({"crm": "1", "a,b": "x"}, None, managed=False) == ({"crm": "1"}, "metadata 'a,b' (not a spec key)")
    assert spec_metadata({"crm": "1", "mine": "2"}, frozenset({"mine"}), managed=True) == ({"mine": "2"}, "")
    many = {f"k{n}": "v" for n in range(48)}
    assert spec_metadata(many, None, managed=False) == ({}, "metadata (48 keys: more than a spec may name, 46)")


def test_values_a_spec_refuses_make_the_object_unrepresentable() -> None:
    with pytest.raises(Unrepresentable, match="not an address a spec accepts"):
        customer_entry(LiveCustomer("cus_1", "", "Jenny", "jenny@localhost"), {})
    with pytest.raises(Unrepresentable, match="has amount -100000000"):
        item_entry(LiveItem("ii_1", "", None, 1, -100_000_000, "usd", "Credit"), None, None, {})
    # A credit line within Stripe's 8 digits is a spec's negative amount (issue 19).
    assert item_entry(LiveItem("ii_3", "", None, 1, -500, "usd", "Credit"), None, None, {})["amount"] == -500
    price_item = LiveItem("ii_2", "", "price_1", 2, 2000, "usd", "Gold")
    assert item_entry(price_item, "gold-usd", "Gold", {}) == {"price": "gold-usd", "quantity": 2}
    assert item_entry(price_item, "gold-usd", "Gold Plus", {}) == {"price": "gold-usd", "quantity": 2, "description": "Gold"}


def test_large_kinds_continue_in_further_files_that_validate(tmp_path: Path) -> None:
    customers = {f"c{n}": {"name": f"C {n}"} for n in range(5)}
    files = render_files({"product": {}, "price": {}, "customer": customers, "invoice": {}}, {}, per_file=2)
    assert sorted(files) == ["customers+2.yaml", "customers+3.yaml", "customers.yaml"]
    write_tree(tmp_path / "specs", files, force=False)
    assert sorted(load_specs([tmp_path / "specs"]).customers) == sorted(customers)


def test_a_target_that_is_a_file_or_holds_specs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(TargetNotAFolder):
        write_tree(tmp_path / "file", {"customers.yaml": "customers: {}\n"}, force=True)
    (tmp_path / "specs" / ".git").mkdir(parents=True)
    (tmp_path / "specs" / ".git" / "x.yaml").write_text("not a spec")  # hidden folders are not spec trees
    write_tree(tmp_path / "specs", {"customers.yaml": "customers:\n  a:\n    name: A\n"}, force=False)
    with pytest.raises(TargetHoldsSpecs):
        write_tree(tmp_path / "specs", {"customers.yaml": "customers: {}\n"}, force=False)


def test_an_invalid_tree_is_never_moved_into_place(tmp_path: Path) -> None:
    with pytest.raises(output.ImportedSpecsInvalid) as err:
        write_tree(tmp_path / "specs", {"invoices/a.yaml": "invoices:\n  x:\n    customer: nobody\n    items: []\n"}, force=False)
    assert err.value.lines()[0].startswith("the imported specs do not validate")
    assert list(tmp_path.iterdir()) == []
