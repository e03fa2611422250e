"""What Stripe fixes and the tool relies on: the API version it speaks, and Stripe's windows and limits.

One place for each fact, so a change on Stripe's side is one edit; the tool's
own choices derived from them (the trusted part of the events window, the
metadata room it keeps for itself) sit beside the fact they shrink. Imports
nothing: the CLI reads these without loading the SDK. The sandbox keeps its
own copies on purpose (it emulates Stripe and must not take the tool's word).

Sources (see also docs/plan.md and docs/apply.md):
- API version: pinned by stripe-python 16.1 (`stripe.api_version`), sent on every request.
- Events: "List events, going back up to 30 days" — https://docs.stripe.com/api/events/list
- Idempotency keys: removed "after they're at least 24 hours old" — https://docs.stripe.com/api/idempotent_requests
- Metadata: "up to 50 keys, with key names up to 40 characters long and values up to
  500 characters long" — https://docs.stripe.com/api/metadata
- List pages: `limit` "ranging between 1 and 100" — https://docs.stripe.com/api/pagination
"""

from __future__ import annotations

DAY = 86_400

API_VERSION = "2026-10-28.endive"

# Stripe keeps events for 30 days. The tool trusts only the last 29 of them to
# be complete: a day's margin for clock skew and for however Stripe trims its history.
EVENTS_WINDOW = 30 * DAY
TRUSTED_EVENTS_WINDOW = EVENTS_WINDOW - DAY

IDEMPOTENCY_KEY_TTL = DAY

MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500

# The largest `limit` of a list request: the tool always reads full pages.
PAGE_SIZE = 100
