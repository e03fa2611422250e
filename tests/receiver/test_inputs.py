"""Odd inputs to the receiver's commands: journal URLs of other databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.sandbox import RunningSandbox

from .world import cli, on, spec_text


@pytest.mark.parametrize(
    ("journal", "message"),
    [
        ("mysql://u:pw@h/db", "error: journal mysql://u:***@h/db: mysql:// is not a journal; use a file path (SQLite)"
                              " or a postgresql:// URL\n"),
        ("sqlite:///x.db", "error: journal sqlite:///x.db: sqlite:// is not a journal; use a file path (SQLite)"
                           " or a postgresql:// URL\n"),
    ],
)  # fmt: skip
def test_a_journal_url_of_another_database_is_one_line_and_creates_nothing(
    tmp_path: Path, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, journal: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hooks.yaml").write_text("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: 'true'\n")
    (tmp_path / "secret").write_text("whsec_0123456789abcdef\n")
    (tmp_path / "specs.yaml").write_text(spec_text())
    before = sorted(os.listdir(tmp_path))
    for args in (["webhook", "serve", "--port", "0", "--secret-file", "secret", *on(sandbox)],
                 ["webhook", "events"],
                 ["webhook", "replay", "evt_1", *on(sandbox)],
                 ["webhook", "catch-up", "--since", "1d", *on(sandbox)],
                 ["status", "specs.yaml", *on(sandbox)]):  # fmt: skip
        result = cli(*args, "--journal", journal)
        assert (result.exit_code, result.output) == (1, message), args
        assert "pw" not in result.output
    assert sorted(os.listdir(tmp_path)) == before
