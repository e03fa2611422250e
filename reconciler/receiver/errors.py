"""Errors of the receiver's commands (the HTTP side answers 400/503 instead)."""

from __future__ import annotations

from reconciler.errors import ReconcilerError


class ReceiverError(ReconcilerError):
    """A `reconciler webhook` command cannot go on."""


class NoWebhookSecret(ReceiverError):
    def __init__(self) -> None:
        super().__init__("no webhook signing secret: pass --secret-file FILE or set STRIPE_WEBHOOK_SECRET")


class BadWebhookSecret(ReceiverError):
    def __init__(self, where: str, detail: str) -> None:
        # `where` names a file and line or the variable, never the value.
        super().__init__(f"{where}: {detail}")


class JournalError(ReceiverError):
    """The journal cannot be opened or used."""


class UnknownEvent(ReceiverError):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} is not in the journal")


class HookRunning(ReceiverError):
    def __init__(self, event_id: str, hook: str) -> None:
        super().__init__(f"hook {hook} of event {event_id} is running now; replay it once it has finished")
