"""The journal's tables, one definition per backend dialect.

Stable names: tools and people query these tables (`reconciler webhook
events` is only one reader), so a rename is a migration, never a refactor.
"""

from __future__ import annotations

SCHEMA_VERSION = "1"


def statements(*, bigint: str, real: str) -> list[str]:
    """CREATE statements; `bigint`/`real` are the dialect's type names."""
    return [
        "CREATE TABLE IF NOT EXISTS reconciler_journal_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"""CREATE TABLE IF NOT EXISTS reconciler_events (
            event_id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            created {bigint} NOT NULL,
            object_id TEXT,
            invoice_id TEXT,
            received_at {real} NOT NULL,
            source TEXT NOT NULL,
            payload TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS reconciler_events_created ON reconciler_events (created)",
        "CREATE INDEX IF NOT EXISTS reconciler_events_invoice ON reconciler_events (invoice_id, created)",
        f"""CREATE TABLE IF NOT EXISTS reconciler_hook_runs (
            event_id TEXT NOT NULL REFERENCES reconciler_events (event_id),
            hook TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at {real} NOT NULL,
            lease_until {real},
            worker TEXT,
            last_error TEXT,
            updated_at {real} NOT NULL,
            PRIMARY KEY (event_id, hook)
        )""",
        "CREATE INDEX IF NOT EXISTS reconciler_hook_runs_due ON reconciler_hook_runs (state, next_attempt_at)",
        f"""CREATE TABLE IF NOT EXISTS reconciler_invoices (
            invoice_id TEXT PRIMARY KEY,
            invoice_key TEXT,
            status TEXT NOT NULL,
            status_rank INTEGER NOT NULL,
            amount_paid {bigint} NOT NULL,
            amount_remaining {bigint} NOT NULL,
            observed_at {real} NOT NULL,
            event_id TEXT
        )""",
    ]
