"""Revision chains: which invoice of a spec key is its live one once Stripe revised it.

A revision (https://docs.stripe.com/invoicing/invoice-edits) is a new invoice
linked to the one it revises by `from_invoice`; when it is finalized Stripe
voids the original and sets the original's `latest_revision` ("the ID of the
most recent non-draft revision of this invoice", stripe-python's Invoice). The
revision copies the original's metadata, the tool's tag included, so both claim
the key: the newest revision is the key's invoice, the originals it replaced
are its history (never drift, never duplicates).

- A tagged invoice revised by a tagged one of the same key (a draft revision
  too: it is what the key's invoice becomes) is history.
- A tagged invoice whose `latest_revision` is set was replaced by a finalized
  revision; if that revision lacks the tag (its metadata wiped or not copied,
  in the Dashboard) it is the key's untagged revision, to adopt in a reviewed step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.live.records import LiveInvoice


@dataclass(frozen=True)
class Chains:
    superseded: frozenset[str]  # ids of revised invoices (history)
    revised: dict[str, tuple[LiveInvoice, ...]]  # key -> those invoices, oldest first
    untagged_revisions: dict[str, LiveInvoice]  # key -> its finalized revision without the tag


def revision_chains(tagged: Iterable[LiveInvoice], untagged: Mapping[str, LiveInvoice]) -> Chains:
    invoices = list(tagged)
    key_of = {invoice.id: invoice.key for invoice in invoices}
    superseded: set[str] = set()
    for invoice in invoices:
        if invoice.latest_revision:
            superseded.add(invoice.id)
        if invoice.from_invoice and key_of.get(invoice.from_invoice) == invoice.key:
            superseded.add(invoice.from_invoice)
    revised: dict[str, list[LiveInvoice]] = defaultdict(list)
    for invoice in invoices:
        if invoice.id in superseded:
            revised[invoice.key].append(invoice)
    live_ids = {invoice.key: invoice.id for invoice in invoices if invoice.id not in superseded}
    untagged_revisions: dict[str, LiveInvoice] = {}
    for invoice in invoices:
        found = untagged.get(invoice.latest_revision or "")
        if found is not None and invoice.key not in live_ids:
            untagged_revisions[invoice.key] = found
    return Chains(
        superseded=frozenset(superseded),
        revised={key: tuple(sorted(found, key=lambda i: (i.created, i.id))) for key, found in sorted(revised.items())},
        untagged_revisions=dict(sorted(untagged_revisions.items())),
    )
