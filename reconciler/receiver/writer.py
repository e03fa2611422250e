"""The journal writer: verified events go into the journal in batches before they are acknowledged.

One thread owns a journal connection; requests hand it their event and wait
for its commit. Under load several events share one transaction (one disk
flush), so a durable commit per acknowledgement stays cheap.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from reconciler.receiver.event import ReceivedEvent
from reconciler.receiver.hooks import HookSet
from reconciler.receiver.journal import Journal
from reconciler.receiver.journal.records import SOURCE_WEBHOOK

log = logging.getLogger(__name__)

MAX_BATCH = 256
_STOP = None


class JournalWriter:
    def __init__(
        self,
        journal: Journal,
        hooks: HookSet,
        *,
        clock: Callable[[], float] = time.time,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.journal = journal
        self.hooks = hooks
        self.clock = clock
        self.on_commit = on_commit
        self._queue: queue.SimpleQueue[tuple[ReceivedEvent, Future[bool]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()

    def submit(self, event: ReceivedEvent) -> Future[bool]:
        """A future: True once the event is journaled, False if it already was."""
        future: Future[bool] = Future()
        self._queue.put((event, future))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(more)
            self._write([entry for entry in batch if entry is not None])

    def _write(self, batch: list[tuple[ReceivedEvent, Future[bool]]]) -> None:
        try:
            fresh = self.journal.record([event for event, _ in batch], self.hooks.for_event,
                                        now=self.clock(), source=SOURCE_WEBHOOK)  # fmt: skip
        except Exception as exc:  # the requests answer 503 and Stripe redelivers
            log.error("journal write failed for %s events: %s", len(batch), exc)
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), new in zip(batch, fresh, strict=False):
            future.set_result(new)
        if any(fresh):
            self.on_commit()
