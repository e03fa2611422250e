"""Read one YAML file into plain values, keeping the position of every key and value.

PyYAML's loaders keep the last of two equal mapping keys without a word and
forget where values came from, so we compose the node graph (reconciler.spec.compose:
libyaml where installed) and build the values from it, reporting problems as
SpecError records.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.spec.compose import MAX_DEPTH, YamlSyntaxError, compose_libyaml, compose_python
from reconciler.spec.errors import SpecError

MAX_FILE_BYTES = 5 * 1024 * 1024
# Bounds what aliases can expand to ("billion laughs").
MAX_VALUES = 200_000
# Positions kept while reading: the top-level keys and each entry, (kind, key).
SHALLOW = 2

YamlPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_TYPED_SCALARS = {
    "tag:yaml.org,2002:int": ("an integer", SafeConstructor.construct_yaml_int),
    "tag:yaml.org,2002:float": ("a number", SafeConstructor.construct_yaml_float),
    "tag:yaml.org,2002:bool": ("a boolean", SafeConstructor.construct_yaml_bool),
    "tag:yaml.org,2002:timestamp": ("a date", SafeConstructor.construct_yaml_timestamp),
}
_KEY_TAGS = frozenset({_STR, _NULL, *_TYPED_SCALARS})
# YAML 1.2's decimal integers; PyYAML resolves by YAML 1.1, where 0100 is
# octal 64, 1:30 is sexagesimal 90, and 0x1F, 0b11 and 1_000 are integers too.
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")


def _yaml11_number(node: ScalarNode) -> str:
    """Why a number would be read by YAML 1.1 rules only (not YAML 1.2's), or ""."""
    text = str(node.value)
    if node.tag == "tag:yaml.org,2002:int" and not _DECIMAL_INT.fullmatch(text):
        return (
            f"'{text}' is not a decimal integer: integers here follow YAML 1.2 (YAML 1.1 would read it as "
            f"{_yaml11_reading(text)}); write plain decimal digits without leading zeros, or quote it for a string"
        )
    if node.tag == "tag:yaml.org,2002:float" and ("_" in text or ":" in text):
        return f"'{text}' is not a YAML 1.2 number (no '_' or ':' in numbers); write plain digits, or quote it for a string"
    return ""


def _yaml11_reading(text: str) -> str:
    try:
        return str(SafeConstructor.construct_yaml_int(SafeConstructor(), ScalarNode("tag:yaml.org,2002:int", text)))
    except Exception:  # an explicit !!int on something no YAML reads as a number
        return "nothing sensible"


class Pos(NamedTuple):
    """A 1-based line and column."""

    line: int
    column: int


@dataclass
class Document:
    """One file's values plus where each key and value sits in it.

    Reading keeps the positions of the top-level keys and of each entry
    (paths of up to SHALLOW parts: what a loaded spec keeps as its location);
    the rest are found again from the text when a message needs one, so a
    large valid tree does not hold one position per value in memory.
    """

    file: str
    data: Any
    values: dict[YamlPath, Pos] = field(default_factory=dict)
    keys: dict[YamlPath, Pos] = field(default_factory=dict)
    text: str | None = None  # the source; None: `values` and `keys` hold every position
    _every: tuple[dict[YamlPath, Pos], dict[YamlPath, Pos]] | None = field(default=None, repr=False, compare=False)

    def positions(self) -> tuple[dict[YamlPath, Pos], dict[YamlPath, Pos]]:
        """Every value's and every key's position."""
        if self._every is None:
            self._every = (self.values, self.keys) if self.text is None else _every_position(self.file, self.text)
        return self._every

    def _tables(self, path: YamlPath) -> tuple[dict[YamlPath, Pos], dict[YamlPath, Pos]]:
        return (self.values, self.keys) if len(path) <= SHALLOW else self.positions()

    def value_pos(self, path: YamlPath) -> Pos:
        """Where the value at `path` starts, else where its nearest ancestor does."""
        for end in range(len(path), -1, -1):
            pos = self._tables(path[:end])[0].get(path[:end])
            if pos is not None:
                return pos
        return Pos(1, 1)

    def key_pos(self, path: YamlPath) -> Pos:
        """Where the key of the entry at `path` sits (its value for list items)."""
        return self._tables(path)[1].get(path) or self.value_pos(path)

    def error(self, pos: Pos, message: str) -> SpecError:
        return SpecError(self.file, pos.line, pos.column, message)


def read_document(path: Path, display: str, errors: list[SpecError]) -> Document | None:
    """Parse `path`; on any problem append it to `errors` and return None."""

    def fail(message: str, line: int = 1, column: int = 1) -> None:
        errors.append(SpecError(display, line, column, message))
        return None

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            fail(f"file is {size} bytes; spec files are limited to {MAX_FILE_BYTES} bytes (5 MB)")
            return None
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read file: {exc.strerror or exc}")
        return None
    if b"\x00" in raw:
        line, column = _byte_position(raw, raw.index(b"\x00"))
        fail("binary file (contains a NUL byte); spec files are UTF-8 YAML text", line, column)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(raw, exc.start)
        fail(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); spec files are UTF-8 YAML text", line, column)
        return None
    text = text.removeprefix("\ufeff")
    if not text.endswith(("\n", "\r", "\x85", "\u2028", "\u2029")):
        # Where the stream ends (the mark of a value left empty on the last
        # line) differs between the composers unless the last line is ended.
        text += "\n"
    try:
        return _read(display, text, errors, record=SHALLOW)
    except YamlSyntaxError as exc:
        fail(exc.message, exc.line, exc.column)
        return None


def _read(display: str, text: str, errors: list[SpecError], *, record: int | None) -> Document | None:
    """Compose (libyaml if it gives the pure composer's answer) and build; YamlSyntaxError."""
    node = compose_libyaml(text)
    if node is not None:
        try:
            return _build(display, text, node, errors, strict_depth=True, record=record)
        except _Recompose:
            pass  # the pure composer's answer may differ: let it decide
    return _build(display, text, compose_python(text), errors, strict_depth=False, record=record)


def _every_position(display: str, text: str) -> tuple[dict[YamlPath, Pos], dict[YamlPath, Pos]]:
    """Every position in a text read before (as it was read: same composer, same values)."""
    document = _read(display, text, [], record=None)
    assert document is not None, "a text that was read once reads again"
    return document.values, document.keys


def _build(
    display: str, text: str, node: Node, errors: list[SpecError], *, strict_depth: bool, record: int | None
) -> Document | None:
    """Values and positions (paths of up to `record` parts; None: all) of a
    composed document; None (and the error) if it cannot be read."""
    document = Document(display, None, text=None if record is None else text)
    found: list[SpecError] = []
    builder = _Builder(document, found, strict_depth=strict_depth, record=record)
    try:
        document.data = builder.build(node, (), 0)
    except _Abort as abort:
        if strict_depth:
            raise _Recompose() from None
        errors.append(document.error(_pos(abort.node), abort.message))
        return None
    errors.extend(found)
    return document


class _Recompose(Exception):
    """The libyaml graph cannot be trusted to give the pure composer's answer."""


class _Abort(Exception):
    """Stops building a document that cannot be read sensibly (depth, size, cycles)."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class _Builder:
    """Walks the node graph into plain values, recording positions and errors.

    `strict_depth` (a libyaml graph): the pure composer refuses any node
    more than MAX_DEPTH levels down, keys and skipped values included, so
    this builder stops (raising _Recompose) wherever that could be the case,
    or where the graphs are known to differ.
    """

    def __init__(
        self, document: Document, errors: list[SpecError], *, strict_depth: bool, record: int | None
    ) -> None:
        self.document = document
        self.values = document.values
        self.keys = document.keys
        self.errors = errors
        self.strict_depth = strict_depth
        self.record = MAX_VALUES if record is None else record
        self.count = 0
        self.active: set[int] = set()
        self.constructor = SafeConstructor()

    def error(self, node: Node, message: str) -> None:
        self.errors.append(self.document.error(_pos(node), message))

    def build(self, node: Node, path: YamlPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Abort(node, f"document expands to more than {MAX_VALUES} values (YAML aliases?)")
        if depth >= MAX_DEPTH and (self.strict_depth or depth > MAX_DEPTH):
            # (depth counts from 0 at the top, the composer's levels from 1)
            raise _Recompose() if self.strict_depth else _Abort(node, f"nested too deeply (more than {MAX_DEPTH} levels)")
        if len(path) <= self.record:
            mark = node.start_mark
            self.values[path] = Pos(mark.line + 1, mark.column + 1)
        if node.tag == _STR:
            if isinstance(node, ScalarNode):
                # (plain style: None from the pure composer, "" from libyaml)
                if node.style:
                    return node.value
                if self.strict_depth and not node.value:
                    raise _Recompose()  # `a: !` is text to libyaml, null to the pure composer
                return node.value
        elif isinstance(node, ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            raise _Abort(node, "a YAML alias refers to a value that contains it (recursive alias)")
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self.sequence(node, path, depth)
            assert isinstance(node, MappingNode)  # scalars and sequences were handled above
            return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == _NULL:
            return None
        typed = _TYPED_SCALARS.get(node.tag)
        if typed is None:
            self.unsupported(node)
            return node.value
        kind, construct = typed
        yaml11 = _yaml11_number(node)
        if yaml11:
            self.error(node, yaml11)  # the error stops the run; the value below only spares a second one
        try:
            value = construct(self.constructor, node)
        except Exception:  # PyYAML raises assorted errors on e.g. '2026-13-45' or '!!int x'
            self.error(node, f"cannot read '{node.value}' as {kind}")
            return node.value
        return value

    def unsupported(self, node: Node) -> None:
        if self.strict_depth:
            raise _Recompose()  # libyaml takes some tags the pure scanner refuses ('!:!int')
        self.error(node, f"unsupported YAML tag '{node.tag}'")

    def sequence(self, node: SequenceNode, path: YamlPath, depth: int) -> list[Any]:
        if node.tag != _SEQ:
            self.unsupported(node)
        build = self.build
        return [build(child, (*path, index), depth + 1) for index, child in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: YamlPath, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            self.unsupported(node)
        out: dict[str, Any] = {}
        first_keys: dict[str, Node] = {}
        record = len(path) < self.record
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.skipped(key_node, value_node, depth + 1)
                self.error(key_node, "YAML merge keys ('<<') are not supported; write the fields out")
                continue
            if not isinstance(key_node, ScalarNode):
                self.skipped(key_node, value_node, depth + 1)
                kind = "a list" if isinstance(key_node, SequenceNode) else "a mapping"
                self.error(key_node, f"a mapping key must be a plain string, not {kind}")
                continue
            if self.strict_depth and key_node.tag not in _KEY_TAGS:
                raise _Recompose()  # a tag libyaml took and the pure scanner may not
            # Keys are names in our format, so `2026:` or `yes:` mean the text as written.
            key = key_node.value
            first = first_keys.get(key)
            if first is not None:
                self.skipped(key_node, value_node, depth + 1)
                self.error(
                    key_node,
                    f"duplicate key '{key}' in one mapping; also defined at "
                    f"{self.document.file}:{first.start_mark.line + 1}",
                )
                continue
            first_keys[key] = key_node
            key_path = (*path, key)
            if record:
                mark = key_node.start_mark
                self.keys[key_path] = Pos(mark.line + 1, mark.column + 1)
            out[key] = self.build(value_node, key_path, depth + 1)
        return out

    def skipped(self, key: Node, value: Node, depth: int) -> None:
        """Nodes not built still count towards the composer's depth limit."""
        if self.strict_depth and max(_depth_below(key), _depth_below(value)) + depth >= MAX_DEPTH:
            raise _Recompose()


def _depth_below(node: Node) -> int:
    """Levels below `node` in the document, each node's children counted at its first occurrence."""
    deepest = 0
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(current, ScalarNode) or id(current) in seen:
            continue
        seen.add(id(current))
        for child in current.value:
            if isinstance(child, tuple):
                stack.extend((part, depth + 1) for part in child)
            else:
                stack.append((child, depth + 1))
    return deepest


def dotted(path: YamlPath) -> str:
    """A path as users write it: 'items[0].metadata'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _pos(node: Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def describe(value: Any) -> str:
    """A short, user-facing description of a YAML value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, dt.datetime | dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
