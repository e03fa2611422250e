"""Managed invoices: create or update drafts, refuse changes to finalized ones."""

from __future__ import annotations

from collections import Counter
from typing import Any

from reconciler.live.records import LiveInvoice
from reconciler.ownership import OWNER_KEY, SEND_KEY, SEND_REQUESTED
from reconciler.plan.actions import (
    CreateCustomer,
    CreateInvoice,
    DeleteInvoice,
    FieldChange,
    RecordSend,
    Ref,
    UpdateInvoice,
)
from reconciler.plan.errors import FINAL_WAY_OUT, FROZEN_WAY_OUT
from reconciler.plan.plan import InvoiceTotal
from reconciler.plan.planner import money_terms
from reconciler.plan.planner.catalog import PriceChoice
from reconciler.plan.planner.charge import charging
from reconciler.plan.planner.context import Context
from reconciler.plan.planner.credit_notes import credited_by_others
from reconciler.plan.planner.diff import create_metadata, drift_reason, drop_none, field_changes, show_change
from reconciler.plan.planner.document import (
    EDITABLE_WHEN_FINALIZED,
    create_params,
    document_changes,
    new_details,
    past_due_date,
    shown_change,
    unknown_account_tax_ids,
)
from reconciler.plan.planner.items import (
    finalized_item_changes,
    hold_for_unmanaged_items,
    item_currency,
    plan_draft_items,
)
from reconciler.plan.planner.lifecycle import LifecycleInput, live_position, plan_lifecycle, position_word
from reconciler.plan.planner.money import (
    finalizing_customers,
    invoice_amounts,
    likely_paid_at_finalization,
    note_own_discount,
    paid_at_finalization,
    worth_showing,
)
from reconciler.plan.planner.revisions import (
    REVISABLE,
    hold_revision_draft,
    plan_create_revision,
    revision_draft,
    unfilled_draft,
)
from reconciler.plan.planner.stripe_tax import check_location
from reconciler.plan.render.money import format_money
from reconciler.spec.models import InvoiceSpec

_WAY_OUT = {
    "open": FROZEN_WAY_OUT,
    "uncollectible": FROZEN_WAY_OUT,
    "paid": FINAL_WAY_OUT.format(status="paid"),
    "void": FINAL_WAY_OUT.format(status="void"),
}


def plan_invoices(ctx: Context, prices: PriceChoice) -> tuple[InvoiceTotal, ...]:
    """Plan every invoice; the totals of those created or whose items change."""
    totals: list[InvoiceTotal] = []
    finalizing = finalizing_customers(ctx)
    for key in sorted(ctx.desired.invoices):
        total = _plan_invoice(ctx, prices, key, ctx.desired.invoices[key], finalizing)
        if total is not None:
            totals.append(total)
    return tuple(totals)


def _plan_invoice(
    ctx: Context, prices: PriceChoice, key: str, spec: InvoiceSpec, finalizing: Counter[str]
) -> InvoiceTotal | None:
    if spec.status == "sent" and spec.collection_method != "send_invoice":
        ctx.problem(
            "transition",
            f"invoice {key}: status sent needs collection_method send_invoice "
            "(a charge_automatically invoice is charged, not sent): use status open",
        )
        return None
    cur = ctx.live.invoices.get(key)
    if cur is not None and not (ctx.prune and cur.status == "draft"):
        label = key if cur.status == "draft" else _label(key, cur)
        if hold_for_unmanaged_items(ctx, label, cur):
            return None
    if cur is not None and cur.status == "draft" and cur.from_invoice and hold_revision_draft(ctx, key, spec, cur):
        return None
    if cur is None or cur.status == "draft":
        return _plan_draft(ctx, prices, key, spec, cur, finalizing)
    return _plan_finalized(ctx, prices, key, spec, cur, finalizing)


def _days(spec: InvoiceSpec) -> int | None:
    return spec.days_until_due if spec.collection_method == "send_invoice" else None


def _term(cur: LiveInvoice, spec: InvoiceSpec) -> list[tuple[str, object, object]]:
    """days_until_due compared, unless the spec gives a due_date (compared as a document field)."""
    if spec.due_date is not None:
        return []
    live = cur.days_until_due if cur.status == "draft" or spec.collection_method == "send_invoice" else None
    return [("days_until_due", live, _days(spec))]


def _customers(ctx: Context, cur: LiveInvoice, spec: InvoiceSpec) -> tuple[str, Ref | str, Ref]:
    """("customer", live, desired) compared as references: customer:acme, or the
    id of a customer reconciler does not manage."""
    live_key = ctx.customer_keys.get(cur.customer_id)
    live: Ref | str = Ref("customer", live_key) if live_key is not None else cur.customer_id
    return "customer", live, Ref("customer", spec.customer)


