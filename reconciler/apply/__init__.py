"""Applying a plan: ordered, parallel, rate-limited, retried, exactly-once writes.

Entry points: `runner.apply_plan` executes a Plan; `dry_run.planned_requests`
lists the requests it would send without sending any.
"""
