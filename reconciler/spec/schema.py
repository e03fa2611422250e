"""The JSON Schema of one spec file, generated from the models (for editors and `reconciler schema`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler.spec.entries import KINDS
from reconciler.spec.models import SPEC_KEY_PATTERN, CustomerSpec, InvoiceSpec, PriceSpec, ProductSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SpecKey = Annotated[str, Field(pattern=SPEC_KEY_PATTERN)]


class SpecFile(BaseModel):
    """One reconciler spec file: any of four mappings, each keyed by a stable spec key."""

    model_config = ConfigDict(extra="forbid", title="reconciler spec file")
    products: dict[SpecKey, ProductSpec] | None = Field(default=None, description="Products, by spec key.")
    prices: dict[SpecKey, PriceSpec] | None = Field(default=None, description="Prices, by spec key.")
    customers: dict[SpecKey, CustomerSpec] | None = Field(default=None, description="Customers, by spec key.")
    invoices: dict[SpecKey, InvoiceSpec] | None = Field(default=None, description="Invoices, by spec key.")


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one spec file."""
    schema = SpecFile.model_json_schema()
    for name, section in schema["properties"].items():
        # pydantic writes key patterns as patternProperties, which lets a bad key
        # through unchecked; propertyNames makes editors flag it.
        model = KINDS[name][1]
        section["anyOf"][0] = {
            "type": "object",
            "propertyNames": {"pattern": SPEC_KEY_PATTERN},
            "additionalProperties": {"$ref": f"#/$defs/{model.__name__}"},
        }
    return {"$schema": SCHEMA_DIALECT, **schema}


def spec_json_schema_text() -> str:
    """The schema as the committed file holds it (stable key order, trailing newline)."""
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
