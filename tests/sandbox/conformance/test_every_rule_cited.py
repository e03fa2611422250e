"""Every conformance test names its source: a docs.stripe.com page and the sentence it
checks, or the sandbox's choice where Stripe is silent (listed in docs/sandbox.md)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import tests.sandbox.conformance as package
from tests.sandbox.conformance.rules import DOCS

DOC = Path(__file__).resolve().parents[3] / "docs" / "sandbox.md"


def _tests() -> dict[str, object]:
    found: dict[str, object] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("test_") and module.name != "test_every_rule_cited":
            loaded = importlib.import_module(f"{package.__name__}.{module.name}")
            found.update({f"{module.name}::{n}": fn for n, fn in vars(loaded).items() if n.startswith("test_")})
    return found


def test_every_test_cites_a_page_and_a_sentence_or_a_choice() -> None:
    tests = _tests()
    assert len(tests) >= 40
    for name, fn in tests.items():
        rule = getattr(fn, "stripe_rule", None)
        choice = getattr(fn, "sandbox_choice", None)
        assert (rule is None) != (choice is None), f"{name}: exactly one of stripe_rule, sandbox_choice"
        if rule is not None:
            url, quote = rule
            assert url.startswith(DOCS) and len(quote.split()) >= 5, name


def test_every_choice_is_written_in_the_docs() -> None:
    text = re.sub(r"\s+", " ", DOC.read_text(encoding="utf-8"))
    choices = [fn.sandbox_choice for fn in _tests().values() if hasattr(fn, "sandbox_choice")]  # type: ignore[attr-defined]
    assert choices
    for choice in choices:
        written = re.sub(r"\s+", " ", choice)
        assert f"not documented by Stripe: {written}" in text, choice
