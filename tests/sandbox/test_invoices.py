"""Invoices: drafts, totals, lines, lifecycle and refusals, through the real SDK."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
import stripe

from reconciler.sandbox import RunningSandbox
from reconciler.sandbox.models.invoiceitems import unit_amount_decimal

from .helpers import error_of, make_customer, make_draft, make_in_status, make_open, make_price


def test_send_invoice_requires_days_until_due(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice"})
    assert error_of(caught.value)["param"] == "days_until_due"


def test_invoice_requires_known_customer(stripe_client: stripe.StripeClient) -> None:
    # A missing object named by a parameter is a 400 (a URL naming one is a 404).
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.create({"customer": "cus_nope"})
    assert (caught.value.http_status, error_of(caught.value)["param"]) == (400, "customer")


def test_totals_follow_every_item_change(stripe_client: stripe.StripeClient) -> None:
    price = make_price(stripe_client, 1000)
    draft = make_draft(stripe_client, items=1, amount=500)
    item = stripe_client.v1.invoice_items.create(
        {"invoice": draft.id, "pricing": {"price": price.id}, "quantity": 3}
    )
    assert (item.amount, item.description) == (3000, "Gold Special")
    assert stripe_client.v1.invoices.retrieve(draft.id).total == 3500
    stripe_client.v1.invoice_items.update(item.id, {"quantity": 1})
    assert stripe_client.v1.invoices.retrieve(draft.id).amount_due == 1500
    stripe_client.v1.invoice_items.delete(item.id)
    after = stripe_client.v1.invoices.retrieve(draft.id)
    assert (after.subtotal, after.total, after.amount_remaining) == (500, 500, 500)


def test_an_item_amount_with_a_quantity_is_refused_like_stripe(stripe_client: stripe.StripeClient) -> None:
    # `amount` is the item's total: Stripe refuses a quantity beside it, on create and update.
    draft = make_draft(stripe_client, items=1, amount=1001)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create({"invoice": draft.id, "amount": 1001, "currency": "usd", "quantity": 3})
    assert caught.value.http_status == 400
    assert error_of(caught.value) == {
        "type": "invalid_request_error",
        "message": "You may only specify one of these parameters: amount, quantity.",
        "param": "amount",
    }
    item = stripe_client.v1.invoice_items.list({"invoice": draft.id}).data[0]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoice_items.update(item.id, {"amount": 2000, "quantity": 2})
    assert stripe_client.v1.invoices.retrieve(draft.id).total == 1001
    # The unit amount of an amount item is its amount, exactly.
    assert (item.quantity, item.pricing.unit_amount_decimal) == (1, Decimal("1001"))


def testunit_amount_decimal_divides_exactly_to_twelve_places() -> None:
    assert [unit_amount_decimal(a, q) for a, q in [(1001, 3), (1000, 4), (-7, 2), (5, 0)]] == [
        "333.666666666667",
        "250",
        "-3.5",
        "0",
    ]


def test_currency_is_fixed_at_creation_and_items_must_match(stripe_client: stripe.StripeClient) -> None:
    # Was: the first item set the currency (issue 23: Stripe fixes it at creation).
    customer = make_customer(stripe_client)
    invoice = stripe_client.v1.invoices.create({"customer": customer.id})
    assert invoice.currency == "usd"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create({"invoice": invoice.id, "amount": 100, "currency": "eur"})
    assert error_of(caught.value)["param"] == "currency"
    assert stripe_client.v1.invoices.retrieve(invoice.id).currency == "usd"


def test_lines_embed_ten_and_paginate(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client, items=12, amount=100)
    assert len(draft.lines.data) == 10 and draft.lines.has_more is True
    assert draft.lines.url == f"/v1/invoices/{draft.id}/lines"
    assert all(line.id.startswith("il_") for line in draft.lines.data)
    rest = stripe_client.v1.invoices.line_items.list(
        draft.id, {"starting_after": draft.lines.data[-1].id, "limit": 10}
    )
    assert len(rest.data) == 2 and rest.has_more is False
    everything = [line.id for line in draft.lines.auto_paging_iter()]
    assert len(everything) == 12 and len(set(everything)) == 12
    assert draft.total == 1200


@pytest.mark.slow
def test_more_than_250_items_refused(stripe_client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    draft = make_draft(stripe_client, items=0)
    from reconciler.sandbox.models import invoiceitems

    with sandbox.app.store.transaction() as tx:
        for _ in range(250):
            invoiceitems.create(sandbox.app.ctx, tx, {"invoice": draft.id, "amount": 1, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoice_items.create({"invoice": draft.id, "amount": 1, "currency": "usd"})
    assert "more than 250 invoice items" in error_of(caught.value)["message"]


def test_finalize_assigns_number_and_url_due_date_from_creation(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    numbers = []
    for _ in range(2):
        invoice = stripe_client.v1.invoices.create(
            {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 7}
        )
        stripe_client.v1.invoice_items.create({"invoice": invoice.id, "amount": 100, "currency": "usd"})
        done = stripe_client.v1.invoices.finalize_invoice(invoice.id)
        assert done.due_date == invoice.created + 7 * 86400
        assert done.hosted_invoice_url and done.hosted_invoice_url.startswith("https://")
        numbers.append(done.number)
    assert numbers == [f"{customer.invoice_prefix}-0001", f"{customer.invoice_prefix}-0002"]


def test_zero_amount_invoice_is_paid_at_finalization(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client, items=0)
    assert stripe_client.v1.invoices.finalize_invoice(draft.id).status == "paid"


@pytest.mark.parametrize(
    ("status_path", "action", "message"),
    [
        ("open", "finalize_invoice", "already finalized"),
        # Was a draft refused (issue 23: Stripe finalizes a draft before sending it).
        ("void", "send_invoice", "You can only send open or paid invoices"),
        ("draft", "void_invoice", "You can only void open or uncollectible invoices"),
        ("draft", "mark_uncollectible", "You can only mark as uncollectible open invoices"),
        ("paid", "void_invoice", "This invoice"),
        ("void", "pay", "You can only pay open or uncollectible invoices"),
        ("uncollectible", "mark_uncollectible", "is uncollectible"),
    ],
)
def test_invalid_transitions_refused(
    stripe_client: stripe.StripeClient, status_path: str, action: str, message: str
) -> None:
    invoices = stripe_client.v1.invoices
    invoice = make_in_status(stripe_client, status_path)
    call = getattr(invoices, action)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call(invoice.id, {"paid_out_of_band": True}) if action == "pay" else call(invoice.id)
    assert message in error_of(caught.value)["message"]
    assert caught.value.http_status == 400
    assert invoices.retrieve(invoice.id).status == status_path


def test_lifecycle_paths(stripe_client: stripe.StripeClient) -> None:
    invoices = stripe_client.v1.invoices
    paid = invoices.pay(make_open(stripe_client).id, {"paid_out_of_band": True})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1000, 0)
    assert paid.status_transitions.paid_at is not None
    voided = invoices.void_invoice(make_open(stripe_client).id)
    assert voided.status == "void" and voided.status_transitions.voided_at is not None
    bad = invoices.mark_uncollectible(make_open(stripe_client).id)
    assert bad.status == "uncollectible"
    assert invoices.pay(bad.id, {"paid_out_of_band": True}).status == "paid"
    other = invoices.mark_uncollectible(make_open(stripe_client).id)
    assert invoices.void_invoice(other.id).status == "void"


def test_pay_without_out_of_band_refused(stripe_client: stripe.StripeClient) -> None:
    invoice = make_open(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.pay(invoice.id)
    assert error_of(caught.value)["param"] == "paid_out_of_band"


def test_send_twice_records_two_sent_events(stripe_client: stripe.StripeClient) -> None:
    invoice = make_open(stripe_client)
    stripe_client.v1.invoices.send_invoice(invoice.id)
    stripe_client.v1.invoices.send_invoice(invoice.id)
    sent = stripe_client.v1.events.list({"type": "invoice.sent"})
    assert [e.data.object["id"] for e in sent.data] == [invoice.id, invoice.id]


def test_send_refused_for_charge_automatically(stripe_client: stripe.StripeClient) -> None:
    invoice = make_open(stripe_client, method="charge_automatically")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.send_invoice(invoice.id)
    assert "collection method is 'send_invoice'" in error_of(caught.value)["message"]


def test_delete_only_drafts(stripe_client: stripe.StripeClient) -> None:
    draft = make_draft(stripe_client)
    assert stripe_client.v1.invoices.delete(draft.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        stripe_client.v1.invoices.retrieve(draft.id)
    assert gone.value.http_status == 404
    opened = make_open(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.delete(opened.id)
    assert "You can only delete draft invoices" in error_of(caught.value)["message"]


def test_finalized_invoice_edits(stripe_client: stripe.StripeClient) -> None:
    invoice = make_open(stripe_client)
    # Was `description` (issue 23: "For most invoices, this also includes description").
    ok = stripe_client.v1.invoices.update(invoice.id, {"footer": "Thanks", "metadata": {"a": "b"}})
    assert (ok.footer, ok.metadata.to_dict()) == ("Thanks", {"a": "b"})
    with pytest.raises(stripe.InvalidRequestError) as described:
        stripe_client.v1.invoices.update(invoice.id, {"description": "Thanks"})
    assert error_of(described.value)["code"] == "invoice_not_editable"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.update(invoice.id, {"collection_method": "charge_automatically"})
    assert error_of(caught.value)["code"] == "invoice_not_editable"
    assert error_of(caught.value)["param"] == "collection_method"
    paid = stripe_client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    with pytest.raises(stripe.InvalidRequestError) as frozen:
        stripe_client.v1.invoices.update(paid.id, {"description": "late"})
    assert error_of(frozen.value)["code"] == "invoice_not_editable"
    assert stripe_client.v1.invoices.update(paid.id, {"metadata": {"c": "d"}}).metadata.to_dict() == {
        "a": "b", "c": "d"
    }


def test_items_of_finalized_invoice_not_editable(stripe_client: stripe.StripeClient) -> None:
    invoice = make_open(stripe_client)
    item_id = invoice.lines.data[0].parent.invoice_item_details.invoice_item
    for attempt in (
        lambda: stripe_client.v1.invoice_items.create({"invoice": invoice.id, "amount": 1, "currency": "usd"}),
        lambda: stripe_client.v1.invoice_items.update(item_id, {"description": "x"}),
        lambda: stripe_client.v1.invoice_items.delete(item_id),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            attempt()
        assert error_of(caught.value)["code"] == "invoice_not_editable"
    assert stripe_client.v1.invoices.retrieve(invoice.id).total == 1000


def test_pending_items_included_only_on_request(stripe_client: stripe.StripeClient) -> None:
    customer = make_customer(stripe_client)
    pending = stripe_client.v1.invoice_items.create({"customer": customer.id, "amount": 700, "currency": "usd"})
    assert pending.invoice is None
    listed = stripe_client.v1.invoice_items.list({"pending": True})
    assert [i.id for i in listed.data] == [pending.id]
    excluded = stripe_client.v1.invoices.create({"customer": customer.id})
    assert excluded.total == 0
    included = stripe_client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    assert included.total == 700
    assert stripe_client.v1.invoice_items.retrieve(pending.id).invoice == included.id


def test_list_filters(stripe_client: stripe.StripeClient) -> None:
    a = make_open(stripe_client)
    b = make_draft(stripe_client, method="charge_automatically")
    assert [i.id for i in stripe_client.v1.invoices.list({"status": "open"}).data] == [a.id]
    assert [i.id for i in stripe_client.v1.invoices.list({"collection_method": "charge_automatically"}).data] == [b.id]
    assert [i.id for i in stripe_client.v1.invoices.list({"customer": str(a.customer)}).data] == [a.id]
    assert [i.id for i in stripe_client.v1.invoices.list({"created": {"gte": a.created}}).data] == [b.id, a.id]


def test_expand_customer_on_invoice(stripe_client: stripe.StripeClient) -> None:
    invoice = make_draft(stripe_client)
    expanded = stripe_client.v1.invoices.retrieve(invoice.id, {"expand": ["customer"]})
    assert isinstance(expanded.customer, stripe.Customer) and expanded.customer.name == "Jenny Rosen"
    listed = stripe_client.v1.invoices.list({"expand": ["data.customer"]})
    assert listed.data[0].customer.email == "jenny.rosen@example.com"  # type: ignore[union-attr]


def test_account_invoice_defaults_fill_new_invoices_footer_and_memo(
    sandbox: RunningSandbox, stripe_client: stripe.StripeClient
) -> None:
    customer = make_customer(stripe_client)
    before = stripe_client.v1.invoices.create({"customer": customer.id})
    assert (before.footer, before.description) == (None, None)

    settings = sandbox.set_account_settings(invoice_footer="ACME Inc., 1 Main St", invoice_memo="Thanks!")
    assert settings == {"invoice_footer": "ACME Inc., 1 Main St", "invoice_memo": "Thanks!"}
    filled = stripe_client.v1.invoices.create({"customer": customer.id})
    assert (filled.footer, filled.description) == ("ACME Inc., 1 Main St", "Thanks!")
    own = stripe_client.v1.invoices.create({"customer": customer.id, "footer": "Own", "description": "Mine"})
    assert (own.footer, own.description) == ("Own", "Mine")
    # A customer's own default footer comes before the account's.
    special = make_customer(stripe_client, invoice_settings={"footer": "Customer footer"})
    assert stripe_client.v1.invoices.create({"customer": special.id}).footer == "Customer footer"
    # Invoices keep what they were created with.
    assert stripe_client.v1.invoices.retrieve(before.id).footer is None

    assert sandbox.set_account_settings(invoice_memo=None) == {
        "invoice_footer": "ACME Inc., 1 Main St",
        "invoice_memo": None,
    }
    assert stripe_client.v1.invoices.create({"customer": customer.id}).description is None
    sandbox.reset()
    assert sandbox.set_account_settings() == {"invoice_footer": None, "invoice_memo": None}


def test_account_settings_over_the_admin_surface(sandbox: RunningSandbox) -> None:
    def call(method: str, body: dict[str, object] | None = None) -> tuple[int, dict[str, object]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{sandbox.url}/_sandbox/account_settings", data=data, method=method)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    assert call("POST", {"invoice_footer": "Footer"}) == (200, {"invoice_footer": "Footer", "invoice_memo": None})
    assert call("GET") == (200, {"invoice_footer": "Footer", "invoice_memo": None})
    status, payload = call("POST", {"invoice_colour": "red"})
    assert status == 400 and payload["error"]["message"] == "Unknown account setting: invoice_colour"  # type: ignore[index]
    status, payload = call("POST", {"invoice_memo": 7})
    assert status == 400 and payload["error"]["message"] == "Account setting invoice_memo must be a string or null"  # type: ignore[index]
