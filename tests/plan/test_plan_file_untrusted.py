"""A plan file is untrusted input: whatever `Plan.from_json` accepts, every renderer renders."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from test_plan_render import sample_plan

from reconciler.plan.errors import PlanFileError
from reconciler.plan.plan import Plan
from reconciler.plan.render import render

_DELETE = object()
VALUES: list[Any] = [None, 1, -1, "", "x", True, [], ["x"], {}, {"a": {"b": [1]}}, {"$ref": "customer:nope"}, _DELETE]


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, child in items:
        yield from _paths(child, (*path, key))


def _mutated(base: dict[str, Any], path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if new is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return data


@pytest.mark.slow
def test_every_accepted_mutation_of_action_parameters_renders() -> None:
    base = json.loads(json.dumps(sample_plan().to_json()))
    # parameters and changes are free-form: the places a shape can surprise a renderer
    paths = [p for p in _paths(base) if p[0] == "actions" and len(p) > 3 and p[2] in ("params", "changes")]
    assert len(paths) > 50
    accepted = 0
    for path in paths:
        for new in VALUES:
            try:
                plan = Plan.from_json(_mutated(base, path, new))
            except PlanFileError:
                continue
            accepted += 1
            for fmt in ("text", "markdown", "json"):
                render(plan, fmt)  # type: ignore[arg-type]  # raises on a renderer gap
    assert accepted > 500


def test_add_item_with_odd_pricing_renders_its_value() -> None:
    base = json.loads(json.dumps(sample_plan().to_json()))
    index = next(i for i, a in enumerate(base["actions"]) if a["type"] == "AddInvoiceItem" and "pricing" in a["params"])
    plan = Plan.from_json(_mutated(base, ("actions", index, "params", "pricing"), []))
    assert "add item gold-special-usd: 2 × []" in render(plan, "text")
