"""Helpers for spec tests: write files into a temporary directory and load them.

`check` loads every fixture twice, composing with libyaml and with the
pure-Python loader, and fails unless both give the same errors or the same
specs: every spec fixture of these tests is part of the loaders' corpus.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.spec.compose import pure_python_loader
from reconciler.spec.errors import SpecErrors
from reconciler.spec.loader import load_specs
from reconciler.spec.models import Desired

Check = Callable[..., list[str]]


@pytest.fixture
def spec_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, so error lines show short relative file names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def check(spec_dir: Path) -> Check:
    """check(a_yaml="...", ...) writes the files and returns the error lines ([] if valid)."""

    def run(**files: str | bytes) -> list[str]:
        for name, content in files.items():
            path = spec_dir / name.replace("_yaml", ".yaml").replace("_yml", ".yml")
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        names = sorted(p.name for p in spec_dir.iterdir())
        with pure_python_loader():
            pure = _outcome(names)
        fast = _outcome(names)
        assert fast == pure, "libyaml and the pure-Python loader disagree"
        return fast if isinstance(fast, list) else []

    return run


def _outcome(paths: list[str]) -> list[str] | Desired:
    """The error lines, or the specs."""
    try:
        return load_specs(paths)
    except SpecErrors as exc:
        return exc.lines()