def _plan_draft(
    ctx: Context, prices: PriceChoice, key: str, spec: InvoiceSpec, cur: LiveInvoice | None,
    finalizing: Counter[str], after: tuple[str, ...] = (),
) -> InvoiceTotal | None:
    """Plan a draft (or a new invoice, or the revision `after` creates); its total when it is
    created, revised or its items change."""
    currency = item_currency(ctx, spec.items[0])
    deps: tuple[str, ...] = ()
    replaced = ""
    if cur is not None:
        # Stripe cannot update these on an invoice: a draft is deleted and re-created.
        fixed = field_changes([_customers(ctx, cur, spec), ("currency", cur.currency.lower(), currency)])
        if fixed:
            what = ", ".join(show_change(c) for c in fixed)
            deps = (ctx.add(DeleteInvoice(key=key, reason=f"replaced: a Stripe invoice cannot change {what}", stripe_id=cur.id)),)
            replaced, cur = f"replaces draft {cur.id}", None
    _hold_past_due_date(ctx, key, spec, cur)
    if cur is None:
        params: dict[str, Any] = {
            "customer": Ref("customer", spec.customer),
            "collection_method": spec.collection_method,
            "days_until_due": _days(spec),
            "auto_advance": False,  # the tool, not Stripe's timer, finalizes
            "currency": currency,
            "description": spec.description,
            "footer": spec.footer,
            **create_params(spec),
            **money_terms.invoice_params(spec),
            "metadata": create_metadata({OWNER_KEY: key}, spec.metadata),
            "pending_invoice_items_behavior": "exclude",
        }
        create_id = ctx.add(
            CreateInvoice(
                key=key,
                reason=replaced or "not in Stripe",
                depends_on=ctx.if_planned(CreateCustomer.id_for(spec.customer)) + money_terms.invoice_deps(ctx, spec)
                + deps,
                params=drop_none(params),
            )
        )
        invoice_deps: tuple[str, ...] = (create_id,)
        stripe_id, marker = "", None
    else:
        changes = _draft_changes(ctx, key, spec, cur)
        if after:
            # A revision's draft: every field the spec names is set on it, not only those that
            # differ from the original, so it is finalized as the spec says whatever Stripe copied.
            seen = {c.field for c in changes}
            changes += [c for c in _draft_changes(ctx, key, spec, unfilled_draft(cur)) if c.field not in seen]
        if cur.send_marker and cur.from_invoice:
            # A draft was never emailed: the marker is the original's, copied by the revision.
            changes.append(FieldChange(f"metadata.{SEND_KEY}", cur.send_marker, None))
        invoice_deps = after
        if changes:
            reason = drift_reason(changes) if not after else (
                "the spec's invoice fields, set on the revision whatever Stripe copied of the original: "
                + ", ".join(c.field for c in changes))
            update = UpdateInvoice(key=key, reason=reason, stripe_id=cur.id, changes=tuple(changes),
                                   depends_on=after + money_terms.invoice_deps(ctx, spec))
            invoice_deps = (ctx.add(update),)
        stripe_id, marker = cur.id, None if cur.from_invoice else cur.send_marker
    item_ids = plan_draft_items(ctx, prices, key, spec, cur, invoice_deps)
    check_location(ctx, key, spec)
    if cur is None:
        note_own_discount(ctx, key, spec)
    # A revision gets back the balance its original took, which the plan cannot see: not known.
    amounts = invoice_amounts(ctx, spec, currency, finalizing=finalizing, revision=bool(after))
    steps = plan_lifecycle(
        ctx,
        key,
        LifecycleInput(
            position="draft",
            desired=spec.status,
            stripe_id=stripe_id,
            send_marker=marker,
            depends_on=invoice_deps + tuple(item_ids) + ctx.customer_changes(spec.customer),
            label=key,
            paid_at_finalization=paid_at_finalization(amounts, currency)
            or likely_paid_at_finalization(spec, amounts, currency, finalizing),
            assume_unsent=spec.assume_unsent,
            charge=charging(ctx, spec, cur),
            new_details=new_details(ctx.actions, spec.customer),
        ),
    )
    shown = amounts if worth_showing(ctx, spec, amounts, currency) else None
    # A finalization is a change the customer sees too, when its figures say more than the total.
    if not item_ids and cur is not None and not after and not (steps and shown):
        return None
    return InvoiceTotal(key, amounts.total, currency, shown)


