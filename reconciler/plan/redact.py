"""--redact: a copy of a plan whose customer data (the kinds' personal fields) is masked.

For text and markdown output that may be public (a pull-request comment, a CI
log). Spec keys, amounts and Stripe ids stay visible. The plan file is never
redacted: apply needs the real values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.kinds import KINDS
from reconciler.plan.actions import Action, AddTaxId, FieldChange, _Create, _Update
from reconciler.plan.plan import Plan
from reconciler.plan.watch import PERSONAL_FIELDS as _DIGESTED

MASK = "(redacted)"
# The personal fields under the spec's names and under Stripe's, as requests carry them: a customer's
# tax IDs go out as tax_id_data.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    kind: names | {f.param for f in KINDS[kind].fields if f.personal} for kind, names in _DIGESTED.items()
}


def _mask(value: Any) -> Any:
    return None if value is None else MASK


def _redact_action(action: Action) -> Action:
    if isinstance(action, AddTaxId):  # a tax ID's number is the customer's; its type is not
        return replace(action, params={**action.params, "value": _mask(action.params.get("value"))})
    personal = PERSONAL_FIELDS.get(action.kind)
    if not personal:
        return action
    if isinstance(action, _Create):
        params = {k: _mask(v) if k in personal else v for k, v in action.params.items()}
        return replace(action, params=params)
    if isinstance(action, _Update):
        changes = tuple(
            FieldChange(c.field, _mask(c.old), _mask(c.new)) if c.field in personal else c for c in action.changes
        )
        return replace(action, changes=changes)
    return action


def redact(plan: Plan) -> Plan:
    """The same plan for display, with personal data masked."""
    notices = tuple(replace(n, recipient=_mask(n.recipient)) for n in plan.notices)
    return replace(plan, actions=tuple(_redact_action(a) for a in plan.actions), notices=notices)


_PERSONAL_PATHS = {"/v1/customers": "customer"}


def redact_request_params(path: str, params: dict[str, Any]) -> dict[str, Any]:
    """A request's parameters for display (apply --dry-run), personal ones masked."""
    kind = next((k for prefix, k in _PERSONAL_PATHS.items() if path == prefix or path.startswith(prefix + "/")), None)
    personal = PERSONAL_FIELDS.get(kind or "", frozenset())
    if path.endswith("/tax_ids"):
        personal = frozenset({"value"})  # a customer's tax ID number
    return {k: _mask(v) if k in personal else v for k, v in params.items()}
