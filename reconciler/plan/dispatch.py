"""Tables keyed by action class, looked up along the class hierarchy.

As Alembic's Dispatcher does for its ops: a row for a base class (`_Create`)
serves every subclass (CreateProduct, CreateCustomer, a kind added later)
unless a row for the subclass itself comes first in its MRO (CreatePrice's
own describer). `resolved()` is the table as every action class sees it, for
the tests that check a table covers every class in ALL_ACTIONS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from reconciler.plan.actions import Action

H = TypeVar("H")


class ByActionType(Generic[H]):
    def __init__(self, rows: Mapping[type[Action], H]) -> None:
        self._rows = dict(rows)

    def get(self, cls: type[Action]) -> H | None:
        """The row of the nearest class in `cls`'s MRO that has one."""
        return next((self._rows[base] for base in cls.__mro__ if base in self._rows), None)

    def resolved(self, classes: Iterable[type[Action]]) -> dict[type[Action], H]:
        """Each of `classes` that has a row, with the row it gets."""
        found = {cls: self.get(cls) for cls in classes}
        return {cls: row for cls, row in found.items() if row is not None}
