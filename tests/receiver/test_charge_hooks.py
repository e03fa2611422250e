"""A declined charge made by apply reaches the invoice.payment_failed hook with the link where the customer pays."""

from __future__ import annotations

from .world import World, cli, offer_of, on, wait_until

SPECS = """\
customers:
  dee: {name: Dee}
invoices:
  dee-2026-11:
    customer: dee
    collection_method: charge_automatically
    status: STATUS
    items: [{description: Plan, amount: 1000, currency: usd}]
"""


def test_a_declined_charge_runs_the_retry_offer_with_the_hosted_url_and_attempt_count(world: World) -> None:
    specs = world.folder / "charge.yaml"
    specs.write_text(SPECS.replace("STATUS", "open"))
    assert cli("apply", str(specs), *on(world.sandbox), "--yes").exit_code == 0
    (dee,) = [c for c in world.client.v1.customers.list().data if c.name == "Dee"]
    card = world.client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": dee.id})
    world.client.v1.customers.update(dee.id, {"invoice_settings": {"default_payment_method": card.id}})
    specs.write_text(SPECS.replace("STATUS", "paid"))
    charged = cli("apply", str(specs), *on(world.sandbox), "--yes")
    assert charged.exit_code == 1 and "charge declined: card_declined/generic_decline" in charged.output

    (invoice,) = world.client.v1.invoices.list({"customer": dee.id}).data
    wait_until(lambda: world.settled(1), what="the retry offer")
    assert offer_of(world, invoice.id) == (invoice.hosted_invoice_url, "1")
