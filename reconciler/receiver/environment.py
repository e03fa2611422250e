"""What a hook's process finds in its environment: a short, documented list, nothing inherited by accident.

The receiver's own environment holds write-capable secrets (STRIPE_API_KEY,
STRIPE_WEBHOOK_SECRET, a journal URL with its password): a hook is a shell
command that may log or forward its environment, so it gets only what a shell
needs to work, the facts of its run, and the variables its hooks file asks for
by name (`pass_env`, never a STRIPE_* or RECONCILER_* name).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.live.payments import InvoiceSnapshot
from reconciler.receiver.hooks import Hook
from reconciler.receiver.journal import Claim, RecordedInvoice

# Passed from the receiver's environment when set (documented in docs/payment-events.md).
SYSTEM_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")


def hook_environment(claim: Claim, hook: Hook, invoice: RecordedInvoice | None,
                     inherited: Mapping[str, str] = os.environ, *,
                     read: InvoiceSnapshot | None = None) -> dict[str, str]:  # fmt: skip
    """The whole environment of one run of `hook` for the claimed event: one entry per documented variable."""
    env = {name: inherited[name] for name in (*SYSTEM_VARIABLES, *hook.pass_env) if name in inherited}
    env.setdefault("PATH", os.defpath)
    env.update({
        "RECONCILER_EVENT_ID": claim.event_id,
        "RECONCILER_EVENT_TYPE": claim.event_type,
        "RECONCILER_OBJECT_ID": claim.object_id or "",
        "RECONCILER_INVOICE_ID": invoice.id if invoice else "",
        "RECONCILER_INVOICE_KEY": (invoice.key or "") if invoice else "",
        "RECONCILER_INVOICE_STATUS": invoice.status if invoice else "",
        "RECONCILER_HOOK_NAME": hook.name,
        "RECONCILER_HOOK_ATTEMPT": str(claim.attempt),
        # From the invoice as read for this run: where the customer pays, how often Stripe tried to charge.
        "RECONCILER_HOSTED_INVOICE_URL": (read.hosted_invoice_url or "") if read else "",
        "RECONCILER_ATTEMPT_COUNT": str(read.attempt_count) if read else "",
    })  # fmt: skip
    return env
