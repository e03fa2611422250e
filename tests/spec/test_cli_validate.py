"""`reconciler validate` and `reconciler schema` through click's CliRunner."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from cli_runner import invoke
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


def test_validate_example_specs(monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]) -> None:
    monkeypatch.chdir(ROOT)
    result = cli(["validate", "specs/"], catch_exceptions=True)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "OK: 3 files, 1 product, 1 price, 2 customers, 2 invoices\n",
        "",
    )


def test_validate_defaults_to_specs_directory(monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]) -> None:
    monkeypatch.chdir(ROOT)
    result = cli(["validate"], catch_exceptions=True)
    assert result.exit_code == 0
    assert result.stdout == "OK: 3 files, 1 product, 1 price, 2 customers, 2 invoices\n"


def test_validate_reports_all_errors_sorted_and_exits_1(spec_dir: Path, cli: Callable[..., Result]) -> None:
    (spec_dir / "b.yaml").write_text("customers:\n  c:\n    emial: x\n")
    (spec_dir / "a.yaml").write_text("products:\n  gold:\n    name: 1\n")
    result = cli(["validate", "b.yaml", "a.yaml", "missing.yaml"], catch_exceptions=True)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "a.yaml:3:11: product 'gold' name: expected a string, got an integer (1); quote it to make it a string",
        "b.yaml:3:5: customer 'c': unknown field 'emial' (did you mean 'email'?)",
        "missing.yaml:1:1: no such file or directory",
    ]


def test_schema_command_prints_the_committed_schema(cli: Callable[..., Result]) -> None:
    result = cli(["schema"], catch_exceptions=True)
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "schema" / "reconciler-spec.schema.json").read_text(encoding="utf-8")


def run_validate(content: bytes) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a.yaml").write_bytes(content)
        result = invoke(["validate", tmp], catch_exceptions=True)
    return result.exit_code, result.stdout + result.stderr


def assert_clean(exit_code: int, output: str) -> None:
    assert exit_code in (0, 1), output
    assert "Traceback" not in output
    assert "internal error" not in output


documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=15,
)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(document=documents)
def test_validate_never_crashes_on_yaml_documents(document: object) -> None:
    assert_clean(*run_validate(yaml.safe_dump(document).encode()))


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(content=st.binary(max_size=300))
def test_validate_never_crashes_on_bytes(content: bytes) -> None:
    assert_clean(*run_validate(content))
