"""Planner: who is billed (issue 18) — a customer's address, shipping, locales, tax exemption,
invoice prefix and invoice defaults, each the tool's only where the spec names it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from plan_builders import converged, customer, desired, invoice, live_invoice_for

from reconciler.live.records import Live, PaymentCard
from reconciler.plan.actions import CreateCustomer, FieldChange, UpdateCustomer
from reconciler.plan.planner import make_plan
from reconciler.plan.redact import redact
from reconciler.plan.render.text import render_text
from reconciler.plan.watch import snapshot
from reconciler.spec.billing import Address, CustomerInvoiceSettings, RenderingOptions, Shipping
from reconciler.spec.document import CustomField

KEY = "jenny-rosen"
BERLIN = Address(line1="Friedrichstr. 123", postal_code="10117", city="Berlin", country="DE")
# Stripe's Address: every key present, unset ones null.
STRIPE_BERLIN = {"line1": "Friedrichstr. 123", "line2": None, "city": "Berlin", "state": None,
                 "postal_code": "10117", "country": "DE"}  # fmt: skip


def _live(spec_customer: Any, **values: Any) -> tuple[Any, Live]:
    d = desired(customers={KEY: spec_customer}, invoices={})
    live = converged(d)
    return d, replace(live, customers={KEY: replace(live.customers[KEY], values={**live.customers[KEY].values, **values})})


def test_a_new_customer_is_created_with_what_the_spec_names() -> None:
    spec = customer(
        address=BERLIN,
        shipping=Shipping(name="Lager", address=Address(city="Potsdam", country="DE")),
        preferred_locales=["de", "en"],
        tax_exempt="reverse",
        invoice_prefix="BERL",
        invoice_settings=CustomerInvoiceSettings(
            custom_fields=[CustomField(name="Vendor ID", value="V-99812")], footer="Danke",
            rendering_options=RenderingOptions(amount_tax_display="exclude_tax"),
        ),
    )
    d = desired(customers={KEY: spec}, invoices={})
    (create,) = [a for a in make_plan(d, Live()).actions if isinstance(a, CreateCustomer)]
    params = {k: v for k, v in create.params.items() if k not in ("name", "email", "metadata")}
    assert params == {
        "address": {"line1": "Friedrichstr. 123", "city": "Berlin", "postal_code": "10117", "country": "DE"},
        "shipping": {"name": "Lager", "address": {"city": "Potsdam", "country": "DE"}},
        "preferred_locales": ["de", "en"],
        "tax_exempt": "reverse",
        "invoice_prefix": "BERL",
        "invoice_settings": {
            "custom_fields": [{"name": "Vendor ID", "value": "V-99812"}],
            "footer": "Danke",
            "rendering_options": {"amount_tax_display": "exclude_tax"},
        },
    }


def test_what_the_spec_does_not_name_is_left_alone() -> None:
    # An address the customer entered in the portal, a card a checkout saved, Stripe's own prefix.
    d, live = _live(customer(), address=STRIPE_BERLIN, invoice_prefix="A1B2C3D4", tax_exempt="exempt",
                    invoice_settings={"custom_fields": None, "footer": "set in the Dashboard", "rendering_options": None})
    live = replace(live, customers={KEY: replace(live.customers[KEY], default_payment_method=PaymentCard("pm_1"))})
    assert make_plan(d, live).is_empty


def test_an_address_is_compared_on_the_lines_the_spec_names() -> None:
    d, live = _live(customer(address=Address(city="Berlin", country="DE")), address=STRIPE_BERLIN)
    assert make_plan(d, live).is_empty
    d, live = _live(customer(address=Address(city="Munich", country="DE")), address=STRIPE_BERLIN)
    (update,) = make_plan(d, live).actions
    assert isinstance(update, UpdateCustomer)
    assert update.changes == (
        FieldChange("address", {"city": "Berlin", "country": "DE"}, {"city": "Munich", "country": "DE"}),
    )
    assert update.stripe_params() == {"address": {"city": "Munich", "country": "DE"}}


def test_invoice_settings_never_touch_the_default_payment_method() -> None:
    spec = customer(invoice_settings=CustomerInvoiceSettings(footer="Thanks"))
    d, live = _live(spec, invoice_settings={"custom_fields": None, "footer": "Old", "rendering_options": None})
    (update,) = make_plan(d, live).actions
    assert update.stripe_params() == {"invoice_settings": {"footer": "Thanks"}}  # type: ignore[attr-defined]


def test_empty_custom_fields_clear_them() -> None:
    spec = customer(invoice_settings=CustomerInvoiceSettings(custom_fields=[]))
    fields = [{"name": "PO", "value": "1"}]
    d, live = _live(spec, invoice_settings={"custom_fields": fields, "footer": None, "rendering_options": None})
    (update,) = make_plan(d, live).actions
    assert update.stripe_params() == {"invoice_settings": {"custom_fields": ""}}  # type: ignore[attr-defined]


def test_redact_masks_addresses_and_shipping_and_plan_files_digest_them() -> None:
    d = desired(customers={KEY: customer(address=BERLIN, shipping=Shipping(name="Lager", address=BERLIN))}, invoices={})
    text = render_text(redact(make_plan(d, Live())))
    assert "Friedrichstr" not in text and "Lager" not in text
    assert 'address = "(redacted)"' in text and 'shipping = "(redacted)"' in text
    _, live = _live(customer(), address=STRIPE_BERLIN)
    watched = snapshot("customer", live.customers[KEY])
    assert isinstance(watched["address"], str) and "Berlin" not in watched["address"]


def test_the_finalize_says_it_comes_with_the_new_address_and_a_finalized_invoice_keeps_the_old() -> None:
    from plan_builders import invoice, with_invoice

    from reconciler.plan.actions import FinalizeInvoice

    d = desired(customers={KEY: customer(address=Address(city="Munich", country="DE"))},
                invoices={"inv": invoice(status="open")})  # fmt: skip
    live = converged(d)
    live = replace(live, customers={KEY: replace(live.customers[KEY],
                                                 values={**live.customers[KEY].values, "address": STRIPE_BERLIN})})
    plan = make_plan(d, with_invoice(live, "inv", status="draft"))
    (finalize,) = [a for a in plan.actions if isinstance(a, FinalizeInvoice)]
    assert finalize.reason == (
        "finalize the draft (spec status: open); finalized with the new address (the customer's update comes first)"
    )
    assert finalize.depends_on[-1] == f"UpdateCustomer:{KEY}"
    opened = make_plan(d, with_invoice(live, "inv", status="open", number="N-1"))
    assert opened.notes == (
        f"invoice inv (in_inv, number N-1) was finalized before this plan's change of customer {KEY}: it keeps the old "
        "address (Stripe copied them onto it at finalization)",
    )


def test_tax_ids_ride_on_the_create_and_a_changed_value_is_a_removal_and_an_addition() -> None:
    from reconciler.plan.actions import AddTaxId, RemoveTaxId
    from reconciler.spec.billing import TaxId

    vat = TaxId(type="eu_vat", value="DE123456789")
    d = desired(customers={KEY: customer(tax_ids=[vat])}, invoices={})
    (create,) = [a for a in make_plan(d, Live()).actions if isinstance(a, CreateCustomer)]
    assert create.params["tax_id_data"] == [{"type": "eu_vat", "value": "DE123456789"}]
    assert "DE123456789" not in render_text(redact(make_plan(d, Live())))  # --redact masks tax_id_data
    live = converged(d)
    held = replace(live.customers[KEY], tax_id_objects=(("txi_1", "eu_vat", "DE123456789"),))
    assert make_plan(d, replace(live, customers={KEY: held})).is_empty
    d = desired(customers={KEY: customer(tax_ids=[TaxId(type="eu_vat", value="DE999999999")])}, invoices={})
    remove, add = make_plan(d, replace(live, customers={KEY: held})).actions
    assert isinstance(remove, RemoveTaxId) and remove.stripe_id == "txi_1"
    assert isinstance(add, AddTaxId) and add.params == {"type": "eu_vat", "value": "DE999999999"}
    assert add.depends_on == (remove.id,)
    assert "DE999999999" not in add.id and "DE123456789" not in remove.id  # ids reach plan files and logs
    text = render_text(redact(make_plan(d, replace(live, customers={KEY: held}))))
    assert "DE999999999" not in text and '+ add tax ID "eu_vat" "(redacted)"' in text


def test_tax_ids_the_spec_does_not_name_are_left_alone() -> None:
    d = desired(customers={KEY: customer()}, invoices={})
    live = converged(d)
    held = replace(live.customers[KEY], tax_id_objects=(("txi_1", "eu_vat", "DE123456789"),))
    assert make_plan(d, replace(live, customers={KEY: held})).is_empty


def test_redact_masks_the_tax_ids_a_new_customer_is_created_with() -> None:
    from reconciler.plan.redact import redact_request_params
    from reconciler.spec.billing import TaxId

    d = desired(customers={KEY: customer(tax_ids=[TaxId(type="eu_vat", value="DE123456789")])}, invoices={})
    text = render_text(redact(make_plan(d, Live())))
    assert "DE123456789" not in text and 'tax_id_data = "(redacted)"' in text
    (create,) = [a for a in make_plan(d, Live()).actions if isinstance(a, CreateCustomer)]
    shown = redact_request_params("/v1/customers", dict(create.params))  # apply --dry-run --redact
    assert shown["tax_id_data"] == "(redacted)" and "DE123456789" not in str(shown)


def test_an_invoice_finalized_here_names_who_it_bills_and_redact_masks_it() -> None:
    from plan_builders import invoice

    from reconciler.live.account import Account
    from reconciler.plan.review import plan_for_review
    from reconciler.spec.billing import TaxId

    spec = customer(address=BERLIN, tax_ids=[TaxId(type="eu_vat", value="DE123456789")])
    d = desired(customers={KEY: spec}, invoices={"inv": invoice(status="sent")})
    plan = plan_for_review(d, Live(), account=Account("acct_1", False))
    (notice,) = plan.notices
    assert notice.recipient == (
        "Jenny Rosen <jenny.rosen@example.com>, billed to Friedrichstr. 123, 10117 Berlin, DE; eu_vat DE123456789"
    )
    assert [n.recipient for n in redact(plan).notices] == ["(redacted)"]


def test_a_new_invoice_prefix_after_a_finalized_invoice_holds_the_customer() -> None:
    # Review R13: Stripe refuses the change once an invoice was finalized; planned, it failed at
    # apply and every finalize of the customer (waiting for its changes) failed with it, each run.
    d = desired(customers={KEY: customer(invoice_prefix="XYZ")},
                invoices={"i1": invoice(status="open"), "i3": invoice(status="draft")})  # fmt: skip
    live = converged(d)
    live = replace(live, customers={KEY: replace(live.customers[KEY],
                                                 values={**live.customers[KEY].values, "invoice_prefix": "ABC"})})  # fmt: skip
    d = d.model_copy(update={"invoices": {**d.invoices, "i3": invoice(status="open")}})
    plan = make_plan(d, live)
    held = {c.object: c.message for c in plan.conflicts}
    assert held[f"customer:{KEY}"] == (
        f'customer {KEY}: invoice_prefix cannot change from "ABC" to "XYZ": invoice i1 (in_i1, number NUM-i1) was '
        "finalized, and Stripe refuses a new prefix once one was: write `invoice_prefix: ABC` (or leave it out); "
        "a new prefix needs a new customer"
    )
    assert "invoice:i3" in held  # not finalized with the details the spec no longer wants
    assert not [a for a in plan.actions if a.key in (KEY, "i3")]


def test_a_new_invoice_prefix_before_any_finalized_invoice_is_an_update() -> None:
    d = desired(customers={KEY: customer(invoice_prefix="XYZ")}, invoices={"i3": invoice(status="open")})
    live = converged(d, invoices={"i3": live_invoice_for(d, "i3", status="draft", finalized_at=None, number=None)})
    live = replace(live, customers={KEY: replace(live.customers[KEY],
                                                 values={**live.customers[KEY].values, "invoice_prefix": "ABC"})})  # fmt: skip
    plan = make_plan(d, live)
    assert not plan.conflicts
    assert [type(a).__name__ for a in plan.actions] == ["UpdateCustomer", "FinalizeInvoice"]


def test_an_empty_address_or_shipping_removes_them_and_nothing_to_remove_plans_nothing() -> None:
    # Review R22: Stripe unsets both with "" (as `line2: ""` clears one line).
    shipping = {"name": "Lager", "phone": None, "address": STRIPE_BERLIN}
    d, live = _live(customer(address="", shipping=""), address=STRIPE_BERLIN, shipping=shipping)
    (update,) = make_plan(d, live).actions
    assert update.stripe_params() == {"address": "", "shipping": ""}  # type: ignore[attr-defined]
    d, live = _live(customer(address="", shipping=""), address=None, shipping=None)
    assert make_plan(d, live).is_empty
    d, live = _live(customer(address=""), address={k: None for k in STRIPE_BERLIN})
    assert make_plan(d, live).is_empty
