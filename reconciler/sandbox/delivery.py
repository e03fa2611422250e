"""Webhook delivery: signed POSTs in the background, retried with backoff.

The clock is injected and `deliver_due()` runs one pass synchronously, so
tests drive retries by moving a fake clock instead of waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.models import webhooks
from reconciler.sandbox.store import Store

log = logging.getLogger(__name__)

# Seconds before attempts 2, 3 and 4. The sandbox is a test-mode account, where Stripe
# "retries three times over a few hours" (docs.stripe.com/webhooks; live mode retries
# for up to three days); Stripe does not publish the intervals: these are the sandbox's.
BACKOFF = (60.0, 300.0, 3 * 3600.0)
MAX_ATTEMPTS = len(BACKOFF) + 1

Post = Callable[[str, bytes, dict[str, str]], int]


def sign(secret: str, payload: bytes, timestamp: int) -> str:
    """The Stripe-Signature header value for a payload."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return 0


class WebhookDispatcher:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        post: Post = http_post,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self.store = store
        self.clock = clock  # the sandbox's (advanceable) clock: when deliveries are due
        # Signatures carry the time of sending as a receiver sees it: the base clock, never
        # the advanced one (a receiver's 300 s tolerance would refuse every delivery).
        self.sign_clock: Callable[[], float] = clock.base if isinstance(clock, SandboxClock) else clock
        self.post = post
        self.backoff = backoff
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pass_lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                self._wake.wait(timeout=self._seconds_to_next())
                if self._stopping:
                    return
            try:
                self.deliver_due()
            except Exception:  # the delivery thread must outlive one bad pass
                log.exception("webhook delivery pass failed")

    def _seconds_to_next(self) -> float:
        with self.store.transaction() as tx:
            row = tx.conn.execute(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending'"
            ).fetchone()
        if row[0] is None:
            return 1.0
        return max(0.0, min(1.0, float(row[0]) - self.clock()))

    def deliver_due(self) -> int:
        """Attempt every delivery that is due now; how many were attempted."""
        with self._pass_lock:
            now = self.clock()
            with self.store.transaction() as tx:
                due = tx.conn.execute(
                    "SELECT id, event_id, endpoint_id, attempts FROM deliveries "
                    "WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id",
                    (now,),
                ).fetchall()
                jobs = []
                for delivery_id, event_id, endpoint_id, attempts in due:
                    target = webhooks.secret_of(tx, endpoint_id)
                    found = tx.get("event", event_id)
                    if target is None or found is None:
                        tx.conn.execute("UPDATE deliveries SET state = 'dropped' WHERE id = ?", (delivery_id,))
                        continue
                    jobs.append((delivery_id, attempts, target, found[0]))
            for delivery_id, attempts, (url, secret), event in jobs:
                payload = json.dumps(event, indent=2).encode()
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": sign(secret, payload, int(self.sign_clock())),
                }
                status = self.post(url, payload, headers)
                self._record(delivery_id, attempts + 1, status)
            return len(jobs)

    def _record(self, delivery_id: int, attempts: int, status: int) -> None:
        with self.store.transaction() as tx:
            if 200 <= status < 300:
                state, next_at = "delivered", self.clock()
            elif attempts >= len(self.backoff) + 1:
                state, next_at = "failed", self.clock()
            else:
                state, next_at = "pending", self.clock() + self.backoff[attempts - 1]
            tx.conn.execute(
                "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ? "
                "WHERE id = ?",
                (state, attempts, next_at, status, delivery_id),
            )

    def deliveries(self) -> list[dict[str, object]]:
        """Every delivery with its state, for tests and the admin surface."""
        with self.store.transaction() as tx:
            rows = tx.conn.execute(
                "SELECT id, event_id, endpoint_id, attempts, state, last_status, next_attempt_at "
                "FROM deliveries ORDER BY id"
            ).fetchall()
        keys = ("id", "event_id", "endpoint_id", "attempts", "state", "last_status", "next_attempt_at")
        return [dict(zip(keys, row, strict=False)) for row in rows]
