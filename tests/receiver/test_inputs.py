"""Odd inputs: journal URLs of other databases, signed but odd events, odd characters in hooks."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pytest

from reconciler.receiver.controls import SafeFormatter
from reconciler.receiver.journal import JournaledEvent, open_journal
from reconciler.receiver.signature import sign
from reconciler.sandbox import RunningSandbox
from reconciler.sandbox.delivery import http_post

from .processes import start_receiver
from .world import cli, on, spec_text, wait_until


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


SECRET = "whsec_0123456789abcdef"


def _event(event_id: str, obj: object, event_type: str = "invoice.paid") -> bytes:
    body = {"id": event_id, "object": "event", "created": int(time.time()), "type": event_type, "data": {"object": obj}}
    return json.dumps(body).encode()


def _post(url: str, body: bytes) -> int:
    headers = {"Stripe-Signature": sign(SECRET, body, int(time.time())), "Content-Type": "application/json"}
    return http_post(url + "/webhook", body, headers)


def test_signed_but_odd_events_are_400_and_nothing_is_journaled_or_run(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    (tmp_path / "hooks.yaml").write_text(
        "hooks:\n  - name: a\n    events: [invoice.paid]\n    run: echo \"$RECONCILER_EVENT_ID\" >> runs.log\n"
    )
    (tmp_path / "secret").write_text(SECRET + "\n")
    journal = str(tmp_path / "journal.db")
    deep = "[" * 50_000 + "]" * 50_000
    odd = {
        "50,000 levels deep": b'{"id": "evt_deep", "object": "event", "created": 1, "type": "invoice.paid",'
                              b' "data": {"object": {"id": "in_1", "object": "invoice", "lines": ' + deep.encode() + b"}}}",
        "a NUL in the event id": _event("evt_a\x00b", {"id": "in_1", "object": "invoice"}),
        "a bidi override in the event id": _event("evt_\u202egnp.exe", {"id": "in_1", "object": "invoice"}),
        "an escape sequence in the event id": _event("evt_\x1b[2Jx", {"id": "in_1", "object": "invoice"}),
        "a path as the object id": _event("evt_path", {"id": "../../../v1/customers", "object": "invoice"}),
        "a newline in the type": _event("evt_type", {"id": "in_1", "object": "invoice"}, "invoice.paid\nforged"),
    }  # fmt: skip
    receiver = start_receiver(tmp_path, name="receiver", api_base=sandbox.url, journal=journal,
                              secret_file=tmp_path / "secret", hooks=tmp_path / "hooks.yaml")  # fmt: skip
    try:
        answers = {what: _post(receiver.url, body) for what, body in odd.items()}
        ordinary = _post(receiver.url, _event("evt_fine", {"id": "in_missing", "object": "invoice"}))
        wait_until(lambda: [r.state for e in _events(journal) for r in e.hooks] == ["failed"], what="the run")
    finally:
        receiver.terminate()
    assert answers == dict.fromkeys(odd, 400)
    assert ordinary == 200  # still serving, and the one genuine event is journaled
    (event,) = _events(journal)
    assert event.id == "evt_fine"
    assert event.hooks[0].last_error is not None and "No such invoice" in event.hooks[0].last_error
    log = receiver.log.read_text()
    assert log.count("rejected a delivery") == len(odd)
    assert not any(char in log for char in ("\x00", "\u202e", "\x1b")), log


def _events(journal: str) -> list[JournaledEvent]:
    opened = open_journal(journal)
    try:
        return opened.events()
    finally:
        opened.close()


def test_log_lines_escape_control_and_bidi_characters() -> None:
    record = logging.LogRecord("reconciler.receiver.runner", logging.WARNING, __file__, 1, "hook %s: %s",
                               ("a", "exit 1: \x1b[2J\u202eevil\nforged line"), None)  # fmt: skip
    assert SafeFormatter("%(levelname)s %(message)s").format(record) == (
        "WARNING hook a: exit 1: \\x1b[2J\\u202eevil\\nforged line"
    )
