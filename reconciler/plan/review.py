"""A plan made for review, and the checks that let a saved plan be applied later.

`plan_for_review` is what `plan` and `apply` both compute: the planner's
actions (narrowed by --target) plus what review needs: the account, the
watched objects, the managed counts behind the destroy limits, and the
notices a reviewer reads first.

`check_saved` decides whether a reviewed plan still holds against a fresh
read: same account, its watched objects unchanged, and the fresh actions
exactly the reviewed ones. The specs may have changed elsewhere (other pull
requests merged since): only what this plan does is compared, so no digest
of the whole spec tree is kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds import KINDS
from reconciler.live.account import Account
from reconciler.live.records import Live
from reconciler.plan.notices import credit_void_notices, customer_notices
from reconciler.plan.plan import MadeFrom, Plan
from reconciler.plan.planner import make_plan
from reconciler.plan.planner.adopt import adopted_view
from reconciler.plan.resume import Progress, describe_action, progress, rest_of
from reconciler.plan.target import Target, narrow
from reconciler.plan.watch import watched_objects
from reconciler.spec.models import Desired
from reconciler.text import plural

RUN_PLAN_AGAIN = "run plan again and review the new plan"


class SavedPlanRefused(ReconcilerError):
    """A saved plan that no longer describes what apply would do."""

    kind = "stale_plan"

    def __init__(self, headline: str, details: list[str]) -> None:
        self.details = details
        super().__init__(headline)

    def lines(self) -> list[str]:
        return [str(self), *self.details]


class PlanForOtherAccount(SavedPlanRefused):
    def __init__(self, plan_file: str, made_for: Account, here: Account) -> None:
        super().__init__(f"{plan_file}: plan was made for account {made_for}; this key reaches {here}", [])


class StalePlan(SavedPlanRefused):
    def __init__(self, changes: list[str]) -> None:
        n = len(changes)
        super().__init__(
            f"stale plan: {plural(n, 'object')} it acts on changed since the plan was made; {RUN_PLAN_AGAIN}",
            changes,
        )


class PlanDoesNotMatch(SavedPlanRefused):
    def __init__(self, plan_file: str, differences: list[str], cause: str) -> None:
        super().__init__(
            f"{plan_file}: its actions differ from what these specs and live state give ({cause}); {RUN_PLAN_AGAIN}",
            differences,
        )


def refusal_cause(saved: MadeFrom | None, fresh: MadeFrom | None) -> str:
    """Why a saved plan's actions differ from the fresh ones, as far as its record tells."""
    if saved is None or fresh is None:
        return "edited plan file, or specs changed since review"  # a plan file written before made_from
    causes = []
    if saved.specs != fresh.specs:
        causes.append("the specs changed since the plan was made")
    if saved.live != fresh.live:
        causes.append("Stripe changed since the plan was made (someone or something else wrote to it)")
    # The planner is deterministic: same specs, same Stripe, other actions: the file was changed.
    return " and ".join(causes) or "edited plan file: the specs and Stripe are as they were when it was made"


class WatchListEdited(SavedPlanRefused):
    def __init__(self, plan_file: str, differences: list[str]) -> None:
        super().__init__(
            f"{plan_file}: its objects are not those its actions watch (edited plan file); {RUN_PLAN_AGAIN}",
            differences,
        )


def managed_counts(live: Live) -> dict[str, int]:
    """Managed objects per kind: the base of the destroy share."""
    # A key's further ACTIVE prices count (archived ones are destroyed already).
    prices = len(live.prices) + sum(len(v) for v in live.extra_active_prices.values())
    counts = {kind: len(getattr(live, info.section)) for kind, info in KINDS.items()}
    counts = {kind: n for kind, n in counts.items() if n or not KINDS[kind].later}
    return {**counts, "price": prices}


# Spec fields added after plan files first carried this digest: left out while unset, so the
# digest of specs without them (a saved plan's made_from) stays what it was.
_LATER_INVOICE_FIELDS = ("paid_out_of_band", "due_date", "custom_fields", "effective_at", "rendering", "account_tax_ids",
                         "default_tax_rates", "discounts", "automatic_tax")
_LATER_ITEM_FIELDS = ("period", "tax_rates", "discounts")
_EMPTY_IS_UNSET = frozenset({"default_tax_rates", "discounts", "tax_rates"})


