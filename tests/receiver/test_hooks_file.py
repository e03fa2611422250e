"""The hooks file: the documented example loads; mistakes are FILE:LINE:COL errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.receiver.hooks import load_hooks
from reconciler.spec.errors import SpecErrors

DOCS = Path(__file__).resolve().parents[2] / "docs" / "payment-events.md"


def test_the_documented_fulfilment_example_loads(tmp_path: Path) -> None:
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), re.S)
                   if block.startswith("# hooks.yaml"))  # fmt: skip
    (tmp_path / "hooks.yaml").write_text(example)
    hooks = load_hooks(tmp_path / "hooks.yaml")
    assert hooks.event_types == ["invoice.paid", "invoice.payment_failed", "payment_intent.processing"]
    confirm = hooks.get("confirm-order")
    assert confirm is not None and (confirm.timeout, confirm.attempts, confirm.folder) == (60, 5, tmp_path)
    assert hooks.for_event("invoice.payment_failed") == ["retry-offer"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("hooks:\n  - name: A\n    events: [invoice.paid]\n    run: x\n",
         "2:11: hooks file hooks[0].name: 'A' is not a valid key (lowercase letters, digits"),
        ("hooks:\n  - name: a\n    events: []\n    run: x\n", "3:13: hook a: events is empty; name at least one event type"),
        ("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: x\n  - name: a\n    events: [invoice.paid]\n"
         "    run: y\n", "5:11: hook a is defined twice; also defined at line 2"),
        ("hooks:\n  - name: a\n    events: [invoice.paid]\n", "2:5: hooks file hooks[0]: missing required field 'run'"),
        ("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: x\n    pass_env: [SHOP_DB, STRIPE_API_KEY]\n",
         "5:25: hook a: pass_env STRIPE_API_KEY is reserved: STRIPE_* and RECONCILER_* variables are never passed"),
        ("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: \"echo \\0 hi\"\n",
         "4:10: hook a: run contains a control character (U+0000) at character 6; write the command without it"),
        ("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: \"rm -rf ./\\u202e/ fi.sh\"\n",
         "4:10: hook a: run contains a bidirectional control character (U+202E) at character 10"),
        ("hooks:\n  - name: a\n    events: [invoice.paid]\n    run: |\n      set -e\n      \techo ok\n", None),
        ("- a\n", "1:1: expected a mapping with 'hooks:', got a list"),
        ("# only a comment\n", "1:1: empty file: expected a mapping with 'hooks:' (a list of hooks)"),
    ],
)
def test_mistakes_are_located(tmp_path: Path, text: str, error: str | None) -> None:
    path = tmp_path / "hooks.yaml"
    path.write_text(text)
    if error is None:  # a multi-line script indented with a tab is a command line like any other
        assert load_hooks(path).names == ["a"]
        return
    with pytest.raises(SpecErrors) as caught:
        load_hooks(path)
    (line,) = caught.value.lines()
    assert line.startswith(f"{path}:{error}"), line
