"""What each action type sends: a table from action class to its write steps.

Pure: steps name the gateway write (`op`), the target object (a Stripe id, or
a Ref to an object created earlier in this run) and the parameters (values
may be Refs). Execution and dry run both read this table; a test checks it
covers every class in ALL_ACTIONS. SendInvoice is special-cased by the
executor (the send guard) but its writes are listed here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.apply.errors import UnsupportedAction
from reconciler.ownership import OWNER_KEY, SEND_DONE, SEND_KEY, SEND_REQUESTED
from reconciler.plan import actions as a
from reconciler.plan.actions import Action, Ref


@dataclass(frozen=True)
class Step:
    name: str  # part of the idempotency key: "create", "update", "send", ...
    op: str  # a reconciler.gateway.write.Write, e.g. "create_customer"
    target: str | Ref | None  # object in the request path; None for creates
    params: dict[str, Any]


def _target(action: Action, stripe_id: str) -> str | Ref:
    # "" means: the object this plan creates earlier (e.g. finalize a new invoice).
    return stripe_id or Ref(action.kind, action.key)


def update_params(action: Action) -> dict[str, Any]:
    """The update request's parameters, as the action itself defines them."""
    return action.stripe_params()  # type: ignore[attr-defined, no-any-return]


def _owned(action: Action, params: dict[str, Any]) -> dict[str, Any]:
    """Create (or adopt) params with the ownership tag guaranteed (the planner
    sets it; without it the next plan could not see the object)."""
    meta = dict(params.get("metadata") or {})
    if meta.get(OWNER_KEY) == action.key:
        return params
    meta[OWNER_KEY] = action.key
    return {**params, "metadata": meta}


def _create(op: str) -> Callable[[Any], list[Step]]:
    return lambda act: [Step("create", op, None, _owned(act, act.params))]


def _update(op: str) -> Callable[[Any], list[Step]]:
    return lambda act: [Step("update", op, _target(act, act.stripe_id), update_params(act))]


def _archive(op: str) -> Callable[[Any], list[Step]]:
    return lambda act: [Step("archive", op, _target(act, act.stripe_id), {"active": False})]


def _delete(op: str) -> Callable[[Any], list[Step]]:
    return lambda act: [Step("delete", op, _target(act, act.stripe_id), {})]


def _lifecycle(name: str, op: str, params: dict[str, Any]) -> Callable[[Any], list[Step]]:
    return lambda act: [Step(name, op, _target(act, act.stripe_id), dict(params))]


def send_steps(action: a.SendInvoice) -> list[Step]:
    """The guarded send: mark requested, send, mark done (see sendguard)."""
    target = _target(action, action.stripe_id)
    return [
        Step("mark-requested", "update_invoice", target, {"metadata": {SEND_KEY: SEND_REQUESTED}}),
        Step("send", "send_invoice", target, {}),
        *_record_send(action),
    ]


def _record_send(action: a.SendInvoice | a.RecordSend) -> list[Step]:
    """The `done` marker: the last step of a send, and all of a RecordSend."""
    return [Step("mark-done", "update_invoice", _target(action, action.stripe_id), {"metadata": {SEND_KEY: SEND_DONE}})]


def _adopt(op: str) -> Callable[[Any], list[Step]]:
    """Tag the items (a draft's), then the object: its tag is the last write."""

    def build(act: a._Adopt) -> list[Step]:
        item_params = getattr(act, "item_params", {})
        items = [Step("adopt-item", "update_item", item, dict(item_params[item])) for item in sorted(item_params)]
        return [*items, Step("adopt", op, act.stripe_id, _owned(act, act.params))]

    return build


def _charge(act: a.ChargeInvoice) -> list[Step]:
    """One `pay` charging the reviewed card. The step's name carries the failed charge a new
    attempt follows, so its idempotency key is new per reviewed attempt and the same on a re-run."""
    name = f"charge-after-{act.after_charge}" if act.after_charge else "charge"
    return [Step(name, "charge_invoice", _target(act, act.stripe_id), {"payment_method": act.payment_method})]


def _add_item(act: a.AddInvoiceItem) -> list[Step]:
    return [Step("create", "create_item", None, dict(act.params))]


STEPS: dict[type[Action], Callable[[Any], list[Step]]] = {
    a.AdoptProduct: _adopt("update_product"),
    a.AdoptPrice: _adopt("update_price"),
    a.AdoptCustomer: _adopt("update_customer"),
    a.AdoptInvoice: _adopt("update_invoice"),
    a.CreateProduct: _create("create_product"),
    a.UpdateProduct: _update("update_product"),
    a.ArchiveProduct: _archive("update_product"),
    a.CreatePrice: _create("create_price"),
    a.UpdatePrice: _update("update_price"),
    a.ArchivePrice: _archive("update_price"),
    a.CreateCustomer: _create("create_customer"),
    a.UpdateCustomer: _update("update_customer"),
    a.DeleteCustomer: _delete("delete_customer"),
    a.CreateInvoice: _create("create_invoice"),
    a.UpdateInvoice: _update("update_invoice"),
    a.DeleteInvoice: _delete("delete_invoice"),
    a.AddInvoiceItem: _add_item,
    a.UpdateInvoiceItem: _update("update_item"),
    a.RemoveInvoiceItem: _delete("delete_item"),
    # The gateway adds auto_advance=false (finalize) and paid_out_of_band=true
    # (pay) to every such request itself.
    a.FinalizeInvoice: _lifecycle("finalize", "finalize_invoice", {}),
    a.SendInvoice: send_steps,
    a.RecordSend: _record_send,
    a.PayInvoice: _lifecycle("pay", "pay_invoice", {}),
    a.ChargeInvoice: _charge,
    a.VoidInvoice: _lifecycle("void", "void_invoice", {}),
    a.MarkUncollectible: _lifecycle("mark-uncollectible", "mark_uncollectible", {}),
}


def steps_for(action: Action) -> list[Step]:
    build = STEPS.get(type(action))
    if build is None:
        raise UnsupportedAction(type(action).__name__)
    return build(action)
