"""libyaml and the pure-Python loader read every spec the same: values, every
position, every error. The corpus: the repository's specs, the fixtures of the
spec tests (through the `check` fixture, see conftest.py), the edge cases
below, and generated documents and mutations of the example specs."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.spec.compose import MAX_DEPTH, compose_libyaml, libyaml_in_use, pure_python_loader
from reconciler.spec.errors import SpecError
from reconciler.spec.yamltree import read_document

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "specs").glob("*.yaml"))

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML is installed without libyaml")


def read(path: Path) -> tuple[list[str], Any]:
    """What read_document makes of a file: its errors and, if readable, data and positions."""
    errors: list[SpecError] = []
    document = read_document(path, path.name, errors)
    shape = None if document is None else (document.data, document.positions())
    return [str(e) for e in errors], shape


def both(tmp_path: Path, text: str) -> tuple[list[str], Any]:
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    fast = read(path)
    with pure_python_loader():
        assert not libyaml_in_use()
        pure = read(path)
    assert fast == pure, f"the loaders disagree on {text!r}"
    return fast


def test_libyaml_is_used_when_installed() -> None:
    assert libyaml_in_use()
    assert compose_libyaml("customers:\n  jenny:\n    name: Jenny\n") is not None
    with pure_python_loader():
        assert compose_libyaml("customers: {}\n") is None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_specs_read_the_same(path: Path) -> None:
    fast = read(path)
    with pure_python_loader():
        assert read(path) == fast
    assert fast[0] == [] and fast[1] is not None


def _nested(levels: int, *, key: str = "", flow: bool = True) -> str:
    """A value `levels` collections deep under `products:` (the top mapping is one more)."""
    if flow:
        return f"products: {'[' * levels}{key or 'x'}{']' * levels}\n"
    lines = ["products:"] + [f"{'  ' * i}- " for i in range(1, levels)]
    return "\n".join(lines) + "x\n"


@pytest.mark.parametrize(
    "text",
    [
        _nested(MAX_DEPTH - 2), _nested(MAX_DEPTH - 1), _nested(MAX_DEPTH), _nested(MAX_DEPTH + 1),
        _nested(MAX_DEPTH - 1, flow=False), _nested(MAX_DEPTH, flow=False), _nested(2000),
        "products: " + "{a: " * (MAX_DEPTH - 2) + "1" + "}" * (MAX_DEPTH - 2) + "\n",
        "products: " + "{a: " * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1) + "\n",
        "products: " + "[" * (MAX_DEPTH - 2) + "{}" + "]" * (MAX_DEPTH - 2) + "\n",
        "products: " + "[" * (MAX_DEPTH - 3) + "{? [[x]] : 1}" + "]" * (MAX_DEPTH - 3) + "\n",
        "products: " + "[" * (MAX_DEPTH - 3) + "{a: 1, a: [[2]]}" + "]" * (MAX_DEPTH - 3) + "\n",
        "products: " + "[" * (MAX_DEPTH - 3) + "{<<: [[{b: 1}]]}" + "]" * (MAX_DEPTH - 3) + "\n",
        "a: &a " + "[" * 30 + "x" + "]" * 30 + "\nproducts: " + "[" * 18 + "*a" + "]" * 18 + "\n",
        "a: &a " + "[" * 30 + "x" + "]" * 30 + "\nproducts: " + "[" * 25 + "*a" + "]" * 25 + "\n",
        "a: &a [*a]\n", "a: &a {b: *a}\n", "a: *nowhere\n", "a: &x 1\nb: &x 2\nc: *x\n",
        "a: &l [&l2 [x, y], *l2]\n" * 1 + "b: [*l, *l]\n",
        "customers:\n  a:\n    name: \x07bell\n", "customers:\n  a:\n    name: \ud7ff\ue000\n",
        "a: b\r\nc: d\r\n", "a: b\x85c: d\n", "a: b\u2028c: d\u2029e: f\n", "a: J\u00fcrgen \U0001f600\nb: [x, y: z]\n",
        'a: "\\U00110000"\n', 'a: "\\x4"\n', 'a: "\\q"\n', "a: 'it''s'\nb: \"\\t\\u00e9\"\n",
        "a: 1\n\tb: 2\n", "a:\tb\n", "- a\nb: c\n", "a: b: c\n", "a: [1, 2\n", "a: {b\n", "--- a\n--- b\n",
        "%YAML 1.1\n---\na: 1\n", "%TAG ! tag:example.com,2000:\n---\na: !x 1\n", "a: !!python/object:os.system x\n",
        "a: !!binary aGVsbG8=\n", "a: !!set {x, y}\n", "a: !!omap [b: 1]\n", "a: !!str [x]\n", "a: !!int x\n",
        "? |\n  block key\n: v\n", "a: >-\n  folded\n\n  text\n", "a: |+\n  kept\n\n\nb: 1\n",
        "k" * 1100 + ": v\n", "a: " + "x" * 5000 + "\n", "", "# only\n", "...\n", "---\n", "a:\n", "[1, 2]\n", "1\n",
        "a: 0100\nb: 0x1F\nc: 1:30\nd: 1_000\ne: 0o17\nf: '0o17'\ng: +12\nh: -0\ni: 00\nj: 0b101\nk: !!int 0x10\n",
        "!", "a: !\n", "a: ! x\n", "a: ! 5\n", "a: !!str\n", "a: !!null\n", "a: !local x\n", "a: |#c\n  x\n", "a:\n!:!int   b: c\n",
        "a: 2026-13-45\nb: 2026-01-02\nc: 2026-01-02T03:04:05Z\nd: 1e3\ne: .inf\nf: yes\ng: ~\n",
    ],
)  # fmt: skip
def test_edge_cases_read_the_same(tmp_path: Path, text: str) -> None:
    both(tmp_path, text)


def test_depth_limit_is_the_pure_composers_exactly(tmp_path: Path) -> None:
    # The top mapping is the first level, the innermost scalar the last.
    ok = both(tmp_path, _nested(MAX_DEPTH - 2))
    assert ok[0] == []
    assert both(tmp_path, _nested(MAX_DEPTH - 1)) == (
        [f"a.yaml:1:{11 + MAX_DEPTH - 1}: invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)"],
        None,
    )


_SCALARS = st.sampled_from(
    ["x", "Jenny Rosen", "0100", "0x1F", "1:30", "1_000", "0o17", "12", "-3", "1.5", "true", "no", "~", "null",
     "2026-01-02", "2026-13-45", "'quoted'", '"esc \\t \\u00e9"', '"\\x4"', "a: b", "- x", "[x]", "{}", "[]",
     "&anc v", "*anc", "!!str 5", "!!int x", "J\u00fcrgen", "\U0001f600", "x\ty", "'multi\n  line'", "|\n  block",
     "<<", "# c", "usd", "gold-special", ":", "?", "-", "'", '"'],
)  # fmt: skip
_KEYS = st.sampled_from(["products", "prices", "customers", "invoices", "name", "items", "metadata", "a", "a",
                         "unit_amount", "quantity", "0100", "? k", "<<", "[k]", "&k key"])  # fmt: skip


@st.composite
def _documents(draw: st.DrawFn) -> str:
    """Loosely YAML-shaped text: nested block mappings and lists of mostly plausible scalars."""

    def block(indent: int, depth: int) -> list[str]:
        lines = []
        for _ in range(draw(st.integers(1, 4))):
            pad = " " * indent
            if depth < 4 and draw(st.booleans()):
                if draw(st.booleans()):
                    lines.append(f"{pad}{draw(_KEYS)}:")
                    lines += block(indent + draw(st.sampled_from([1, 2, 4])), depth + 1)
                else:
                    lines.append(f"{pad}{draw(_KEYS)}:")
                    for _ in range(draw(st.integers(1, 3))):
                        lines.append(f"{pad}  - {draw(_SCALARS)}")
            else:
                lines.append(f"{pad}{draw(_KEYS)}: {draw(_SCALARS)}")
        return lines

    return "\n".join(block(0, 0)) + draw(st.sampled_from(["\n", "", "\n\n", "\r\n"]))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_documents())
def test_generated_documents_read_the_same(tmp_path: Path, text: str) -> None:
    both(tmp_path, text)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 4))
def test_mutated_example_specs_read_the_same(tmp_path: Path, seed: int, edits: int) -> None:
    rng = random.Random(seed)
    text = rng.choice(EXAMPLES).read_text(encoding="utf-8")
    for _ in range(edits):
        at = rng.randrange(len(text) + 1)
        cut = rng.randrange(4)
        text = text[:at] + rng.choice(["", " ", "\n", "\t", ":", "-", "[", "]", "{", "'", '"', "&a", "*a", "#", "0"]) + text[at + cut:]
    both(tmp_path, text)
