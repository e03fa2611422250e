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
from reconciler.plan.dispatch import ByActionType


@dataclass(frozen=True)
class Step:
    name: str  # part of the idempotency key: "create", "update", "send", ...
    op: str  # a reconciler.gateway.write.Write, e.g. "create_customer"
    target: str | Ref | None  # object in the request path; None for creates
    params: dict[str, Any]


def _target(action: Action, stripe_id: str) -> str | Ref:
    # "" means: the object this plan creates earlier (e.g. finalize a new invoice), or an
    # item a revision created earlier copied (named by its invoice's and its own key).
    if stripe_id:
        return stripe_id
    return Ref(action.kind, item_ref_key(action.key, action.item) if action.item else action.key)


def item_ref_key(invoice_key: str, item_key: str) -> str:
    """The Ref key of an invoice item, for the items a revision copies."""
    return f"{invoice_key}/{item_key}"


def _owned(action: Action, params: dict[str, Any]) -> dict[str, Any]:
    """Create (or adopt) params with the ownership tag guaranteed (the planner
    sets it; without it the next plan could not see the object)."""
    meta = dict(params.get("metadata") or {})
    if meta.get(OWNER_KEY) == action.key:
        return params
    meta[OWNER_KEY] = action.key
    return {**params, "metadata": meta}


# The generic rows: the write is named by verb and kind ("create_customer", "update_item").
def _create(act: a._Create) -> list[Step]:
    return [Step("create", f"create_{act.kind}", None, _owned(act, act.params))]


def _update(act: a._Update | a.UpdateInvoiceItem) -> list[Step]:
    return [Step("update", f"update_{act.kind}", _target(act, act.stripe_id), act.stripe_params())]


def _archive(act: a._Archive) -> list[Step]:
    return [Step("archive", f"update_{act.kind}", _target(act, act.stripe_id), {"active": False})]


def _delete(act: a._Delete | a.RemoveInvoiceItem) -> list[Step]:
    return [Step("delete", f"delete_{act.kind}", _target(act, act.stripe_id), {})]


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


def _adopt(act: a._Adopt) -> list[Step]:
    """Tag the items (a draft's), then the object: its tag is the last write."""
    item_params = act.item_tags()
    items = [Step("adopt-item", "update_item", item, dict(item_params[item])) for item in sorted(item_params)]
    return [*items, Step("adopt", f"update_{act.kind}", act.stripe_id, _owned(act, act.params))]


def _charge(act: a.ChargeInvoice) -> list[Step]:
    """One `pay` charging the reviewed card. The step's name carries the failed charge a new
    attempt follows, so its idempotency key is new per reviewed attempt and the same on a re-run."""
    name = f"charge-after-{act.after_charge}" if act.after_charge else "charge"
    return [Step(name, "charge_invoice", _target(act, act.stripe_id), {"payment_method": act.payment_method})]


def _revise(act: a.CreateRevision) -> list[Step]:
    """Create the revision, then clear the send marker it copied: a new invoice, never emailed."""
    return [
        Step("create", "create_invoice", None, _owned(act, act.params)),
        Step("clear-send-marker", "update_invoice", Ref("invoice", act.key), {"metadata": {SEND_KEY: ""}}),
    ]


def _add_item(act: a.AddInvoiceItem) -> list[Step]:
    return [Step("create", "create_item", None, dict(act.params))]


def _add_tax_id(act: a.AddTaxId) -> list[Step]:
    """POST /v1/customers/{customer}/tax_ids: the customer, created earlier in the plan or not, by reference."""
    return [Step("create", "create_tax_id", Ref("customer", act.key), dict(act.params))]


def _remove_tax_id(act: a.RemoveTaxId) -> list[Step]:
    return [Step("delete", "delete_tax_id", act.stripe_id, {})]


_STEPS: ByActionType[Callable[[Any], list[Step]]] = ByActionType({
    a._Adopt: _adopt,
    a._Create: _create,
    a.CreateRevision: _revise,
    a._Update: _update,
    a._Archive: _archive,
    a._Delete: _delete,
    a.AddInvoiceItem: _add_item,
    a.UpdateInvoiceItem: _update,
    a.RemoveInvoiceItem: _delete,
    a.AddTaxId: _add_tax_id,
    a.RemoveTaxId: _remove_tax_id,
    # The gateway adds auto_advance=false (finalize) and paid_out_of_band=true
    # (pay) to every such request itself.
    a.FinalizeInvoice: _lifecycle("finalize", "finalize_invoice", {}),
    a.SendInvoice: send_steps,
    a.RecordSend: _record_send,
    a.PayInvoice: _lifecycle("pay", "pay_invoice", {}),
    a.ChargeInvoice: _charge,
    a.VoidInvoice: _lifecycle("void", "void_invoice", {}),
    a.MarkUncollectible: _lifecycle("mark-uncollectible", "mark_uncollectible", {}),
    a.VoidCreditNote: _lifecycle("void", "void_credit_note", {}),
})
# Every action class with the steps it gets (the coverage test reads this).
STEPS = _STEPS.resolved(a.ALL_ACTIONS)


def steps_for(action: Action) -> list[Step]:
    build = _STEPS.get(type(action))
    if build is None:
        raise UnsupportedAction(type(action).__name__)
    return build(action)
