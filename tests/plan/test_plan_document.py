"""Planner: what an invoice document says (issue 18) — due date, custom fields, date of issue,
rendering, the account's tax IDs, service periods — and which may change after finalization."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from plan_builders import converged, desired, invoice, item, with_invoice

from reconciler.plan.actions import AddInvoiceItem, CreateInvoice, FieldChange, UpdateInvoice, UpdateInvoiceItem
from reconciler.plan.errors import FrozenInvoiceChanges
from reconciler.plan.planner import make_plan
from reconciler.plan.render.text import render_text
from reconciler.spec.document import CustomField, Pdf, Period, Rendering

INV = "jenny-rosen-2026-11"
DEC_15 = dt.date(2026, 12, 15)
DEC_15_NOON = 1_797_336_000  # 2026-12-15T12:00:00Z
PO = CustomField(name="PO number", value="PO-4471")
VENDOR = CustomField(name="Vendor ID", value="V-99812")


def legal_invoice(**over: object) -> object:
    base: dict[str, object] = {
        "days_until_due": None,
        "due_date": DEC_15,
        "custom_fields": [PO],
        "effective_at": dt.date(2026, 12, 1),
        "rendering": Rendering(amount_tax_display="exclude_tax", pdf=Pdf(page_size="a4")),
        "account_tax_ids": ["txi_ours"],
        "items": [item(period=Period(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)))],
    }
    return invoice(**{**base, **over})


def test_noon_utc_is_the_day_stripe_is_sent() -> None:
    assert dt.datetime.fromtimestamp(DEC_15_NOON, dt.UTC) == dt.datetime(2026, 12, 15, 12, tzinfo=dt.UTC)


def test_a_new_invoice_carries_every_document_field() -> None:
    d = desired(invoices={INV: legal_invoice()})
    create, add = make_plan(d, replace(converged(d), invoices={})).actions
    assert isinstance(create, CreateInvoice) and isinstance(add, AddInvoiceItem)
    assert "days_until_due" not in create.params
    assert {k: create.params[k] for k in ("due_date", "custom_fields", "effective_at", "rendering", "account_tax_ids")} == {
        "due_date": DEC_15_NOON,
        "custom_fields": [{"name": "PO number", "value": "PO-4471"}],
        "effective_at": DEC_15_NOON - 14 * 86_400,
        "rendering": {"amount_tax_display": "exclude_tax", "pdf": {"page_size": "a4"}},
        "account_tax_ids": ["txi_ours"],
    }
    assert add.params["period"] == {"start": 1_793_534_400, "end": 1_796_040_000}


def test_the_plan_shows_dates_as_days() -> None:
    d = desired(invoices={INV: legal_invoice()})
    text = render_text(make_plan(d, replace(converged(d), invoices={})))
    assert "due_date = 2026-12-15" in text
    assert "effective_at = 2026-12-01" in text
    assert 'custom_fields = [{"name": "PO number", "value": "PO-4471"}]' in text
    assert "for 2026-11-01..2026-11-30" in text


def _converged_legal(status: str, **over: object) -> tuple[object, object]:
    """The spec, and Stripe holding exactly it (in `status`), with `over` on the live invoice."""
    d = desired(invoices={INV: legal_invoice(status="open" if status != "draft" else "draft")})
    live = converged(d)
    items = tuple(replace(i, period=(1_793_534_400 + 3600, 1_796_040_000 - 3600)) for i in live.invoices[INV].items)
    fields = {
        "status": status,
        "due_date": DEC_15_NOON + 3600,  # another time of the same day
        "custom_fields": (("PO number", "PO-4471"),),
        "effective_at": DEC_15_NOON - 14 * 86_400,
        "amount_tax_display": "exclude_tax",
        "page_size": "a4",
        "account_tax_ids": ("txi_ours",),
        "days_until_due": 9,  # what the reader derives from a due date: not compared
        "items": items,
    }
    return d, with_invoice(live, INV, **{**fields, **over})


@pytest.mark.parametrize("status", ["draft", "open", "paid"])
def test_a_converged_invoice_plans_nothing(status: str) -> None:
    d, live = _converged_legal(status)
    assert make_plan(d, live).is_empty  # type: ignore[arg-type]


def test_fields_the_spec_leaves_out_are_not_compared() -> None:
    d = desired(invoices={INV: invoice(status="open")})
    live = with_invoice(converged(d), INV, status="open", custom_fields=(("Set", "elsewhere"),), page_size="letter",
                        account_tax_ids=("txi_x",), effective_at=1)  # fmt: skip
    assert make_plan(d, live).is_empty


def test_a_draft_takes_every_document_change() -> None:
    d, live = _converged_legal("draft", custom_fields=None, page_size="letter", due_date=DEC_15_NOON + 86_400)
    (update,) = make_plan(d, live).actions  # type: ignore[arg-type]
    assert isinstance(update, UpdateInvoice)
    assert update.changes == (
        FieldChange("due_date", DEC_15_NOON + 86_400, DEC_15_NOON),
        FieldChange("custom_fields", None, [{"name": "PO number", "value": "PO-4471"}]),
        FieldChange("rendering", {"amount_tax_display": "exclude_tax", "pdf": {"page_size": "letter"}},
                    {"amount_tax_display": "exclude_tax", "pdf": {"page_size": "a4"}}),
    )  # fmt: skip


def test_an_open_invoice_updates_custom_fields_footer_and_rendering_as_stripe_allows() -> None:
    d, live = _converged_legal("open", custom_fields=(("PO number", "old"),), page_size="letter")
    d = desired(invoices={INV: legal_invoice(status="open", footer="Thanks", custom_fields=[PO, VENDOR])})
    live = with_invoice(live, INV, footer="Old")  # type: ignore[arg-type]
    (update,) = make_plan(d, live).actions
    assert isinstance(update, UpdateInvoice)
    assert update.stripe_params() == {
        "footer": "Thanks",
        "custom_fields": [{"name": "PO number", "value": "PO-4471"}, {"name": "Vendor ID", "value": "V-99812"}],
        "rendering": {"amount_tax_display": "exclude_tax", "pdf": {"page_size": "a4"}},
    }


def test_removing_every_custom_field_clears_them() -> None:
    d, live = _converged_legal("open")
    d = desired(invoices={INV: legal_invoice(status="open", custom_fields=[])})
    (update,) = make_plan(d, live).actions  # type: ignore[arg-type]
    assert isinstance(update, UpdateInvoice)
    assert update.stripe_params() == {"custom_fields": ""}


def test_due_date_date_of_issue_and_account_tax_ids_are_frozen_once_finalized() -> None:
    d, live = _converged_legal("open", due_date=DEC_15_NOON - 86_400, effective_at=DEC_15_NOON - 15 * 86_400,
                               account_tax_ids=("txi_old",))  # fmt: skip
    with pytest.raises(FrozenInvoiceChanges) as raised:
        make_plan(d, live)  # type: ignore[arg-type]
    message = str(raised.value)
    assert "due_date 2026-12-14 → 2026-12-15" in message
    assert "effective_at 2026-11-30 → 2026-12-01" in message
    assert "account_tax_ids ['txi_old'] → ['txi_ours']" in message


def test_a_paid_invoice_takes_no_custom_field_change() -> None:
    d, live = _converged_legal("paid", custom_fields=(("PO number", "old"),))
    with pytest.raises(FrozenInvoiceChanges, match="custom_fields"):
        make_plan(d, live)  # type: ignore[arg-type]


def test_a_past_due_date_holds_the_new_invoice_only() -> None:
    d = desired(invoices={INV: legal_invoice()})
    live = replace(converged(d), invoices={}, read_at=DEC_15_NOON + 1)
    plan = make_plan(d, live)
    (held,) = plan.conflicts
    assert held.object == f"invoice:{INV}"
    assert held.message == (
        f'invoice {INV}: due_date 2026-12-15 is not in the future (Stripe refuses it: "Invalid timestamp: must be '
        'an integer Unix timestamp in the future."); write a later due_date, or days_until_due'
    )
    assert not any(a.key == INV for a in plan.actions)
    assert make_plan(d, replace(live, read_at=DEC_15_NOON - 1)).conflicts == ()


def test_an_items_period_is_updated_on_a_draft_and_frozen_once_finalized() -> None:
    d, live = _converged_legal("draft")
    moved = [item(period=Period(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 30)))]
    d = desired(invoices={INV: legal_invoice(items=moved)})
    (update,) = make_plan(d, live).actions  # type: ignore[arg-type]
    assert isinstance(update, UpdateInvoiceItem)
    assert update.stripe_params() == {"period": {"start": 1_793_534_400 + 86_400, "end": 1_796_040_000}}
    _, open_live = _converged_legal("open")
    d = desired(invoices={INV: legal_invoice(status="open", items=moved)})
    with pytest.raises(FrozenInvoiceChanges, match=r"period 2026-11-01..2026-11-30 → 2026-11-02..2026-11-30"):
        make_plan(d, open_live)  # type: ignore[arg-type]


def test_an_account_tax_id_the_account_lacks_holds_the_invoice_and_only_it() -> None:
    # Review R11: Stripe answers "No such tax ID" at the create; the plan says so first.
    d = desired(invoices={"a": invoice(account_tax_ids=["txi_GONE"]), "b": invoice(account_tax_ids=["txi_OURS"])})
    live = replace(converged(d), invoices={}, account_tax_ids=frozenset({"txi_OURS"}))
    plan = make_plan(d, live)
    assert [c.message for c in plan.conflicts] == [
        "invoice a: account_tax_ids: no tax ID txi_GONE in the account (it has txi_OURS): Stripe would refuse "
        "the invoice; add it to the account (the Dashboard's tax settings, or POST /v1/tax_ids) or write one of "
        "the account's"
    ]
    assert {a.key for a in plan.actions if isinstance(a, CreateInvoice)} == {"b"}
    # Not read (no spec named them when the state was read): nothing to say.
    assert not make_plan(d, replace(live, account_tax_ids=None)).conflicts
    # A draft already carrying it is not held again for what it no longer changes.
    live = replace(converged(d), account_tax_ids=frozenset({"txi_OURS"}))
    live = with_invoice(live, "a", account_tax_ids=("txi_GONE",))
    assert not make_plan(d, live).conflicts
