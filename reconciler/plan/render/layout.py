"""Grouping shared by the text and markdown renderers."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.plan.actions import Action, section_of
from reconciler.plan.plan import CustomerNotice, InvoiceTotal, Plan
from reconciler.plan.render.describe import object_of
from reconciler.plan.render.money import format_money
from reconciler.text import plural


@dataclass(frozen=True)
class Group:
    kind: str
    key: str
    actions: tuple[Action, ...]

    def title(self, plan: Plan) -> str:
        total = plan.total_of(self.key) if self.kind == "invoice" else None
        suffix = f" — total {format_money(total.amount, total.currency)}" if total else ""
        return f"{self.kind} {self.key}{suffix}"


def groups(plan: Plan) -> tuple[list[Group], list[Group]]:
    """(changes, destroys): actions grouped by object, groups in plan order."""
    out: tuple[dict[tuple[str, str], list[Action]], dict[tuple[str, str], list[Action]]] = ({}, {})
    for action in plan.actions:
        bucket = out[1] if section_of(action) == "destroy" else out[0]
        bucket.setdefault(object_of(action), []).append(action)
    changes, destroys = ([Group(k, key, tuple(acts)) for (k, key), acts in b.items()] for b in out)
    return changes, destroys


def summary_line(plan: Plan) -> str:
    s = plan.summary
    steps = "lifecycle step" if s["lifecycle"] == 1 else "lifecycle steps"
    adopt = f"{s['adopt']} to adopt, " if s.get("adopt") else ""
    return (
        f"Plan: {adopt}{s['create']} to create, {s['update']} to update, "
        f"{s['lifecycle']} {steps}, {s['destroy']} to destroy."
    )


NO_CHANGES = "No changes. Live state matches the specs."
# An empty plan with notes: nothing to do, but not everything matches.
NO_CHANGES_WITH_NOTES = "No changes to make; see the notes below."


# An empty plan that holds objects: nothing else to do, and those need a person.
NO_CHANGES_HELD = "No other changes to make; the objects above are held."
HELD_HEADLINE = "a person must decide; nothing is done to it, nor to what depends on it; the rest of the plan goes on"


def no_changes_line(plan: Plan) -> str:
    if plan.conflicts:
        return NO_CHANGES_HELD
    return NO_CHANGES_WITH_NOTES if plan.notes else NO_CHANGES


def held_title(plan: Plan) -> str:
    """'Held (1 object): …', the heading of the conflicts every format shows first."""
    return f"Held ({plural(len(plan.conflicts), 'object')}): {HELD_HEADLINE}"


def held_lines(plan: Plan) -> list[str]:
    """The conflicts, before anything else: the first thing a reviewer reads."""
    if not plan.conflicts:
        return []
    lines = [held_title(plan) + ":"]
    for conflict in plan.conflicts:
        lines.append(f"  ! {conflict.message}")
    return [*lines, ""]


def notice_parts(notice: CustomerNotice) -> tuple[str, str, str, str]:
    """(what happens, to whom, total, due) for one customer-visible effect."""
    who = notice.recipient or f"customer {notice.customer}"
    total = format_money(notice.amount, notice.currency) if notice.amount is not None and notice.currency else "?"
    if notice.card:
        return f"invoice {notice.invoice} charged {total} to {notice.card}", who, total, notice.due or "-"
    if notice.detail:
        return f"invoice {notice.invoice} {notice.effect} ({notice.detail})", who, total, notice.due or "-"
    return f"invoice {notice.invoice} {notice.effect}", who, total, notice.due or "-"


def amount_parts(total: InvoiceTotal) -> tuple[str, str, str, str, str, str]:
    """(subtotal, discounts, taxes, total, balance, amount due) of one invoice, in words."""
    a, cur = total.amounts, total.currency
    assert a is not None
    discounts = _discounts(a.discounts, cur) or "-"
    subtotal = format_money(a.subtotal, cur)
    if a.item_discounts:
        # Already taken off the subtotal: shown apart so the line adds up (review R20).
        subtotal += f" (item discounts {_discounts(a.item_discounts, cur)} in the subtotal)"
    taxes = ", ".join(
        f"{t.rate} {format_money(t.amount, cur)} ({'included' if t.inclusive else 'added'})" for t in a.taxes
    ) or "-"
    if a.stripe_tax:
        taxes = "computed by Stripe at finalization"
        before = f"{format_money(a.total, cur)} before Stripe's tax"
        return subtotal, discounts, taxes, before, "applied at finalization", "known at finalization"
    if a.starting_balance is None:
        balance, due = "applied at finalization, not known now", "known at finalization"
    else:
        balance = format_money(a.starting_balance, cur) if a.starting_balance else "-"
        due = format_money(a.amount_due or 0, cur)
        if a.carried_to_balance:
            due += f" (paid at finalization: {format_money(a.carried_to_balance, cur)} is below the minimum " \
                   "charge and goes to the customer's balance)"
        elif a.ending_balance:
            due += f" (balance after: {format_money(a.ending_balance, cur)})"
    return subtotal, discounts, taxes, format_money(a.total, cur), balance, due


def _discounts(discounts: tuple[tuple[str, int], ...], cur: str) -> str:
    return ", ".join(f"{key} -{format_money(amount, cur)}" for key, amount in discounts)


def notice_lines(plan: Plan) -> list[str]:
    """The reviewer's first read: warnings, then what customers will notice (with each invoice's
    figures where they say more than its total)."""
    lines = [f"Warning: {w}" for w in plan.warnings()]
    spelt_out = [t for t in plan.invoice_totals if t.amounts is not None]
    if plan.notices or spelt_out:
        lines += ([""] if lines else []) + ["Customers will notice:"]
        for notice in plan.notices:
            what, who, total, due = notice_parts(notice)
            amount = "" if notice.card else f": {total}"  # a charge names its amount already
            lines.append(f"  {what} — {who}{amount}" + (f", due {due}" if notice.due else ""))
        for invoice_total in spelt_out:
            subtotal, discounts, taxes, total_text, balance, due = amount_parts(invoice_total)
            lines.append(f"  invoice {invoice_total.invoice} amounts: subtotal {subtotal}; discounts {discounts}; "
                         f"tax {taxes}; total {total_text}; customer balance {balance}; amount due {due}")
    return lines + [""] if lines else []
