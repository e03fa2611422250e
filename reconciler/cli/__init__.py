"""Command-line interface: parse options, call one library function, print.

The only module that imports click. Library errors (ReconcilerError) become
one-line messages on stderr and exit code 1; nothing else turns into a
traceback unless RECONCILER_DEBUG is set.

A package, one module per command group: errors (exit codes, the one-line
error decorator), options (shared option bundles), main (the group), then
specs, planning, importing, sandbox, status and webhook. Importing it loads
neither `stripe` nor pydantic: commands import the library inside their body.
"""

from __future__ import annotations

from reconciler.apply.options import MAX_PARALLELISM
from reconciler.cli import importing, planning, sandbox, specs, status, webhook
from reconciler.cli.main import main
from reconciler.gateway.retry import DEFAULT_TIMEOUT

# The command modules register their commands on `main` when imported.
__all__ = ["DEFAULT_TIMEOUT", "MAX_PARALLELISM", "importing", "main", "planning", "sandbox", "specs", "status", "webhook"]
