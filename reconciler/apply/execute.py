"""Executing one action: resolve refs, key each write, send it with retries.

`Execution` is the shared context of one apply run (gateway, resolver,
pacer, options, reporter); worker threads call `execute(action)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial
from typing import Any, TypeVar

from reconciler.apply.errors import KeyAlreadySent, ReplayedDeletedObjects, SendNotProvable
from reconciler.apply.idempotency import idempotency_key, rekey
from reconciler.apply.options import ApplyOptions
from reconciler.apply.report import Reporter
from reconciler.apply.resolve import Resolver
from reconciler.apply.result import describe
from reconciler.apply.sendguard import SentLedger
from reconciler.apply.steps import Step, item_ref_key, send_steps, steps_for
from reconciler.gateway import write
from reconciler.gateway.client import StripeGateway
from reconciler.gateway.errors import CardFailed
from reconciler.gateway.pacing import Pacer, call_paced
from reconciler.gateway.retry import Deadline
from reconciler.live.records import Live, LiveInvoice
from reconciler.live.sendproof import complete_since, provably_unsent
from reconciler.ownership import SEND_DONE, SEND_REQUESTED
from reconciler.plan.actions import (
    Action,
    ChargeInvoice,
    CreateRevision,
    FinalizeInvoice,
    Ref,
    SendInvoice,
    _Adopt,
    _Create,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# Derived keys tried after a create replayed a dead object; each costs one GET
# and one POST, and a chain grows by one link per delete-and-re-add in 24 h.
MAX_REKEYS = 16
# Links of a revision chain followed back from an invoice being sent.
MAX_REVISIONS = 50


class Execution:
    def __init__(
        self,
        gateway: StripeGateway,
        live: Live,
        *,
        options: ApplyOptions,
        reporter: Reporter,
        fingerprint: str = "",
        pacer: Pacer | None = None,
    ) -> None:
        self.gateway = gateway
        self.fingerprint = fingerprint
        self.options = options
        self.reporter = reporter
        self.resolver = Resolver(live)
        self.pacer = pacer or options.pacer()
        self.policy = options.retry_policy()
        self.sent_ledger = SentLedger(gateway, self.pacer, read=live)
        # Reads an action makes beside its own thread's (the send guard's ledger).
        self._side = ThreadPoolExecutor(max_workers=options.parallelism, thread_name_prefix="apply-side")
        self._lock = threading.Lock()
        self.attempts = 0
        self.retries = 0
        # Keys revised in this run -> what the revision replaces (for the finalize's report line).
        self._revised: dict[str, str] = {}

    def call(self, action: Action | None, fn: Callable[[], T]) -> T:
        """One gateway call, paced and retried on transient errors (reported
        as the action's; `action` None: the run's own, such as the prefetch)."""

        def attempt() -> T:
            with self._lock:
                self.attempts += 1
            return fn()

        def on_retry(n: int, delay: float, exc: BaseException) -> None:
            with self._lock:
                self.retries += 1
            if action is not None:
                self.reporter.on_retry(action, n, delay, str(exc))

        # --timeout bounds a call with its retries, writes as much as reads.
        deadline = Deadline.start(self.gateway.timeout, self.policy.clock)
        return call_paced(attempt, policy=self.policy, pacer=self.pacer, on_retry=on_retry, deadline=deadline)

    def _invoice_and_ledger(self, action: SendInvoice, invoice_id: str) -> LiveInvoice:
        """The invoice (its marker) and, unless the marker says sent, a ledger
        refreshed after this call. The two reads go out together (a round trip
        saved per send), but one after the other with --parallelism 1."""

        def read_ledger() -> None:
            self.sent_ledger.refresh(lambda fn: self.call(action, fn))

        def get() -> LiveInvoice:
            return self.call(action, lambda: write.get_invoice(self.gateway, invoice_id, retry=False))

        if self.options.parallelism == 1:
            invoice = get()
            if invoice.send_marker != SEND_DONE:
                read_ledger()
            return invoice
        ledger = self._side.submit(read_ledger)
        try:
            invoice = get()
        except BaseException:
            wait([ledger])
            raise
        if invoice.send_marker == SEND_DONE:
            wait([ledger])  # not needed after all; its error is not this action's
        else:
            ledger.result()
        return invoice

    def close(self) -> None:
        """After the run: the side reads' threads end (none is left running by an action)."""
        self._side.shutdown(wait=False, cancel_futures=True)

    def prefetch_sent_ledger(self) -> None:
        """Read the ledger of sent invoices ahead of the first send (a plan
        with sends reads it anyway, and its first read is the whole events
        window): the sends then wait for at most one newer page, not for it."""
        self.sent_ledger.refresh(lambda fn: self.call(None, fn))

    def execute(self, action: Action) -> str:
        """Run every step of `action`; returns a note for the reporter ("" if none)."""
        if isinstance(action, SendInvoice):
            return self._send_guarded(action)
        if isinstance(action, ChargeInvoice):
            return self._charge(action)
        notes: list[str] = []
        for step in steps_for(action):
            result = self._run(action, step, notes)
            if isinstance(action, FinalizeInvoice) and action.key in self._revised:
                notes.append(f"the revision is number {result.data.get('number')}, replacing {self._revised[action.key]}")
        if isinstance(action, _Adopt):
            # Later actions name the adopted object by its spec key (a Ref).
            self.resolver.record(Ref(action.kind, action.key), action.stripe_id)
        if isinstance(action, CreateRevision):
            self._record_revision_items(action)
            self._revised[action.key] = f"number {action.number} ({action.revises})" if action.number else action.revises
        return "; ".join(notes)

    def _record_revision_items(self, action: CreateRevision) -> None:
        """Later actions name the items the revision copied by their keys (one GET)."""
        revision_id = str(self.resolver.resolve(Ref("invoice", action.key)))
        revision = self.call(action, lambda: write.get_invoice(self.gateway, revision_id, retry=False, all_lines=True))
        for item in revision.items:
            if item.key:
                self.resolver.record(Ref("item", item_ref_key(action.key, item.key)), item.id)

    def run_step(self, action: Action, step: Step, notes: list[str] | None = None) -> str:
        """Send one write; returns the id of the object written. The key is
        computed over the exact parameters sent, so a retry or a re-run sends
        the same key (a replay) and a different write never reuses one."""
        return self._run(action, step, notes).id

    def _run(self, action: Action, step: Step, notes: list[str] | None = None) -> write.WriteResult:
        target = str(self.resolver.resolve(step.target)) if step.target is not None else None
        params = self.resolver.resolve(step.params)
        _, _, sent = write.request_for(step.op, target, params)
        key = idempotency_key(action, step.name, sent, target, fingerprint=self.fingerprint)
        result = self._send(action, step, target, params, key)
        if step.name == "create":
            result = self._unless_replayed_dead(action, step, params, sent, key, result, notes)
        if step.name == "create" and isinstance(action, _Create) and result.id:
            self.resolver.record(Ref(action.kind, action.key), result.id)
        return result

    def _send(
        self, action: Action, step: Step, target: str | None, params: dict[str, Any], key: str
    ) -> write.WriteResult:
        return self.call(action, lambda: write.send(self.gateway, step.op, target, params, idempotency_key=key))

    def _unless_replayed_dead(
        self,
        action: Action,
        step: Step,
        params: dict[str, Any],
        sent: dict[str, Any],
        key: str,
        result: write.WriteResult,
        notes: list[str] | None,
    ) -> write.WriteResult:
        """A create Stripe answered from an earlier request with its key (a
        retry, a re-run, a concurrent apply) is fine while that object still
        stands. If it was deleted or archived since (removed from the specs,
        then added back within 24 h), create anew under a derived key; every
        apply derives the same one, so concurrent applies still create once."""
        dead: list[str] = []
        while result.replayed and result.id:
            replayed_id = result.id
            fetch = partial(write.fetch_created, self.gateway, step.op, replayed_id, retry=False)
            obj = self.call(action, fetch)
            why = write.gone_since_created(obj, sent)
            if not why:
                break
            dead.append(f"{replayed_id} ({why})")
            if len(dead) > MAX_REKEYS:
                raise ReplayedDeletedObjects(describe(action), MAX_REKEYS)
            log.info("%s: key %s replayed %s, %s since; re-keying", describe(action), key, replayed_id, why)
            key = rekey(key, replayed_id)
            result = self._send(action, step, None, params, key)
        if dead and notes is not None:
            notes.append(f"created anew under a derived idempotency key: the original replayed {', '.join(dead)}")
        return result

    def _refuse_if_key_sent(self, action: SendInvoice, invoice: LiveInvoice) -> None:
        """Another invoice of this spec key was emailed (it lost its tag, so the plan
        made a new one): the customer already has this invoice; never a second email.
        Except the invoices this one revises: a revision replaces them, and is emailed
        once itself (its own marker and events); a second revision of the same original
        is still refused (the first one was emailed, and it revises nothing of it)."""
        others = self.sent_ledger.others_sent_as(action.key, invoice.id)
        if others:
            revised = self._revised_by(action, invoice)
            others = [other for other in others if other not in revised]
        if others:
            raise KeyAlreadySent(describe(action), invoice.id, action.key, others)

    def _revised_by(self, action: SendInvoice, invoice: LiveInvoice) -> frozenset[str]:
        """The invoices `invoice` revises, along its `from_invoice` links (one GET per link)."""
        found: list[str] = []
        current = invoice
        while current.from_invoice and current.from_invoice not in found and len(found) < MAX_REVISIONS:
            found.append(current.from_invoice)
            read = partial(write.get_invoice, self.gateway, current.from_invoice, retry=False)
            current = self.call(action, read)
        return frozenset(found)

    def _charge(self, action: ChargeInvoice) -> str:
        """One attempt to charge the reviewed card; a charge waiting for the customer's 3-D Secure
        is reported with the page where they complete it (one GET, only then)."""
        (step,) = steps_for(action)
        try:
            self.run_step(action, step)
        except CardFailed as exc:
            if not exc.needs_customer:
                raise
            invoice_id = str(self.resolver.resolve(step.target))
            invoice = self.call(action, lambda: write.get_invoice(self.gateway, invoice_id, retry=False))
            raise exc.at(invoice.hosted_invoice_url) from None
        return ""

    def _send_guarded(self, action: SendInvoice) -> str:
        """Email the customer at most once per invoice, whoever else may have
        sent it (see sendguard): marker, Stripe's `invoice.sent` events, and
        the events window, checked right before the send."""
        mark_requested, send, mark_done = send_steps(action)
        invoice_id = str(self.resolver.resolve(mark_requested.target))
        invoice = self._invoice_and_ledger(action, invoice_id)
        if invoice.send_marker == SEND_DONE:
            return "already sent"
        self._refuse_if_key_sent(action, invoice)
        if self.sent_ledger.was_sent(invoice_id):
            self.run_step(action, mark_done)
            if invoice.send_marker == SEND_REQUESTED:
                return "already sent; marker completed"
            return "already sent outside reconciler (Stripe has its invoice.sent event); marker recorded"
        server_time = self.sent_ledger.server_time
        if not provably_unsent(invoice.finalized_at, complete_since(server_time) if server_time else None):
            # A `requested` marker outside the window: a stopped run may have sent it; no spec field overrides that.
            interrupted = invoice.send_marker == SEND_REQUESTED
            if interrupted or not action.assume_unsent:
                raise SendNotProvable(describe(action), invoice_id, interrupted=interrupted)
        self.run_step(action, mark_requested)
        # Once more, as late as possible: Stripe has no conditional send, so this
        # narrows (it cannot close) the window in which a colleague's send and
        # ours cross.
        self.sent_ledger.refresh(lambda fn: self.call(action, fn))
        if self.sent_ledger.was_sent(invoice_id):
            self.run_step(action, mark_done)
            return "already sent outside reconciler (Stripe has its invoice.sent event); marker recorded"
        self._refuse_if_key_sent(action, invoice)
        self.run_step(action, send)
        self.run_step(action, mark_done)
        return ""
