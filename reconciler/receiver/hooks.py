"""The hooks file: which shell command runs for which payment events.

```yaml
hooks:
  - name: confirm-order
    events: [invoice.paid]
    run: ./scripts/confirm.sh        # a shell command line, run from the hooks file's folder
    timeout: 60                       # seconds, default 60
    attempts: 5                       # default 5; then the hook is dead for that event
    pass_env: [DATABASE_URL]          # variables of the receiver's environment it gets (see environment.py)
```

Errors are reported as FILE:LINE:COL: message, like spec errors.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.receiver.controls import command_problem
from reconciler.spec.errors import SpecError, SpecErrors
from reconciler.spec.pydantic_errors import translate
from reconciler.spec.yamltree import Document, describe, read_document

# The event families the receiver is for (Stripe's names); a typo in a hooks
# file would otherwise subscribe to an event that never comes.
KNOWN_EVENTS = tuple(sorted({
    *(f"invoice.{name}" for name in (
        "created", "deleted", "finalization_failed", "finalized", "marked_uncollectible", "overdue",
        "overpaid", "paid", "payment_action_required", "payment_attempt_required", "payment_failed",
        "payment_succeeded", "sent", "upcoming", "updated", "voided", "will_be_due")),
    *(f"payment_intent.{name}" for name in (
        "amount_capturable_updated", "canceled", "created", "partially_funded", "payment_failed",
        "processing", "requires_action", "succeeded")),
    "invoice_payment.paid",
    *(f"credit_note.{name}" for name in ("created", "updated", "voided")),
}))  # fmt: skip
DEFAULT_TIMEOUT = 60
DEFAULT_ATTEMPTS = 5


class _HookModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    events: list[str]
    run: str = Field(min_length=1)
    timeout: int = Field(default=DEFAULT_TIMEOUT, ge=1, le=86_400)
    attempts: int = Field(default=DEFAULT_ATTEMPTS, ge=1, le=100)
    pass_env: list[str] = Field(default_factory=list)


class _HooksFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    hooks: list[_HookModel] = Field(default_factory=list)


@dataclass(frozen=True)
class Hook:
    name: str
    events: tuple[str, ...]
    run: str
    timeout: int
    attempts: int
    folder: Path  # the hooks file's folder: the command's working directory
    pass_env: tuple[str, ...] = ()


@dataclass(frozen=True)
class HookSet:
    hooks: tuple[Hook, ...] = ()

    def for_event(self, event_type: str) -> list[str]:
        """Names of the hooks that run for this event type, in file order."""
        return [hook.name for hook in self.hooks if event_type in hook.events]

    def get(self, name: str) -> Hook | None:
        return next((hook for hook in self.hooks if hook.name == name), None)

    @property
    def names(self) -> list[str]:
        return [hook.name for hook in self.hooks]

    @property
    def event_types(self) -> list[str]:
        """Every event type some hook needs, sorted: what `webhook register` subscribes to."""
        return sorted({event for hook in self.hooks for event in hook.events})


_EMPTY = "empty file: expected a mapping with 'hooks:' (a list of hooks)"


def load_hooks(path: str | Path) -> HookSet:
    """The hooks of one file, or SpecErrors listing every problem in it."""
    file = Path(path)
    errors: list[SpecError] = []
    document = read_document(file, str(path), errors)
    if document is None:
        # The YAML reader speaks of spec files; an empty hooks file needs its own words.
        raise SpecErrors(
            dataclasses.replace(e, message=_EMPTY) if e.message.startswith("empty file:") else e for e in errors
        )
    data = {} if document.data is None else document.data
    if not isinstance(data, dict):
        raise SpecErrors([document.error(document.value_pos(()), f"expected a mapping with 'hooks:', got {describe(data)}")])
    try:
        model = _HooksFileModel.model_validate(data)
    except ValidationError as exc:
        raise SpecErrors(
            document.error(pos, message) for pos, message in translate(exc, _HooksFileModel, "hooks file", (), document)
        ) from None
    errors = list(_check(model, document))
    if errors:
        raise SpecErrors(errors)
    folder = file.resolve().parent
    return HookSet(tuple(
        Hook(h.name, tuple(dict.fromkeys(h.events)), h.run, h.timeout, h.attempts, folder, tuple(h.pass_env))
        for h in model.hooks
    ))  # fmt: skip


def _check(model: _HooksFileModel, document: Document) -> Iterator[SpecError]:
    seen: dict[str, int] = {}
    for index, hook in enumerate(model.hooks):
        if hook.name in seen:
            first = document.value_pos(("hooks", seen[hook.name], "name"))
            yield document.error(document.value_pos(("hooks", index, "name")),
                                 f"hook {hook.name} is defined twice; also defined at line {first.line}")
        seen.setdefault(hook.name, index)
        if not hook.events:
            yield document.error(document.value_pos(("hooks", index, "events")),
                                 f"hook {hook.name}: events is empty; name at least one event type")
        for position, event in enumerate(hook.events):
            if event not in KNOWN_EVENTS:
                close = difflib.get_close_matches(event, KNOWN_EVENTS, n=1, cutoff=0.7)
                hint = f" (did you mean '{close[0]}'?)" if close else " (an invoice.*, payment_intent.*, invoice_payment.* or credit_note.* event)"
                yield document.error(document.value_pos(("hooks", index, "events", position)),
                                     f"hook {hook.name}: unknown event type '{event}'{hint}")
        problem = command_problem(hook.run)
        if problem:
            yield document.error(document.value_pos(("hooks", index, "run")), f"hook {hook.name}: run {problem}")
        for position, name in enumerate(hook.pass_env):
            problem = _pass_env_problem(name)
            if problem:
                yield document.error(document.value_pos(("hooks", index, "pass_env", position)),
                                     f"hook {hook.name}: pass_env {problem}")


_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# Stripe's keys and secrets, and the receiver's own names: never a hook's to ask for.
_RESERVED_PREFIXES = ("STRIPE_", "RECONCILER_")


def _pass_env_problem(name: str) -> str | None:
    if not _VARIABLE.match(name):
        return f"{name!r} is not an environment variable name"
    if name.upper().startswith(_RESERVED_PREFIXES):
        return f"{name} is reserved: STRIPE_* and RECONCILER_* variables are never passed to hooks"
    return None
