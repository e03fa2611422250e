"""Stable names: what a plan file and an idempotency key call each action never follows a class rename."""

from __future__ import annotations

import pytest

from reconciler.apply.idempotency import key_prefix
from reconciler.plan import actions
from reconciler.plan.actions import ALL_ACTIONS, Action, ArchivePrice, CreatePrice, CreateProduct, UpdateInvoiceItem

# Today's names, as written in existing plan files and idempotency keys: changing
# one makes every saved plan unreadable and every key new.
STABLE_NAMES = {
    "CreateProduct", "UpdateProduct", "ArchiveProduct",
    "CreatePrice", "UpdatePrice", "ArchivePrice",
    "CreateCustomer", "UpdateCustomer", "DeleteCustomer",
    "CreateInvoice", "UpdateInvoice", "DeleteInvoice", "CreateRevision",
    "AddInvoiceItem", "UpdateInvoiceItem", "RemoveInvoiceItem",
    "AddTaxId", "RemoveTaxId",  # a customer's tax IDs (issue 18)
    "FinalizeInvoice", "SendInvoice", "RecordSend", "PayInvoice", "ChargeInvoice", "VoidInvoice", "MarkUncollectible",
    "AdoptProduct", "AdoptPrice", "AdoptCustomer", "AdoptInvoice",
    # Generated from the registry (actions._generic_actions), named by kind: issue 19's tax rates and coupons.
    "CreateTaxRate", "UpdateTaxRate", "AdoptTaxRate", "ArchiveTaxRate",
    "CreateCoupon", "UpdateCoupon", "AdoptCoupon", "DeleteCoupon",
    # Issue 20's credit notes (hand-written: not a simple kind).
    "CreateCreditNote", "UpdateCreditNote", "VoidCreditNote", "AdoptCreditNote",
}  # fmt: skip


def _concrete_subclasses(base: type[Action]) -> set[type[Action]]:
    found: set[type[Action]] = set()
    for sub in base.__subclasses__():
        if not sub.__name__.startswith("_"):
            found.add(sub)
        found |= _concrete_subclasses(sub)
    return found


def test_all_actions_lists_every_concrete_subclass_once() -> None:
    assert len(ALL_ACTIONS) == len(set(ALL_ACTIONS))
    assert set(ALL_ACTIONS) == _concrete_subclasses(Action)
    public = {obj for obj in vars(actions).values() if isinstance(obj, type) and issubclass(obj, Action)}
    # The declared classes are the module's; the generated ones (a simple kind's) are not module attributes.
    generated = set(ALL_ACTIONS) - set(actions._DECLARED)
    assert set(actions._DECLARED) == {cls for cls in public if not cls.__name__.startswith("_") and cls is not Action}
    assert all(cls.name == cls.__name__ for cls in generated)


def test_every_action_declares_its_own_stable_name() -> None:
    names = [cls.name for cls in ALL_ACTIONS]
    assert set(names) == STABLE_NAMES and len(names) == len(STABLE_NAMES)
    for cls in ALL_ACTIONS:
        assert "name" in vars(cls), f"{cls.__name__} inherits its name instead of declaring it"


def test_a_renamed_class_keeps_its_id_and_idempotency_prefix() -> None:
    renamed = type("MakeProduct", (CreateProduct,), {"__module__": __name__})
    action = renamed(key="gold", reason="r")
    assert action.id == "CreateProduct:gold"
    assert key_prefix(action, "create") == "reconciler-CreateProduct-gold-create"


def test_ids_built_from_the_class_match_the_actions_ids() -> None:
    assert CreatePrice.id_for("gold-usd") == CreatePrice(key="gold-usd", reason="r").id == "CreatePrice:gold-usd"
    archive = ArchivePrice(key="gold-usd", reason="r", stripe_id="price_1")
    assert ArchivePrice.id_for("gold-usd", "price_1") == archive.id == "ArchivePrice:gold-usd:price_1"
    item = UpdateInvoiceItem(key="inv", reason="r", item_key="fee")
    assert UpdateInvoiceItem.id_for("inv", "fee") == item.id == "UpdateInvoiceItem:inv:fee"


def test_an_id_with_the_wrong_parts_fails_loudly() -> None:
    with pytest.raises(TypeError, match="ArchivePrice ids take key, stripe_id; got 1 part"):
        ArchivePrice.id_for("gold-usd")
    with pytest.raises(TypeError, match="CreateProduct ids take key; got 2 part"):
        CreateProduct.id_for("gold", "extra")
