"""The payment-events receiver: `reconciler webhook serve` and its helpers.

- signature: Stripe-Signature verification on the raw bytes, several secrets
- secrets: where the signing secrets come from (file or environment), reloaded on change
- event: a verified request body -> ReceivedEvent
- hooks: the hooks file (hooks.yaml) -> HookSet
- journal/: events and per-(event, hook) runs, SQLite or PostgreSQL
- writer: batches verified events into the journal before they are acknowledged
- app: the ASGI application (served by uvicorn, see server)
- runner: claims due hook runs, reads the invoice from Stripe, runs the command
- process: one hook command as a child process
- catchup, register, listing: the other `reconciler webhook` commands
"""
