"""Read one YAML file into plain values, keeping the position of every key and value.

PyYAML's loaders keep the last of two equal mapping keys without a word and
forget where values came from, so we compose the node graph ourselves and
build the values from it, reporting problems as SpecError records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.spec.errors import SpecError

MAX_FILE_BYTES = 5 * 1024 * 1024
# Our format nests six levels deep; anything far deeper is a mistake or an attack.
MAX_DEPTH = 50
# Bounds what aliases can expand to ("billion laughs").
MAX_VALUES = 200_000

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


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass
class Document:
    """One file's values plus where each key and value sits in it."""

    file: str
    data: Any
    values: dict[YamlPath, Pos] = field(default_factory=dict)
    keys: dict[YamlPath, Pos] = field(default_factory=dict)

    def value_pos(self, path: YamlPath) -> Pos:
        """Where the value at `path` starts, else where its nearest ancestor does."""
        for end in range(len(path), -1, -1):
            pos = self.values.get(path[:end])
            if pos is not None:
                return pos
        return Pos(1, 1)

    def key_pos(self, path: YamlPath) -> Pos:
        """Where the key of the entry at `path` sits (its value for list items)."""
        return self.keys.get(path) or self.value_pos(path)

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
    node = _compose(text.removeprefix("\ufeff"), fail)
    if node is None:
        return None
    document = Document(display, None)
    builder = _Builder(document, errors)
    try:
        document.data = builder.build(node, (), 0)
    except _Abort as abort:
        errors.append(document.error(_pos(abort.node), abort.message))
        return None
    return document


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer stops at MAX_DEPTH instead of exhausting Python's stack."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(None, None, f"nested too deeply (more than {MAX_DEPTH} levels)", mark)
            composed: Node | None = super().compose_node(parent, index)
            assert composed is not None  # the composer only asks for a node where one follows
            return composed
        finally:
            self._depth -= 1


def _compose(text: str, fail: Callable[..., None]) -> Node | None:
    loader: _Loader | None = None
    try:
        # The constructor already scans the text for unprintable characters.
        loader = _Loader(text)
        node: Node | None = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"invalid YAML: {exc.problem or exc.context or 'syntax error'}"
        if exc.context and exc.problem and exc.context_mark and exc.context_mark.line != getattr(mark, "line", None):
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        fail(message, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1)
        return None
    except yaml.reader.ReaderError as exc:
        line, column = _char_position(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        fail(f"invalid YAML: unacceptable character #x{code:04x}: {exc.reason}", line, column)
        return None
    except yaml.YAMLError as exc:
        fail(f"invalid YAML: {exc}")
        return None
    except RecursionError:
        fail(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)")
        return None
    except (ValueError, OverflowError) as exc:
        # PyYAML's scanner lets these escape on bad escapes such as "\U7fffffff".
        mark = loader.get_mark() if loader is not None else None
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        fail(f"invalid YAML: invalid escape sequence ({exc})", line, column)
        return None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        fail("empty file: expected a mapping with products, prices, customers or invoices")
        return None
    return node


class _Abort(Exception):
    """Stops building a document that cannot be read sensibly (depth, size, cycles)."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class _Builder:
    def __init__(self, document: Document, errors: list[SpecError]) -> None:
        self.document = document
        self.errors = errors
        self.count = 0
        self.active: set[int] = set()
        self.constructor = SafeConstructor()

    def error(self, node: Node, message: str) -> None:
        self.errors.append(self.document.error(_pos(node), message))

    def build(self, node: Node, path: YamlPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Abort(node, f"document expands to more than {MAX_VALUES} values (YAML aliases?)")
        if depth > MAX_DEPTH:
            raise _Abort(node, f"nested too deeply (more than {MAX_DEPTH} levels)")
        self.document.values[path] = _pos(node)
        if isinstance(node, ScalarNode):
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
        if node.tag == _STR:
            return node.value
        if node.tag == _NULL:
            return None
        typed = _TYPED_SCALARS.get(node.tag)
        if typed is None:
            self.error(node, f"unsupported YAML tag '{node.tag}'")
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

    def sequence(self, node: SequenceNode, path: YamlPath, depth: int) -> list[Any]:
        if node.tag != _SEQ:
            self.error(node, f"unsupported YAML tag '{node.tag}'")
        return [self.build(child, (*path, index), depth + 1) for index, child in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: YamlPath, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            self.error(node, f"unsupported YAML tag '{node.tag}'")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.error(key_node, "YAML merge keys ('<<') are not supported; write the fields out")
                continue
            if not isinstance(key_node, ScalarNode):
                kind = "a list" if isinstance(key_node, SequenceNode) else "a mapping"
                self.error(key_node, f"a mapping key must be a plain string, not {kind}")
                continue
            # Keys are names in our format, so `2026:` or `yes:` mean the text as written.
            key = key_node.value
            key_path = (*path, key)
            if key_path in self.document.keys:
                first = self.document.keys[key_path]
                self.error(
                    key_node,
                    f"duplicate key '{key}' in one mapping; also defined at {self.document.file}:{first.line}",
                )
                continue
            self.document.keys[key_path] = _pos(key_node)
            out[key] = self.build(value_node, key_path, depth + 1)
        return out


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


def _char_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


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
