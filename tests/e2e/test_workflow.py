"""The apply workflow below the CLI: what a declined confirmation does."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.apply.workflow import ApplyCancelled, ApplyRequest, run_apply
from reconciler.connection import open_gateway
from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

EXAMPLE_SPECS = Path(__file__).resolve().parents[2] / "specs"


def test_declined_confirmation_is_an_error_and_writes_nothing(sandbox: RunningSandbox) -> None:
    shown: list[str] = []
    request = ApplyRequest(spec_paths=[str(EXAMPLE_SPECS)])
    with open_gateway(api_key=SANDBOX_API_KEY, api_base=sandbox.url, sandbox=None) as gateway:
        with pytest.raises(ApplyCancelled, match="^apply cancelled: nothing was changed$"):
            run_apply(request, gateway, confirm=lambda: False, echo=shown.append)
    assert "Plan: 9 to create, 0 to update, 2 lifecycle steps, 0 to destroy." in shown[-1]
    assert sandbox.stats()["writes"] == 0
