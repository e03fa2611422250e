"""The one way tests run the CLI: in-process, with none of the developer's settings.

Every RECONCILER_* and STRIPE_* variable of the calling shell is removed for the
run (a developer's RECONCILER_REDACT=1 or STRIPE_API_KEY must not change what a
test sees); NO_COLOR keeps output plain. A test's own `env` is applied on top.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from click.testing import CliRunner, Result

OWN_PREFIXES = ("RECONCILER_", "STRIPE_")


def clean_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """The environment of a test run: ours and Stripe's variables unset, colour off, then `extra`."""
    removed: dict[str, str | None] = {name: None for name in os.environ if name.startswith(OWN_PREFIXES)}
    return {**removed, "NO_COLOR": "1", **(extra or {})}


def invoke(args: Sequence[str], *, env: Mapping[str, str | None] | None = None, obj: Any = None,
           catch_exceptions: bool = False) -> Result:
    """`reconciler ARGS` in a clean environment; exceptions propagate unless asked otherwise."""
    from reconciler.cli import main

    return CliRunner().invoke(main, list(args), env=clean_env(env), obj=obj, catch_exceptions=catch_exceptions)
