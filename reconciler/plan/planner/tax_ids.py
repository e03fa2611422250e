"""A customer's tax IDs (issue 18): Stripe keeps each as its own object under the customer and
never updates one (docs.stripe.com/api/tax_ids), so the plan adds the ones the spec names that
Stripe lacks and removes the ones it has that the spec no longer names: a changed value is a
removal and an addition, shown as such. Compared only where the spec names `tax_ids`: left out,
a customer's tax IDs are others' (a portal, a checkout) and never removed.
"""

from __future__ import annotations

import hashlib

from reconciler.plan.actions import AddTaxId, RemoveTaxId
from reconciler.plan.planner.context import Context


def tax_id_key(tax_type: str, value: str) -> str:
    """A tax ID's identity within its customer: its type and a digest of its value, so action ids
    (in plan files, in --redact output) never carry the number itself."""
    return f"{tax_type}-{hashlib.sha256(value.encode()).hexdigest()[:10]}"


def plan_tax_ids(ctx: Context) -> None:
    for key in sorted(ctx.desired.customers):
        spec = ctx.desired.customers[key]
        if spec.tax_ids is None:
            continue
        cur = ctx.live.customers.get(key)
        if cur is None:
            continue  # created with them (tax_id_data, planner.simple)
        live = {(t[1], t[2]): t[0] for t in cur.tax_id_objects}
        wanted = [(t.type, t.value) for t in spec.tax_ids]
        removals = []
        for (tax_type, value), stripe_id in sorted(live.items()):
            if (tax_type, value) not in wanted:
                removals.append(ctx.add(RemoveTaxId(
                    key=key, reason="not in the spec (Stripe never changes a tax ID: a new value is a new one)",
                    tax_id=tax_id_key(tax_type, value), stripe_id=stripe_id,
                )))  # fmt: skip
        deps = tuple(removals)
        for tax_type, value in wanted:
            if (tax_type, value) in live:
                continue
            ctx.add(AddTaxId(key=key, reason="not in Stripe", depends_on=deps, tax_id=tax_id_key(tax_type, value),
                             params={"type": tax_type, "value": value}))  # fmt: skip