def _draft_changes(ctx: Context, key: str, spec: InvoiceSpec, cur: LiveInvoice) -> list[FieldChange]:
    """The draft's fields where they differ from the spec's."""
    return field_changes(
        [
            ("collection_method", cur.collection_method, spec.collection_method),
            *_term(cur, spec),
            *_set_texts(cur, spec),
        ]
    ) + document_changes(cur, spec) + money_terms.invoice_changes(ctx, cur, spec) + ctx.metadata_changes(
        f"invoice {key}", cur.metadata, cur.owned_keys, spec.metadata)


def _hold_past_due_date(ctx: Context, key: str, spec: InvoiceSpec, cur: LiveInvoice | None) -> None:
    """A due date Stripe would refuse as past, on a new invoice or a draft's change: that invoice is held.

    A plan made today and applied after its due date has passed fails at that invoice's create
    (Stripe's answer); the next plan holds it here with this reason.
    """
    why = past_due_date(spec, ctx.live.read_at)
    if why and (cur is None or any(c.field == "due_date" for c in document_changes(cur, spec))):
        ctx.hold(f"invoice:{key}", cur.id if cur else None, f"invoice {key}: {why}")
    # The same for an account tax ID the account does not have (Stripe: "No such tax ID").
    why = unknown_account_tax_ids(spec, ctx.live.account_tax_ids)
    if why and (cur is None or any(c.field == "account_tax_ids" for c in document_changes(cur, spec))):
        ctx.hold(f"invoice:{key}", cur.id if cur else None, f"invoice {key}: {why}")


def _set_texts(cur: LiveInvoice, spec: InvoiceSpec, *names: str) -> list[tuple[str, object, object]]:
    """description and footer (or those of `names`), compared only where the spec sets them:
    left out, they are Stripe's to fill (an account's default memo and footer)."""
    return [
        (name, live, wanted)
        for name, live, wanted in (("description", cur.description, spec.description), ("footer", cur.footer, spec.footer))
        if wanted is not None and (not names or name in names)
    ]


def _label(key: str, cur: LiveInvoice) -> str:
    return f"{key} ({cur.id}{', number ' + cur.number if cur.number else ''})"


def _customer_deleted_outside(ctx: Context, spec: InvoiceSpec, cur: LiveInvoice) -> bool:
    """The finalized invoice's customer is no managed customer any more (deleted in
    the Dashboard): Stripe keeps the invoice as it was, and that is no change the
    spec asks for (a finalized invoice's customer cannot change anyway)."""
    return cur.customer_id not in ctx.customer_keys


def _plan_finalized(
    ctx: Context, prices: PriceChoice, key: str, spec: InvoiceSpec, cur: LiveInvoice, finalizing: Counter[str]
) -> InvoiceTotal | None:
    label = _label(key, cur)
    # Said of the invoices still to be paid (open, uncollectible): what the customer may still act on.
    details = new_details(ctx.actions, spec.customer) if cur.status in ("open", "uncollectible") else ""
    if details:
        ctx.note(f"invoice {label} was finalized before this plan's change of customer {spec.customer}: it keeps "
                 f"the old {details} (Stripe copied them onto it at finalization)")
    # Footer, custom fields and rendering stay writable on an open or uncollectible invoice (Stripe's
    # update rule, planner.document); a paid or void one takes metadata only.
    editable = cur.status in ("open", "uncollectible")
    customer_gone = _customer_deleted_outside(ctx, spec, cur)
    # An untagged customer (its metadata wiped) is no deleted one: planner.identity holds it.
    if customer_gone and spec.customer not in ctx.live.customers and cur.customer_id not in ctx.live.untagged_customers:
        ctx.note(
            f"invoice {label}: its customer {cur.customer_id} was deleted outside reconciler; the invoice stays "
            f"as Stripe keeps it, and customer {spec.customer} is created anew for what comes next"
        )
    # A revision keeps the original's customer and currency (the Dashboard variant of
    # https://docs.stripe.com/invoicing/invoice-edits: "you can't switch the customer").
    fixed = [
        show_change(c)
        for c in field_changes(
            [
                # A customer deleted outside reconciler is no change the spec asks for.
                *([] if customer_gone else [_customers(ctx, cur, spec)]),
                ("currency", cur.currency.lower(), item_currency(ctx, spec.items[0])),
            ]
        )
    ]
    frozen = fixed + [
        show_change(c)
        for c in field_changes(
            [
                ("collection_method", cur.collection_method, spec.collection_method),
                *_term(cur, spec),
                # Stripe refuses description edits on most finalized invoices.
                *_set_texts(cur, spec, *(("description",) if editable else ("description", "footer"))),
            ]
        )
    ]
    document = document_changes(cur, spec)
    frozen += [shown_change(c) for c in document if not (editable and c.field in EDITABLE_WHEN_FINALIZED)]
    frozen += finalized_item_changes(ctx, prices, cur, spec)
    # Discounts and default rates are frozen too; a rate or coupon replaced since changes nothing here.
    frozen += [show_change(c) for c in money_terms.invoice_changes(ctx, cur, spec, finalized=True)]
    if frozen:
        return _revise_or_refuse(ctx, prices, key, spec, cur, (fixed, frozen), finalizing)
    # Metadata stays writable in every state, paid and void included: an ordinary update.
    meta = ctx.metadata_changes(f"invoice {key}", cur.metadata, cur.owned_keys, spec.metadata)
    if editable:
        meta = field_changes(_set_texts(cur, spec, "footer")) + [
            c for c in document if c.field in EDITABLE_WHEN_FINALIZED
        ] + meta
    deps: tuple[str, ...] = ()
    if meta:
        deps = (ctx.add(UpdateInvoice(key=key, reason=drift_reason(meta), stripe_id=cur.id, changes=tuple(meta))),)
    plan_lifecycle(
        ctx,
        key,
        LifecycleInput(
            position=live_position(cur, ctx.live.events_complete_since),
            desired=spec.status,
            stripe_id=cur.id,
            send_marker=cur.send_marker,
            depends_on=deps + ctx.customer_changes(spec.customer),
            label=label,
            assume_unsent=spec.assume_unsent,
            finalized_at=cur.finalized_at,
            processing=cur.payment_processing,
            charge=charging(ctx, spec, cur),
        ),
    )
    if cur.send_marker == SEND_REQUESTED and cur.sent_event and cur.status in ("open", "uncollectible"):
        # Its `invoice.sent` event is the proof now; in 30 days it is gone, and the marker must say done by then.
        reason = "a stopped run sent it (Stripe holds its invoice.sent event): the send marker is completed, nobody is emailed"
        ctx.add(RecordSend(key=key, reason=reason, stripe_id=cur.id))
    return None


