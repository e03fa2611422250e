"""Critical-path priority on plain data: the chain still ahead of each action."""

from __future__ import annotations

from reconciler.apply.runner import dependency_graph, dependents_of
from reconciler.apply.schedule import SEND_ROUND_TRIPS, remaining_chains, round_trips
from reconciler.plan.actions import (
    Action,
    AddInvoiceItem,
    CreateCustomer,
    CreateInvoice,
    CreateProduct,
    FinalizeInvoice,
    Ref,
    SendInvoice,
)


def _chain(key: str, customer: str) -> list[Action]:
    create = CreateInvoice(key=key, reason="r", depends_on=(f"CreateCustomer:{customer}",),
                           params={"customer": Ref("customer", customer)})  # fmt: skip
    item = AddInvoiceItem(key=key, reason="r", item_key="fee", depends_on=(create.id,),
                          params={"invoice": Ref("invoice", key), "amount": 5, "currency": "usd"})  # fmt: skip
    finalize = FinalizeInvoice(key=key, reason="r", depends_on=(item.id,))
    return [create, item, finalize, SendInvoice(key=key, reason="r", depends_on=(finalize.id,))]


def _chains(actions: list[Action]) -> dict[str, int]:
    return remaining_chains(actions, dependents_of(dependency_graph(actions)))


def test_each_action_counts_the_round_trips_of_the_longest_chain_it_starts() -> None:
    customer = CreateCustomer(key="jenny", reason="r", params={"name": "Jenny"})
    product = CreateProduct(key="gold", reason="r", params={"name": "Gold"})
    actions = [product, customer, *_chain("inv1", "jenny"), *_chain("inv2", "jenny")]
    assert round_trips(actions[-1]) == SEND_ROUND_TRIPS == 5  # marker and ledger, requested, ledger, send, done
    assert _chains(actions) == {
        "CreateProduct:gold": 1,
        "CreateCustomer:jenny": 1 + 1 + 1 + 1 + 5,
        "CreateInvoice:inv1": 8, "AddInvoiceItem:inv1:fee": 7, "FinalizeInvoice:inv1": 6, "SendInvoice:inv1": 5,
        "CreateInvoice:inv2": 8, "AddInvoiceItem:inv2:fee": 7, "FinalizeInvoice:inv2": 6, "SendInvoice:inv2": 5,
    }  # fmt: skip


def test_a_cycle_does_not_hang_the_count() -> None:
    a = CreateProduct(key="a", reason="r", params={}, depends_on=("CreateProduct:b",))
    b = CreateProduct(key="b", reason="r", params={}, depends_on=("CreateProduct:a",))
    assert set(_chains([a, b])) == {"CreateProduct:a", "CreateProduct:b"}


def test_a_long_chain_needs_no_recursion() -> None:
    actions: list[Action] = [CreateProduct(key="p0", reason="r", params={})]
    for n in range(1, 5000):
        actions.append(CreateProduct(key=f"p{n}", reason="r", params={}, depends_on=(actions[-1].id,)))
    assert _chains(actions)["CreateProduct:p0"] == 5000
