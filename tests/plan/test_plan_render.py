"""Renderers: dispatch coverage, money, golden text/markdown/json, markdown size cap."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from plan_builders import amount_item, converged, customer, desired, invoice, item, price, product

from reconciler.live.account import Account
from reconciler.live.records import Live
from reconciler.plan.actions import ALL_ACTIONS
from reconciler.plan.plan import Plan
from reconciler.plan.planner import make_plan
from reconciler.plan.render import render
from reconciler.plan.render.describe import DESCRIBERS
from reconciler.plan.render.markdown import LIMIT, MARKER
from reconciler.plan.render.money import format_money
from reconciler.plan.review import plan_for_review

GOLDEN = Path(__file__).parent / "golden"


def test_every_action_class_has_a_renderer() -> None:
    assert set(DESCRIBERS) == set(ALL_ACTIONS)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1000, "usd", "$10.00 USD"),
        (123456789, "USD", "$1,234,567.89 USD"),
        (1000, "jpy", "¥1,000 JPY"),
        (1000, "sek", "10.00 SEK"),
        (5, "eur", "€0.05 EUR"),
        (1234, "kwd", "1.234 KWD"),
        (0, "gbp", "£0.00 GBP"),
    ],
)
def test_money(amount: int, currency: str, shown: str) -> None:
    assert format_money(amount, currency) == shown


def sample_plan() -> Plan:
    """Creates, drift, an item update, lifecycle steps, a replaced price and a prune."""
    d = desired(
        products={"gold-special": product(), "tokyo": product(name="Tokyo")},
        prices={"gold-special-usd": price(unit_amount=1200), "tokyo-jpy": price(product="tokyo", unit_amount=1000, currency="jpy")},
        customers={"jenny-rosen": customer(), "taro": customer(name="Taro", email="taro@example.jp")},
        invoices={
            "jenny-rosen-2026-11": invoice(status="sent", items=[item(quantity=2), amount_item()]),
            "jenny-rosen-2026-12": invoice(status="open", items=[item(quantity=3)], metadata={"po": "7"}),
            "taro-2026-11": invoice(customer="taro", items=[item(price="tokyo-jpy", quantity=3)]),
        },
    )
    before = desired(
        invoices={"jenny-rosen-2026-12": invoice(items=[item(quantity=1)]), "old-draft": invoice()}
    )
    live = converged(before)
    live = replace(live, customers={"jenny-rosen": replace(live.customers["jenny-rosen"], email="jenny@old.example")})
    return plan_for_review(d, live, account=Account("acct_sample", False), prune=True)


@pytest.mark.parametrize(("fmt", "name"), [("text", "sample.txt"), ("markdown", "sample.md"), ("json", "sample.json")])
def test_golden(fmt: str, name: str) -> None:
    assert render(sample_plan(), fmt) == (GOLDEN / name).read_text(encoding="utf-8")  # type: ignore[arg-type]


def test_json_output_is_the_plan_json() -> None:
    plan = sample_plan()
    assert json.loads(render(plan, "json")) == plan.to_json()
    assert Plan.from_json(json.loads(render(plan, "json"))) == plan


def test_colour_only_when_asked() -> None:
    plan = sample_plan()
    assert "\x1b[" not in render(plan, "text")
    coloured = render(plan, "text", color=True)
    assert "\x1b[32m+ create product" in coloured and "\x1b[0m" in coloured
    assert "\x1b[" not in render(plan, "markdown", color=True)


def test_empty_plan() -> None:
    d = desired()
    plan = make_plan(d, converged(d))
    assert render(plan, "text") == "No changes. Live state matches the specs.\n"
    assert render(plan, "markdown") == f"{MARKER}\n### Reconciler plan\n\nNo changes. Live state matches the specs.\n"


def test_summary_line_singular() -> None:
    d = desired(invoices={"jenny-rosen-2026-11": invoice(status="open")})
    text = render(make_plan(d, converged(desired())), "text")
    assert text.endswith("Plan: 0 to create, 0 to update, 1 lifecycle step, 0 to destroy.\n")


def test_markdown_is_cut_before_the_comment_limit() -> None:
    invoices = {f"inv-{i:05d}": invoice(status="sent", items=[item(quantity=2), amount_item()]) for i in range(400)}
    plan = make_plan(desired(invoices=invoices), Live())
    out = render(plan, "markdown")
    assert len(out) < LIMIT
    assert out.startswith(MARKER + "\n")
    shown = out.count("<details>")
    assert 0 < shown < 400
    omitted = len(plan.actions) - 3 - 5 * shown  # product, price, customer; 5 per invoice
    assert out.endswith(
        f"</details>\n\n**{omitted:,} more actions omitted** (comment size limit): run `reconciler plan` to see the whole plan.\n"
    )
    assert out.count("```") % 2 == 0 and out.count("<details>") == out.count("</details>")


def test_markdown_fence_is_not_broken_by_values() -> None:
    d = desired(customers={"jenny-rosen": customer(description="```evil```")}, invoices={})
    out = render(make_plan(d, Live()), "markdown")
    assert out.count("```") == 2
