"""Property: any small account made by hand imports into specs that validate, plans
only adoptions, adopts, and then plans nothing; the import writes nothing to Stripe."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sdk_client import sdk_client

from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import NullReporter
from reconciler.apply.runner import apply_plan
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.importer import ImportRequest, run_import
from reconciler.plan.planner import make_plan
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox
from reconciler.spec.loader import load_specs

pytestmark = pytest.mark.slow  # property test over sandbox accounts

NAMES = ["Dana Scully", "Fox Mulder", "Zoë", "Acme Corp."]
STATES = ["draft", "open", "sent", "paid", "void", "uncollectible"]

prices = st.lists(st.tuples(st.sampled_from([0, 500, 1000]), st.sampled_from(["usd", "eur"]), st.booleans()), max_size=2)
products = st.lists(st.tuples(st.sampled_from(NAMES), st.booleans(), prices), min_size=1, max_size=3)
customers = st.lists(st.tuples(st.sampled_from(NAMES), st.booleans()), min_size=1, max_size=3)
items = st.lists(st.one_of(st.integers(0, 9), st.sampled_from([100, 2500])), min_size=1, max_size=3)
invoices = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["usd", "eur"]), items, st.sampled_from(STATES), st.booleans()),
    max_size=4,
)
accounts = st.tuples(products, customers, invoices)


def build(client: stripe.StripeClient, account: Any) -> None:
    """The account, made through the SDK as a person would in the Dashboard."""
    product_specs, customer_specs, invoice_specs = account
    one_off: list[tuple[str, str]] = []  # (price id, currency)
    archive: list[str] = []
    for name, active, price_specs in product_specs:
        product = client.v1.products.create(params={"name": name})
        for amount, currency, archived in price_specs:
            price = client.v1.prices.create(params={"product": product.id, "unit_amount": amount, "currency": currency})
            one_off.append((price.id, currency))
            archive += [price.id] if archived else []
        if not active:
            client.v1.products.update(product.id, params={"active": False})
    people = [
        client.v1.customers.create(params={"name": name, **({"email": "x@example.com"} if email else {})}).id
        for name, email in customer_specs
    ]
    for who, currency, lines, state, charged in invoice_specs:
        customer = people[who % len(people)]
        terms = {"collection_method": "charge_automatically"} if charged else {"collection_method": "send_invoice", "days_until_due": 30}
        invoice = client.v1.invoices.create(params={"customer": customer, "currency": currency, **terms})
        usable = [price_id for price_id, c in one_off if c == currency]
        for line in lines:
            if isinstance(line, int) and line < 10 and usable:
                item: dict[str, Any] = {"pricing": {"price": usable[line % len(usable)]}, "quantity": 1 + line % 3}
            else:
                item = {"amount": line if line >= 10 else 100, "currency": currency, "description": f"Fee {line}"}
            client.v1.invoice_items.create(params={"customer": customer, "invoice": invoice.id, **item})
        _advance(client, invoice.id, state, charged)
    for price_id in archive:
        client.v1.prices.update(price_id, params={"active": False})


def _advance(client: stripe.StripeClient, invoice_id: str, state: str, charged: bool) -> None:
    if state == "draft":
        return
    finalized = client.v1.invoices.finalize_invoice(invoice_id, params={"auto_advance": False})
    if finalized.status == "paid":  # a zero total is paid at once
        return
    if state == "sent" and not charged:
        client.v1.invoices.send_invoice(invoice_id)
    elif state == "paid":
        client.v1.invoices.pay(invoice_id, params={"paid_out_of_band": True})
    elif state == "void":
        client.v1.invoices.void_invoice(invoice_id)
    elif state == "uncollectible":
        client.v1.invoices.mark_uncollectible(invoice_id)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=accounts)
def test_any_small_account_round_trips(sandbox_session: RunningSandbox, account: Any) -> None:
    sandbox_session.reset()
    client = sdk_client(sandbox_session.url)
    build(client, account)
    gateway = StripeGateway(SANDBOX_API_KEY, api_base=sandbox_session.url)
    writes = sandbox_session.stats()["writes"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "specs"
        report = run_import(ImportRequest(out=out), gateway)
        assert sandbox_session.stats()["writes"] == writes
        desired = load_specs([out])
        live = read_live(gateway, adopt=desired.adopt_ids())
        plan = make_plan(desired, live)
        assert {a.section for a in plan.actions} == {"adopt"} and len(plan.actions) == report.adopted
        result = apply_plan(plan, gateway, live, options=ApplyOptions(max_rps=1000), reporter=NullReporter())
        assert result.ok, result.failed
        again = make_plan(desired, read_live(gateway, adopt=desired.adopt_ids()))
        assert again.actions == () and again.notes == ()
