"""The JSON Schema of one spec file, generated from the models (for editors and `reconciler schema`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from reconciler.spec.entries import KINDS
from reconciler.spec.models import SPEC_KEY_PATTERN

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SpecKey = Annotated[str, Field(pattern=SPEC_KEY_PATTERN)]


def _section(section: str, model: type[BaseModel]) -> Any:
    """A spec file's mapping of one kind's entries, by spec key (optional)."""
    label = section.replace("_", " ").capitalize()
    return (dict[SpecKey, model] | None, Field(default=None, description=f"{label}, by spec key."))  # type: ignore[valid-type]


# One spec file: a mapping per registered kind (the spec models by section, from the registry).
SpecFile: type[BaseModel] = create_model(
    "SpecFile",
    __config__=ConfigDict(extra="forbid", title="reconciler spec file"),
    __doc__="One reconciler spec file: a mapping per object kind, each keyed by a stable spec key.",
    **{section: _section(section, model) for section, (_, model) in KINDS.items()},
)


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
