"""The example specs in specs/ load, and the committed JSON Schema matches the models."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.spec.loader import load_specs, summary_line
from reconciler.spec.models import Desired, Location
from reconciler.spec.schema import spec_json_schema, spec_json_schema_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema" / "reconciler-spec.schema.json"


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> Desired:
    monkeypatch.chdir(ROOT)
    return load_specs(["specs"])


def test_example_specs_load_with_counts(examples: Desired) -> None:
    assert summary_line(examples) == "OK: 3 files, 1 product, 1 price, 2 customers, 2 invoices"
    assert examples.files == ["specs/catalog.yaml", "specs/customers.yaml", "specs/invoices.yaml"]


def test_example_specs_reproduce_the_stripe_quickstart(examples: Desired) -> None:
    assert examples.products["gold-special"].name == "Gold Special"
    price = examples.prices["gold-special-usd"]
    assert (price.product, price.unit_amount, price.currency) == ("gold-special", 1000, "usd")
    jenny = examples.customers["jenny-rosen"]
    assert (jenny.name, jenny.email, jenny.description) == (
        "Jenny Rosen",
        "jenny.rosen@example.com",
        "My first customer",
    )
    invoice = examples.invoices["jenny-rosen-2026-11"]
    assert (invoice.customer, invoice.collection_method, invoice.days_until_due, invoice.status) == (
        "jenny-rosen",
        "send_invoice",
        30,
        "sent",
    )
    assert [(key, item.price) for key, item in invoice.keyed_items()] == [("gold-special-usd", "gold-special-usd")]


def test_example_specs_hold_a_draft_invoice_with_an_amount_item(examples: Desired) -> None:
    drafts = [inv for inv in examples.invoices.values() if inv.status == "draft"]
    assert len(drafts) == 1
    amount_items = [item for item in drafts[0].items if item.amount is not None]
    assert [(item.amount, item.currency) for item in amount_items] == [(5000, "usd")]


def test_locations_point_at_each_definition(examples: Desired) -> None:
    assert examples.locations["products/gold-special"] == Location(file="specs/catalog.yaml", line=4, column=3)
    assert examples.locations["invoices/jenny-rosen-2026-11"] == Location(file="specs/invoices.yaml", line=4, column=3)
    assert len(examples.locations) == 6


def test_example_files_point_editors_at_the_schema() -> None:
    for path in sorted((ROOT / "specs").glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/reconciler-spec.schema.json", path
    assert SCHEMA_FILE.is_file()


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == spec_json_schema_text(), (
        "regenerate: python -c 'from reconciler.spec.schema import spec_json_schema_text as t; "
        "print(t(), end=\"\")' > schema/reconciler-spec.schema.json"
    )


def test_schema_describes_one_spec_file() -> None:
    schema = spec_json_schema()
    assert schema["additionalProperties"] is False
    assert sorted(schema["properties"]) == ["coupons", "credit_notes", "customers", "invoices", "prices", "products", "tax_rates"]
    products = schema["properties"]["products"]["anyOf"][0]
    assert products["propertyNames"] == {"pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"}
    assert products["additionalProperties"] == {"$ref": "#/$defs/ProductSpec"}
    assert schema["$defs"]["PriceSpec"]["required"] == ["product", "unit_amount", "currency"]
    assert schema["$defs"]["InvoiceSpec"]["properties"]["items"]["maxItems"] == 250


def test_summary_line_pluralises(check) -> None:  # type: ignore[no-untyped-def]
    assert check(a_yaml="customers:\n  one:\n    name: One\n") == []
    desired = load_specs(["a.yaml"])
    assert summary_line(desired) == "OK: 1 file, 0 products, 0 prices, 1 customer, 0 invoices"
