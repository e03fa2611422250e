"""charge_automatically + status paid: the saved card is charged once, declines and 3-D Secure are reported,
paid_out_of_band records an outside payment (end to end through the SDK against the sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.gateway.client import StripeGateway
from reconciler.plan.actions import ChargeInvoice
from reconciler.plan.render.layout import notice_lines
from reconciler.plan.review import plan_for_review
from reconciler.sandbox import RunningSandbox
from reconciler.spec.loader import load_specs
from reconciler.status.command import status_report

from .helpers import gateway_for, plan_and_apply, plan_for, write_specs

SPECS = """
customers:
  ada:
    name: Ada Lovelace
    email: ada@example.com
invoices:
  ada-1:
    customer: ada
    collection_method: charge_automatically
    status: {status}
    items:
      - description: Consulting
        amount: 123400
        currency: usd
"""


def specs_with(tmp_path: Path, status: str = "paid", extra: str = "") -> Path:
    return write_specs(tmp_path, SPECS.format(status=status) + extra)


def carded(gateway: StripeGateway, tmp_path: Path, token: str) -> Path:
    """The customer and a draft exist (status draft applied); a checkout then saved `token` as their default card."""
    _, result = plan_and_apply(gateway, specs_with(tmp_path, "draft"))
    assert result.ok, result.lines()
    (customer,) = [c for c in gateway.paginate("/v1/customers")]
    method = gateway.request("POST", f"/v1/payment_methods/{token}/attach", {"customer": customer["id"]})
    gateway.request("POST", f"/v1/customers/{customer['id']}",
                    {"invoice_settings": {"default_payment_method": method["id"]}})
    return specs_with(tmp_path)


def invoice(gateway: StripeGateway) -> dict[str, object]:
    (found,) = list(gateway.paginate("/v1/invoices"))
    return dict(found)


def succeeded_charges(gateway: StripeGateway) -> int:
    return sum(1 for e in gateway.paginate("/v1/events", {"type": "charge.succeeded"}))


def test_a_visa_on_file_is_charged_once_and_the_plan_says_so(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    specs = carded(gateway, tmp_path, "pm_card_visa")
    plan, live = plan_for(gateway, specs)
    (charge,) = [a for a in plan.actions if isinstance(a, ChargeInvoice)]
    assert (charge.card, charge.reason) == ("visa •••• 4242", "charge visa •••• 4242 (spec status: paid)")
    reviewed = plan_for_review(load_specs([specs]), live, account=None)
    assert "  invoice ada-1 charged $1,234.00 USD to visa •••• 4242 — Ada Lovelace <ada@example.com>" in (
        notice_lines(reviewed))
    _, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    paid = invoice(gateway)
    assert (paid["status"], paid["amount_paid"], paid["amount_paid_off_stripe"]) == ("paid", 123400, 0)
    assert succeeded_charges(gateway) == 1
    again, _ = plan_for(gateway, specs)
    assert again.actions == ()


@pytest.mark.parametrize(("token", "failure"), [
    ("pm_card_chargeDeclined", "card_declined/generic_decline: Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined/insufficient_funds: Your card has insufficient funds."),
])
def test_a_decline_is_one_line_the_invoice_stays_open_and_the_next_plan_shows_it(
    sandbox: RunningSandbox, tmp_path: Path, token: str, failure: str
) -> None:
    gateway = gateway_for(sandbox)
    specs = carded(gateway, tmp_path, token)
    _, result = plan_and_apply(gateway, specs)
    assert not result.ok
    (failed,) = result.failed
    assert failed.message.count("\n") == 0 and "ada-1" in failed.description
    assert failure in failed.message
    after = invoice(gateway)
    assert (after["status"], after["attempt_count"]) == ("open", 1)
    assert sum(1 for e in gateway.paginate("/v1/events", {"type": "charge.failed"})) == 1  # no retry in the run
    plan, _ = plan_for(gateway, specs)
    (charge,) = plan.actions
    assert isinstance(charge, ChargeInvoice)
    assert charge.reason == f"charge {charge.card} again (spec status: paid): 1 attempt so far, last failed: {failure}"
    assert charge.after_charge.startswith("ch_")
    (row,) = status_report([str(specs)], gateway, journal_target=None).invoices
    assert (row.hosted_invoice_url, row.attempt_count, row.last_failure) == (
        after["hosted_invoice_url"], 1, failure)


def test_a_card_needing_authentication_is_reported_with_the_hosted_url_and_never_retried(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    gateway = gateway_for(sandbox)
    specs = carded(gateway, tmp_path, "pm_card_authenticationRequired")
    _, result = plan_and_apply(gateway, specs)
    url = str(invoice(gateway)["hosted_invoice_url"])
    (failed,) = result.failed
    assert url in failed.message and "authentication" in failed.message
    plan, _ = plan_for(gateway, specs)
    assert plan.actions == ()
    (note,) = plan.notes
    assert url in note and "never retries" in note


def test_no_payment_method_on_file_holds_the_invoice_naming_it(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    plan, _ = plan_for(gateway, specs_with(tmp_path))
    assert [a.name for a in plan.actions] == ["CreateCustomer"]  # the invoice is held, the rest goes on
    (held,) = plan.conflicts
    assert held.object == "invoice:ada-1" and held.message.startswith(
        "invoice ada-1: no payment method on file: cannot charge")


def test_paid_out_of_band_records_an_outside_payment(sandbox: RunningSandbox, tmp_path: Path) -> None:
    gateway = gateway_for(sandbox)
    specs = carded(gateway, tmp_path, "pm_card_visa")
    specs = write_specs(tmp_path, SPECS.format(status="paid").replace(
        "    status: paid\n", "    status: paid\n    paid_out_of_band: true\n"))
    _, result = plan_and_apply(gateway, specs)
    assert result.ok, result.lines()
    paid = invoice(gateway)
    assert (paid["status"], paid["amount_paid_off_stripe"]) == ("paid", 123400)
    assert succeeded_charges(gateway) == 0
