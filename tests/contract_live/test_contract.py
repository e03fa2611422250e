"""The same scenarios against the sandbox and, with a key, real Stripe test mode.

Scenarios create their own objects (unique names, never listing the whole
account) so they run in a shared test account; they assert only what both
backends must agree on.
"""

from __future__ import annotations

import uuid

import pytest
import stripe


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def _error(exc: stripe.StripeError) -> dict[str, object]:
    assert exc.json_body is not None
    return dict(exc.json_body["error"])


def test_quickstart_flow(backend: stripe.StripeClient) -> None:
    tag = _tag()
    product = backend.v1.products.create({"name": f"Gold Special {tag}"})
    price = backend.v1.prices.create({"product": product.id, "unit_amount": 1000, "currency": "usd"})
    customer = backend.v1.customers.create(
        {"name": "Jenny Rosen", "email": f"jenny.rosen+{tag}@example.com", "description": "My first customer"}
    )
    invoice = backend.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30,
         "auto_advance": False}
    )
    item = backend.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "pricing": {"price": price.id}}
    )
    assert item.amount == 1000 and item.pricing is not None
    assert item.pricing.type == "price_details"
    assert item.pricing.price_details is not None and item.pricing.price_details.price == price.id
    draft = backend.v1.invoices.retrieve(invoice.id)
    assert (draft.status, draft.number, draft.total) == ("draft", None, 1000)
    opened = backend.v1.invoices.finalize_invoice(invoice.id)
    assert opened.status == "open" and opened.number is not None
    assert opened.due_date is not None and opened.hosted_invoice_url is not None
    assert [line.amount for line in opened.lines.data] == [1000]
    backend.v1.invoices.send_invoice(invoice.id)
    paid = backend.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    assert (paid.status, paid.amount_remaining) == ("paid", 0)
    found = backend.v1.customers.list({"email": f"jenny.rosen+{tag}@example.com"})
    assert [c.id for c in found.data] == [customer.id]


def test_frozen_invoice_refuses_item_changes(backend: stripe.StripeClient) -> None:
    customer = backend.v1.customers.create({"name": f"Frozen {_tag()}"})
    invoice = backend.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30,
         "auto_advance": False}
    )
    backend.v1.invoice_items.create({"invoice": invoice.id, "amount": 500, "currency": "usd"})
    backend.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        backend.v1.invoice_items.create({"invoice": invoice.id, "amount": 500, "currency": "usd"})
    assert caught.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError):
        backend.v1.invoices.delete(invoice.id)
    backend.v1.invoices.void_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError):
        backend.v1.invoices.finalize_invoice(invoice.id)


def test_idempotent_replay_and_conflict(backend: stripe.StripeClient) -> None:
    key = f"contract-{_tag()}"
    first = backend.v1.customers.create({"name": "Once"}, {"idempotency_key": key})
    again = backend.v1.customers.create({"name": "Once"}, {"idempotency_key": key})
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    with pytest.raises(stripe.IdempotencyError):
        backend.v1.customers.create({"name": "Other"}, {"idempotency_key": key})


def test_parameter_errors(backend: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        backend.v1.products.create({"name": "x", "bogus": "1"})  # type: ignore[typeddict-unknown-key]
    assert (_error(unknown.value)["code"], _error(unknown.value)["param"]) == ("parameter_unknown", "bogus")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        backend.v1.products.create({})  # type: ignore[typeddict-item]
    assert (_error(missing.value)["code"], _error(missing.value)["param"]) == ("parameter_missing", "name")
    with pytest.raises(stripe.InvalidRequestError) as absent:
        backend.v1.customers.retrieve(f"cus_missing{_tag()}")
    assert absent.value.http_status == 404 and _error(absent.value)["code"] == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as limit:
        backend.v1.customers.list({"limit": 101})
    assert _error(limit.value)["param"] == "limit"


def test_metadata_merge_and_unset(backend: stripe.StripeClient) -> None:
    customer = backend.v1.customers.create({"name": f"Meta {_tag()}", "metadata": {"a": "1", "b": "2"}})
    updated = backend.v1.customers.update(customer.id, {"metadata": {"a": "", "c": "3"}})
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    cleared = backend.v1.customers.update(customer.id, {"metadata": ""})
    assert cleared.metadata.to_dict() == {}
    backend.v1.customers.delete(customer.id)
    assert backend.v1.customers.retrieve(customer.id).deleted is True


def test_account_names_the_key_s_account(backend: stripe.StripeClient) -> None:
    # reconciler records this id in a plan file and refuses the plan on another account.
    account = backend.v1.accounts.retrieve_current()
    assert account.object == "account"
    assert account.id.startswith("acct_")
    assert backend.v1.accounts.retrieve_current().id == account.id


def test_revision_links_copies_and_voids_the_original(backend: stripe.StripeClient) -> None:
    # What the tool relies on for `revise: true` (docs/lifecycle.md): the links, the copied lines
    # with their metadata (the items' keys), the copied invoice metadata, the original voided when
    # the revision is finalized; and no revision of a paid invoice. Real Stripe settles the
    # sandbox's choices (docs/sandbox.md: metadata copied) here.
    customer = backend.v1.customers.create({"name": f"Revised {_tag()}"})
    invoice = backend.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30,
         "auto_advance": False, "metadata": {"reconciler_id": "contract-revision"}}
    )
    backend.v1.invoice_items.create(
        {"invoice": invoice.id, "amount": 500, "currency": "usd", "metadata": {"reconciler_item": "fee"}}
    )
    original = backend.v1.invoices.finalize_invoice(invoice.id)
    revision = backend.v1.invoices.create({"from_invoice": {"action": "revision", "invoice": original.id}})
    assert revision.status == "draft" and revision.from_invoice is not None
    assert (revision.from_invoice.action, revision.from_invoice.invoice) == ("revision", original.id)
    assert revision.metadata.to_dict().get("reconciler_id") == "contract-revision"
    assert [(line.amount, line.metadata.to_dict()) for line in revision.lines.data] == [(500, {"reconciler_item": "fee"})]
    assert backend.v1.invoices.retrieve(original.id).latest_revision is None
    finalized = backend.v1.invoices.finalize_invoice(revision.id)
    replaced = backend.v1.invoices.retrieve(original.id)
    assert (finalized.status, replaced.status, replaced.latest_revision) == ("open", "void", revision.id)
    backend.v1.invoices.pay(revision.id, {"paid_out_of_band": True})
    with pytest.raises(stripe.InvalidRequestError):
        backend.v1.invoices.create({"from_invoice": {"action": "revision", "invoice": revision.id}})
