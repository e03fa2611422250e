"""Fixtures of the CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A private copy of the example specs, so tests may edit them."""
    target = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPECS, target)
    return target
