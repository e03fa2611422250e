"""Executing one action: resolve refs, key each write, send it with retries.

`Execution` is the shared context of one apply run (gateway, resolver, rate
limiter, options, reporter); worker threads call `execute(action)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from reconciler.apply.idempotency import idempotency_key
from reconciler.apply.options import ApplyOptions
from reconciler.apply.ratelimit import TokenBucket
from reconciler.apply.report import Reporter
from reconciler.apply.resolve import Resolver
from reconciler.apply.retry import call_with_retries
from reconciler.apply.steps import Step, send_steps, steps_for
from reconciler.gateway import write
from reconciler.gateway.client import StripeGateway
from reconciler.live.records import Live
from reconciler.ownership import SEND_DONE, SEND_REQUESTED
from reconciler.plan.actions import Action, Ref, SendInvoice, _Create

T = TypeVar("T")


class Execution:
    def __init__(
        self, gateway: StripeGateway, live: Live, *, options: ApplyOptions, reporter: Reporter, fingerprint: str = ""
    ) -> None:
        self.gateway = gateway
        self.fingerprint = fingerprint
        self.options = options
        self.reporter = reporter
        self.resolver = Resolver(live)
        self.limiter = TokenBucket(options.max_rps, clock=options.clock, sleep=options.sleep)
        self._lock = threading.Lock()
        self.attempts = 0
        self.retries = 0

    def call(self, action: Action, fn: Callable[[], T]) -> T:
        """One gateway call, rate-limited and retried on transient errors."""

        def attempt() -> T:
            with self._lock:
                self.attempts += 1
            return fn()

        def on_retry(n: int, delay: float, exc: BaseException) -> None:
            with self._lock:
                self.retries += 1
            self.reporter.on_retry(action, n, delay, str(exc))

        opts = self.options
        return call_with_retries(
            attempt,
            limiter=self.limiter,
            max_attempts=opts.max_attempts,
            base=opts.base_backoff,
            cap=opts.max_backoff,
            rng=opts.rng,
            sleep=opts.sleep,
            on_retry=on_retry,
        )

    def execute(self, action: Action) -> str:
        """Run every step of `action`; returns a note for the reporter ("" if none)."""
        if isinstance(action, SendInvoice):
            return self._send_guarded(action)
        for step in steps_for(action):
            self.run_step(action, step)
        return ""

    def run_step(self, action: Action, step: Step) -> str:
        """Send one write; returns the id of the object written. The key is
        computed over the exact parameters sent, so a retry or a re-run sends
        the same key (a replay) and a different write never reuses one."""
        target = str(self.resolver.resolve(step.target)) if step.target is not None else None
        params = self.resolver.resolve(step.params)
        _, _, sent = write.request_for(step.op, target, params)
        key = idempotency_key(action, step.name, sent, target, fingerprint=self.fingerprint)
        result = self.call(action, lambda: write.send(self.gateway, step.op, target, params, idempotency_key=key))
        if step.name == "create" and isinstance(action, _Create) and result.id:
            self.resolver.record(Ref(action.kind, action.key), result.id)
        return result.id

    def _send_guarded(self, action: SendInvoice) -> str:
        """Email the customer at most once per invoice, even beyond the 24 h
        idempotency window: the marker is set to "requested" before the send
        and to "done" after it; a marker left at "requested" (a crash in
        between) is settled by looking for the invoice's `invoice.sent` event."""
        mark_requested, send, mark_done = send_steps(action)
        invoice_id = str(self.resolver.resolve(mark_requested.target))
        invoice = self.call(action, lambda: write.get_invoice(self.gateway, invoice_id))
        if invoice.send_marker == SEND_DONE:
            return "already sent"
        if invoice.send_marker == SEND_REQUESTED:
            sent_ids = self.call(
                action,
                lambda: write.list_events(self.gateway, type="invoice.sent", created_gte=invoice.created or None),
            )
            if invoice_id in sent_ids:
                self.run_step(action, mark_done)
                return "already sent; marker completed"
        for step in (mark_requested, send, mark_done):
            self.run_step(action, step)
        return ""
