"""validate on credit notes: shape, their invoice's items, amounts within the invoice's, the split."""

from __future__ import annotations

from conftest import Check

BASE = """
products:
  gold: {name: Gold}
prices:
  gold-usd: {product: gold, unit_amount: 1000, currency: usd}
customers:
  jenny: {name: Jenny, email: jenny@example.com}
invoices:
  inv:
    customer: jenny
    collection_method: send_invoice
    days_until_due: 30
    status: STATUS
    items:
      - {price: gold-usd, quantity: 3}
      - {description: Setup fee, amount: 500, currency: usd}
credit_notes:
"""


def _spec(notes: str, status: str = "sent") -> str:
    return BASE.replace("STATUS", status) + notes


def test_lines_by_item_and_custom_lines_validate(check: Check) -> None:
    assert check(a_yaml=_spec("""
  cn-1:
    invoice: inv
    reason: order_change
    lines:
      - {item: gold-usd, quantity: 1}
      - {item: setup-fee, amount: 200}
      - {description: Goodwill, amount: 300, quantity: 3}
  cn-2: {invoice: inv, amount: 100, memo: Sorry}
""")) == []


def test_the_invoice_and_its_items_must_exist(check: Check) -> None:
    errors = check(a_yaml=_spec("""
  cn-1: {invoice: nope, amount: 100}
  cn-2:
    invoice: inv
    lines: [{item: silver, quantity: 1}]
"""))
    assert errors == [
        "a.yaml:18:19: credit_note 'cn-1' invoice: no invoice 'nope' is defined (closest: 'inv')",
        "a.yaml:21:20: credit_note 'cn-2' lines[0].item: invoice 'inv' has no item 'silver' "
        "(its items: gold-usd, setup-fee)",
    ]


def test_shapes_refused(check: Check) -> None:
    errors = check(a_yaml=_spec("""
  both: {invoice: inv, amount: 100, lines: [{item: gold-usd, quantity: 1}]}
  neither: {invoice: inv}
  qty-and-amount:
    invoice: inv
    lines: [{item: gold-usd, quantity: 1, amount: 100}]
  item-alone:
    invoice: inv
    lines: [{item: setup-fee}]
  custom-without-text:
    invoice: inv
    lines: [{amount: 100}]
  custom-odd:
    invoice: inv
    lines: [{description: X, amount: 100, quantity: 3}]
  bad-reason: {invoice: inv, amount: 100, reason: because}
"""))
    assert [e.split(": ", 1)[1] for e in errors] == [
        "credit_note 'both': give either lines or amount",
        "credit_note 'neither': give either lines or amount",
        "credit_note 'qty-and-amount' lines[0]: give the item's quantity or amount to credit, not both",
        "credit_note 'item-alone' lines[0]: give the item's quantity or amount to credit",
        "credit_note 'custom-without-text' lines[0]: needs item (with quantity or amount), or a custom line's "
        "description and amount",
        "credit_note 'custom-odd' lines[0]: amount 100 is the line total; it must be a multiple of quantity 3 "
        "(Stripe credits quantity x unit amount)",
        "credit_note 'bad-reason' reason: must be one of duplicate, fraudulent, order_change, "
        "product_unsatisfactory; got a string ('because')",
    ]


def test_credit_beyond_the_items_or_the_invoice_is_refused(check: Check) -> None:
    errors = check(a_yaml=_spec("""
  a: {invoice: inv, lines: [{item: gold-usd, quantity: 2}]}
  b: {invoice: inv, lines: [{item: gold-usd, quantity: 2}]}
  c: {invoice: inv, lines: [{item: setup-fee, quantity: 1}]}
  d: {invoice: inv, lines: [{item: setup-fee, amount: 600}]}
  e: {invoice: inv, amount: 3000}
"""))
    assert [e.split(": ", 1)[1] for e in errors] == [
        "credit_note 'b': the issued credit notes of invoice 'inv' come to 4000, more than its total 3500",
        "credit_note 'b' lines[0].item: credits quantity 4 of item 'gold-usd' over the issued credit notes; "
        "the item has 3",
        "credit_note 'd' lines[0].item: item 'setup-fee' is credited by quantity in another credit note; Stripe "
        "credits a line by quantity or by amount, never both",
    ]


def test_a_void_credit_note_frees_what_it_credited(check: Check) -> None:
    assert check(a_yaml=_spec("""
  a: {invoice: inv, status: void, lines: [{item: gold-usd, quantity: 3}]}
  b: {invoice: inv, lines: [{item: gold-usd, quantity: 3}]}
""")) == []


def test_the_split_stays_within_the_total(check: Check) -> None:
    errors = check(a_yaml=_spec("""
  a: {invoice: inv, amount: 100, refund_amount: 60, credit_amount: 60}
"""))
    assert [e.split(": ", 1)[1] for e in errors] == [
        "credit_note 'a': refund_amount + credit_amount + out_of_band_amount is 120, more than the credit "
        "note's total 100",
    ]


def test_an_invoice_paid_out_of_band_cannot_be_refunded(check: Check) -> None:
    errors = check(a_yaml=_spec("""
  a: {invoice: inv, amount: 100, refund_amount: 100}
  b: {invoice: inv, amount: 100, out_of_band_amount: 100}
""", status="paid"))
    assert [e.split(": ", 1)[1] for e in errors] == [
        "credit_note 'a' refund_amount: invoice 'inv' is paid outside Stripe, so there is no payment to refund; "
        "credit the customer's balance (credit_amount) or record it as credited outside Stripe "
        "(out_of_band_amount)",
    ]


def test_lines_of_a_taxed_invoice_are_left_to_the_plan_but_an_amount_is_checked(check: Check) -> None:
    taxed = _spec("""
  a: {invoice: inv, lines: [{item: gold-usd, quantity: 3}], out_of_band_amount: 3570}
  b: {invoice: inv, amount: 100, credit_amount: 200}
""").replace("    status: sent\n", "    status: sent\n    default_tax_rates: [vat]\n").replace(
        "customers:", "tax_rates:\n  vat: {display_name: VAT, percentage: 19, inclusive: false}\ncustomers:")
    errors = check(a_yaml=taxed)
    assert [e.split(": ", 1)[1] for e in errors] == [
        "credit_note 'b': refund_amount + credit_amount + out_of_band_amount is 200, more than the credit note's "
        "total 100",
    ]