def _drop_unset(data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        # No tax rates and no discounts ([], issue 19's fields) are as unset as None.
        if data.get(name) is None or (name in _EMPTY_IS_UNSET and data.get(name) == []):
            data.pop(name, None)


def specs_digest(desired: Desired) -> str:
    """sha256 of what the specs say (not where they live: a CI checkout's paths differ)."""
    data = desired.model_dump(mode="json", include={info.section for info in KINDS.values()})
    for info in KINDS.values():
        # What came after the first plan files is left out while unset, so the digest of specs without it stays.
        if info.later and not data[info.section]:
            del data[info.section]
            continue
        later = [f for f in info.fields if f.later]
        for entry in data[info.section].values() if later else ():
            for f in later:
                if entry.get(f.name) is None:
                    entry.pop(f.name, None)
    for invoice in data["invoices"].values():
        _drop_unset(invoice, _LATER_INVOICE_FIELDS)
        if invoice.get("revise") is False:  # a later field too: left out while false
            invoice.pop("revise", None)
        for item in invoice.get("items") or ():
            _drop_unset(item, _LATER_ITEM_FIELDS)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # not the files' order
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_for_review(
    desired: Desired, live: Live, *, account: Account | None, prune: bool = False, targets: tuple[Target, ...] = ()
) -> Plan:
    """The plan for `desired` against `live`, with everything a review and a later apply need."""
    narrowed_desired, narrowed_live = narrow(desired, live, targets, prune=prune)
    plan = make_plan(narrowed_desired, narrowed_live, prune=prune)
    seen = adopted_view(desired, live)  # objects being adopted are watched and named like managed ones
    return replace(
        plan,
        account=account,
        targets=tuple(str(t) for t in sorted(set(targets))),
        watched=watched_objects(plan.actions, seen),
        managed=managed_counts(live),
        notices=customer_notices(plan.actions, desired, seen, plan.invoice_totals)
        + credit_void_notices(plan.actions, desired, seen),
        made_from=MadeFrom(specs_digest(narrowed_desired), plan.fingerprint),
        unit_prices={key: (price.unit_amount, price.currency) for key, price in desired.prices.items()},
    )


class PlanWithoutAccount(SavedPlanRefused):
    def __init__(self, plan_file: str) -> None:
        super().__init__(f"{plan_file}: plan records no account; {RUN_PLAN_AGAIN}", [])


def check_account(saved: Plan, account: Account, plan_file: str) -> None:
    if saved.account is None:
        raise PlanWithoutAccount(plan_file)
    if saved.account != account:
        raise PlanForOtherAccount(plan_file, saved.account, account)


def check_objects(saved: Plan, live: Live, desired: Desired) -> Progress:
    """StalePlan naming each watched object someone else changed (before re-planning:
    the change may be why the fresh plan differs, or fails); what the plan's own
    actions changed is how far an earlier apply of it got (plan.resume)."""
    found = progress(saved, adopted_view(desired, live))
    if found.stale:
        raise StalePlan(list(found.stale))
    return found


def check_actions(saved: Plan, fresh: Plan, plan_file: str, done: Progress | None = None) -> int:
    """PlanDoesNotMatch unless the fresh actions are exactly the reviewed ones, or
    (`done`: an earlier apply of this plan got part-way) the reviewed ones less
    those done; how many reviewed actions are done."""
    if saved.actions == fresh.actions:
        return 0
    if done is not None and done.changed:
        rest, count = rest_of(saved, fresh, done.changed)
        if not rest:
            return count
    old = {a.id: a for a in saved.actions}
    new = {a.id: a for a in fresh.actions}
    lines = [f"not in the reviewed plan: {describe_action(a)}" for i, a in new.items() if i not in old]
    lines += [f"reviewed but no longer planned: {describe_action(a)}" for i, a in old.items() if i not in new]
    lines += [f"differs from the reviewed plan: {describe_action(new[i])}" for i in old if i in new and old[i] != new[i]]
    if not lines:
        lines = ["the same actions in another order"]
    raise PlanDoesNotMatch(plan_file, lines, refusal_cause(saved.made_from, fresh.made_from))


def check_watch_list(saved: Plan, fresh: Plan, plan_file: str) -> None:
    """WatchListEdited unless the file watches exactly what its actions watch.

    Run after check_objects and check_actions have passed: nothing watched
    changed and the fresh actions are the reviewed ones, so the fresh plan
    watches the objects the plan named when it was made; an entry taken out
    of (or put into) `objects` would otherwise leave a change to it unseen.
    """
    expected = {w.ref: w.actions for w in fresh.watched}
    recorded = {w.ref: w.actions for w in saved.watched}
    if expected == recorded:
        return
    lines = [f"missing: {ref}" for ref in sorted(expected.keys() - recorded.keys())]
    lines += [f"not watched by any action: {ref}" for ref in sorted(recorded.keys() - expected.keys())]
    lines += [f"watched by other actions: {ref}" for ref in sorted(expected.keys() & recorded.keys())
              if expected[ref] != recorded[ref]]  # fmt: skip
    raise WatchListEdited(plan_file, lines)
