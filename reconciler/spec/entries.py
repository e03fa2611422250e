"""One spec entry (a product, price, customer or invoice) and where it was written."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from reconciler.kinds import KINDS as KIND_INFOS
from reconciler.spec.errors import SpecError
from reconciler.spec.models import SPEC_MODELS
from reconciler.spec.yamltree import Document, YamlPath

# Top-level key -> (singular for messages, model), from the registry; its order is the report order.
KINDS: dict[str, tuple[str, type[BaseModel]]] = {info.section: (info.name, SPEC_MODELS[info.name]) for info in KIND_INFOS.values()}


@dataclass
class Entry:
    """A spec entry as read; `model` is set once it passed field validation."""

    kind: str
    key: str
    doc: Document
    raw: object
    model: BaseModel | None = None

    @property
    def path(self) -> YamlPath:
        return (self.kind, self.key)

    @property
    def where(self) -> str:
        return f"{KINDS[self.kind][0]} '{self.key}'"

    def at(self, sub: YamlPath, message: str, *, on_key: bool = False) -> SpecError:
        """An error at the value (or key) `sub` below this entry."""
        path = (*self.path, *sub)
        pos = self.doc.key_pos(path) if on_key else self.doc.value_pos(path)
        return self.doc.error(pos, message)
