"""Plan renderers: text (terminal), markdown (PR comments), json (machines)."""

from __future__ import annotations

import json
from typing import Any, Literal

from reconciler.plan.plan import Plan
from reconciler.plan.render.markdown import render_markdown
from reconciler.plan.render.text import render_text

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def render(plan: Plan, fmt: Format, *, color: bool = False) -> str:
    """The plan in the given format; colour (ANSI) only for text with color=True."""
    if fmt == "text":
        return render_text(plan, color=color)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "json":
        document = plan.to_json()
        # Held objects first, as in every format; the rest in key order, as in the plan file.
        first = {"conflicts": document.pop("conflicts")}
        return json.dumps({**first, **_sorted(document)}, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown plan format {fmt!r}")
