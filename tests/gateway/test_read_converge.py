"""Reader + planner + applier against the sandbox through the real SDK: states
the reviewer found wedged (two active prices of one key, a lookup key held by
an unmanaged price, zero-total invoices, unmanaged items) now plan and converge."""

from __future__ import annotations

import stripe

from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import NullReporter
from reconciler.apply.runner import apply_plan
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.read import read_live
from reconciler.plan.errors import UnmanagedObjectsInTheWay
from reconciler.plan.plan import Plan
from reconciler.plan.planner import make_plan
from reconciler.spec.models import CustomerSpec, Desired, InvoiceItemSpec, InvoiceSpec, PriceSpec, ProductSpec

from .seeding import Seed

FAST = ApplyOptions(parallelism=2, max_rps=1000.0, base_backoff=0.01, max_backoff=0.05)


def _catalog(amount: int = 1200, lookup_key: str | None = "gold", **extra: object) -> Desired:
    return Desired(
        products={"gold": ProductSpec(name="Gold Special")},
        prices={"gold-usd": PriceSpec(product="gold", unit_amount=amount, currency="usd", lookup_key=lookup_key)},
        **extra,  # type: ignore[arg-type]
    )


def _apply(gateway: StripeGateway, desired: Desired, *, prune: bool = False) -> Plan:
    live = read_live(gateway)
    plan = make_plan(desired, live, prune=prune)
    result = apply_plan(plan, gateway, live, options=FAST, reporter=NullReporter())
    assert result.ok, result.failed
    return plan


def test_two_active_prices_of_one_key_are_resolved_and_converge(
    gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient
) -> None:
    # The state a kill between "create the new price" and "archive the old one" leaves.
    product = seed.product("gold")
    old = seed.price("gold-usd", product.id, unit_amount=1000)
    new = seed.price("gold-usd", product.id, unit_amount=1200, lookup_key="gold")

    live = read_live(gateway)
    assert live.duplicates == {}
    assert live.prices["gold-usd"].id == new.id
    assert [p.id for p in live.extra_active_prices["gold-usd"]] == [old.id]

    plan = make_plan(_catalog(), live)
    assert [a.id for a in plan.actions] == [f"ArchivePrice:gold-usd:{old.id}"]
    _apply(gateway, _catalog())

    assert stripe_client.v1.prices.retrieve(old.id).active is False
    assert stripe_client.v1.prices.retrieve(new.id).active is True
    assert make_plan(_catalog(), read_live(gateway)).actions == ()


def test_lookup_key_of_an_unmanaged_price_is_reported_and_never_taken(
    gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient
) -> None:
    theirs_product = seed.product(None, name="Unmanaged")
    theirs = seed.price(None, theirs_product.id, unit_amount=999, lookup_key="pro-monthly")
    seed.price(None, theirs_product.id, unit_amount=5)  # no lookup key: not recorded

    live = read_live(gateway)
    assert live.foreign_lookup_keys == {"pro-monthly": theirs.id}
    assert live.prices == {}

    try:
        make_plan(_catalog(lookup_key="pro-monthly"), live)
    except UnmanagedObjectsInTheWay as err:
        assert err.lines() == [
            f"price gold-usd: lookup_key 'pro-monthly' belongs to price {theirs.id}, which reconciler does not manage: "
            "remove it there or choose another lookup_key"
        ]
    else:
        raise AssertionError("the clash was not reported")
    assert stripe_client.v1.prices.retrieve(theirs.id).lookup_key == "pro-monthly"


def test_lookup_key_moves_between_managed_prices_only(
    gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient
) -> None:
    _apply(gateway, _catalog(amount=1000))
    first = read_live(gateway).prices["gold-usd"]
    assert read_live(gateway).foreign_lookup_keys == {}

    plan = _apply(gateway, _catalog(amount=1200))  # a replacement: the key moves to the new price
    assert [type(a).__name__ for a in plan.actions] == ["CreatePrice", "ArchivePrice"]
    assert plan.actions[0].params["transfer_lookup_key"] is True  # type: ignore[attr-defined]

    live = read_live(gateway)
    assert live.prices["gold-usd"].lookup_key == "gold" and live.prices["gold-usd"].id != first.id
    assert stripe_client.v1.prices.retrieve(first.id).lookup_key is None
    assert make_plan(_catalog(amount=1200), live).actions == ()