def _revise_or_refuse(
    ctx: Context, prices: PriceChoice, key: str, spec: InvoiceSpec, cur: LiveInvoice,
    changes: tuple[list[str], list[str]], finalizing: Counter[str],
) -> InvoiceTotal | None:
    """Frozen changes (those even a revision keeps, all of them): a revision with `revise: true`
    where Stripe revises, the frozen-invoice error otherwise."""
    fixed, frozen = changes
    # The lifecycle's word for where it is: an emailed open invoice is "sent" here too.
    position = position_word(live_position(cur, ctx.live.events_complete_since))
    why = f"invoice {_label(key, cur)} is {position}: cannot change {'; '.join(frozen)}"
    if spec.revise and cur.status in REVISABLE and not fixed:
        return _plan_revision(ctx, prices, key, spec, cur, why, finalizing)
    way_out = _WAY_OUT.get(cur.status, FROZEN_WAY_OUT)
    if spec.revise and fixed and cur.status in REVISABLE:
        way_out = "a Stripe revision keeps the customer and currency: void it (status: void) and issue a new invoice under a new key"
    ctx.problem("frozen", f"{why}; {way_out}")
    return None


def _plan_revision(
    ctx: Context, prices: PriceChoice, key: str, spec: InvoiceSpec, cur: LiveInvoice, why: str,
    finalizing: Counter[str],
) -> InvoiceTotal | None:
    """Replace `cur` by a Stripe revision brought to the spec (planner.revisions)."""
    if cur.payment_processing:
        ctx.note(f"invoice {_label(key, cur)}: the spec revises it, nothing done now: a customer's payment of it "
                 "is processing; the next plan after it settles decides (paid: a paid invoice cannot be revised)")
        return None
    credited = sorted(note.key for note in ctx.live.credit_notes.values()
                      if note.invoice_id == cur.id and note.status == "issued")
    if credited:
        # "It doesn't, however, duplicate any invoice credit notes" (https://docs.stripe.com/invoicing/invoice-edits).
        ctx.note(f"invoice {_label(key, cur)}: its credit notes ({', '.join(credited)}) stay on it once voided: "
                 "Stripe does not copy credit notes to a revision, which bills its own total in full")
    theirs = credited_by_others(ctx.live, cur)
    if theirs > 0:  # a colleague's credit note: the customer loses it with the original all the same
        ctx.note(f"invoice {_label(key, cur)}: credit notes not in the specs took "
                 f"{format_money(theirs, cur.currency)} off it; they stay on it once voided: Stripe does not copy "
                 "credit notes to a revision, which bills its own total in full (issue the credit again on the "
                 "revision if the customer keeps it)")
    create_id = plan_create_revision(ctx, key, cur, why, ctx.customer_changes(spec.customer))
    return _plan_draft(ctx, prices, key, spec, revision_draft(cur), finalizing, after=(create_id,))
