"""Plan renderers: text (terminal), markdown (PR comments), json (machines)."""

from __future__ import annotations

import json
from typing import Literal

from reconciler.plan.plan import Plan
from reconciler.plan.render.markdown import render_markdown
from reconciler.plan.render.text import render_text

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json")


def render(plan: Plan, fmt: Format, *, color: bool = False) -> str:
    """The plan in the given format; colour (ANSI) only for text with color=True."""
    if fmt == "text":
        return render_text(plan, color=color)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "json":
        return json.dumps(plan.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown plan format {fmt!r}")