def _billing(status: str, items: list[InvoiceItemSpec]) -> Desired:
    return Desired(
        customers={"jenny": CustomerSpec(name="Jenny Rosen")},
        invoices={"nov": InvoiceSpec(customer="jenny", days_until_due=30, status=status, items=items)},  # type: ignore[arg-type]
    )


FREE = [InvoiceItemSpec(description="Free trial", amount=0, currency="usd")]


def test_zero_total_invoice_is_finalized_into_paid_and_converges(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    plan = _apply(gateway, _billing("sent", FREE))
    assert [type(a).__name__ for a in plan.actions] == ["CreateCustomer", "CreateInvoice", "AddInvoiceItem", "FinalizeInvoice"]
    live = read_live(gateway)
    assert live.invoices["nov"].status == "paid"
    for status in ("open", "sent", "paid"):
        assert make_plan(_billing(status, FREE), live).actions == ()
    # no email went out for it
    sent = list(stripe_client.v1.events.list({"type": "invoice.sent"}).auto_paging_iter())
    assert sent == []


def test_zero_total_void_is_refused_before_anything_is_finalized(
    gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    _apply(gateway, _billing("draft", FREE))
    held = make_plan(_billing("void", FREE), read_live(gateway))
    assert held.actions == ()
    assert [c.message for c in held.conflicts] == [
        "invoice nov: the spec says void: its total is 0 and Stripe marks a zero-total invoice paid "
        "when it is finalized, and a paid invoice cannot be voided: write `status: paid`"
    ]
    assert read_live(gateway).invoices["nov"].status == "draft"


def test_unmanaged_item_on_a_managed_draft_holds_it_until_pruned(
    gateway: StripeGateway, seed: Seed, stripe_client: stripe.StripeClient
) -> None:
    fee = [InvoiceItemSpec(description="Setup fee", amount=5000, currency="usd")]
    _apply(gateway, _billing("draft", fee))
    invoice_id = read_live(gateway).invoices["nov"].id
    manual = seed.item(invoice_id, None, amount=100, currency="usd", description="typed in the Dashboard")

    held = make_plan(_billing("open", fee), read_live(gateway))
    assert held.actions == ()
    assert held.notes == (
        f"invoice nov has items reconciler did not add ({manual.id}): "
        "remove them in Stripe, or run with --prune to delete them; until then nothing is done to it",
    )

    plan = _apply(gateway, _billing("open", fee), prune=True)
    assert [a.id for a in plan.actions] == [f"RemoveInvoiceItem:nov:@{manual.id}", "FinalizeInvoice:nov"]
    live = read_live(gateway)
    assert live.invoices["nov"].status == "open" and live.invoices["nov"].total == 5000
    assert make_plan(_billing("open", fee), live).actions == ()


def test_removed_description_of_a_price_item_returns_to_the_product_name(gateway: StripeGateway) -> None:
    def spec(description: str | None) -> Desired:
        billing = _billing("draft", [InvoiceItemSpec(price="gold-usd", quantity=2, description=description)])
        return _catalog(lookup_key=None, customers=billing.customers, invoices=billing.invoices)

    _apply(gateway, spec("Gold, special offer"))
    (item,) = read_live(gateway).invoices["nov"].items
    assert item.description == "Gold, special offer"

    plan = _apply(gateway, spec(None))
    assert [a.id for a in plan.actions] == ["UpdateInvoiceItem:nov:gold-usd"]
    (item,) = read_live(gateway).invoices["nov"].items
    assert item.description == "Gold Special"
    assert make_plan(spec(None), read_live(gateway)).actions == ()
