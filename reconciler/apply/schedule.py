"""Which ready action starts first: the one with the longest chain still ahead of it.

A run at the rate limit takes at least max(requests / rate, longest chain x
round trip). Started in plan order, every customer would be created before
the first invoice, and the run would end on a tail of invoice chains
advancing one round trip at a time while the rate limit sits idle. Starting
the action whose remaining chain (its own round trips and the longest chain
of what waits on it) is longest keeps the chains' ends together, so the
last round trips of the run are as many requests as the rest.

Priorities are computed once from the plan's dependency graph; the graph
is acyclic for a valid plan (a cycle is reported by the runner, whose
actions in it never become ready), and nodes on a cycle get what was
computed before it was found.
"""

from __future__ import annotations

from reconciler.apply.steps import steps_for
from reconciler.plan.actions import Action, SendInvoice

# A guarded send's round trips one after the other: marker and ledger (read
# together), mark requested, the ledger again, send, mark done.
SEND_ROUND_TRIPS = 5


def round_trips(action: Action) -> int:
    """Requests `action` sends one after the other (when nothing is replayed)."""
    if isinstance(action, SendInvoice):
        return SEND_ROUND_TRIPS
    return len(steps_for(action))


def remaining_chains(actions: list[Action], dependents: dict[str, set[str]]) -> dict[str, int]:
    """Action id -> round trips from its start to the end of the longest chain through it."""
    weight = {act.id: round_trips(act) for act in actions}
    chain: dict[str, int] = {}
    for root in weight:
        # Depth first without recursion (a plan's chains may be long): a node
        # is done once every dependent is.
        stack = [root]
        entered: set[str] = set()
        while stack:
            node = stack[-1]
            if node in chain:
                stack.pop()
                continue
            pending = [d for d in dependents[node] if d not in chain and d not in entered]
            if pending and node not in entered:
                entered.add(node)
                stack.extend(pending)
                continue
            stack.pop()
            chain[node] = weight[node] + max((chain.get(d, 0) for d in dependents[node]), default=0)
    return chain
