"""YAML text to a node graph, on libyaml where it is installed.

Two composers give the same nodes (tags, values, start marks): libyaml's
(PyYAML's C loader, ~10x faster) and PyYAML's pure-Python one. Only the
pure one's errors are reported: libyaml words its messages differently and
accepts some text the pure reader refuses, so whenever libyaml would not
give exactly the pure composer's answer (any error, a character the pure
reader refuses, nesting near the limit) the caller composes the text again
with the pure one. tests/spec/test_loaders.py runs the whole spec corpus
through both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import yaml
from yaml.nodes import Node

from reconciler.kinds import KINDS, names_list

MAX_DEPTH = 50  # our format nests six levels deep; anything far deeper is a mistake or an attack

_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
_use_libyaml: ContextVar[bool] = ContextVar("use_libyaml", default=_LIBYAML)
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_LENIENT = re.compile(r"[|>][-+0-9]*#")


class YamlSyntaxError(Exception):
    """The text is not one valid YAML document; line and column are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@contextmanager
def pure_python_loader() -> Iterator[None]:
    """Compose with the pure-Python loader inside the block (tests and benchmarks)."""
    token = _use_libyaml.set(False)
    try:
        yield
    finally:
        _use_libyaml.reset(token)


def libyaml_in_use() -> bool:
    return _use_libyaml.get()


def compose_libyaml(text: str) -> Node | None:
    """The node graph by libyaml, or None to compose with the pure loader instead.

    None for an empty document too: the pure loader then reports it. libyaml
    caps nesting at 1,000 levels itself, so its recursive composer cannot
    exhaust the C stack; our 50-level limit is checked while building.
    Text libyaml reads more leniently than the pure scanner goes to the pure
    loader straight away: tabs (libyaml takes them as separating white space,
    'a:<TAB>b') and a comment right after a block scalar indicator ('|#').
    """
    if not _use_libyaml.get() or "\t" in text or _LENIENT.search(text) or _NON_PRINTABLE.search(text):
        return None
    loader = yaml.CSafeLoader(text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    except Exception:  # noqa: BLE001 - any refusal: the pure loader gives the error
        return None
    finally:
        loader.dispose()


class _DepthLimitedLoader(yaml.SafeLoader):
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


def compose_python(text: str) -> Node:
    """The node graph by PyYAML's pure-Python loader; YamlSyntaxError on any problem."""
    loader: _DepthLimitedLoader | None = None
    try:
        # The reader scans the text for unprintable characters first.
        loader = _DepthLimitedLoader(text)
        node: Node | None = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"invalid YAML: {exc.problem or exc.context or 'syntax error'}"
        if exc.context and exc.problem and exc.context_mark and exc.context_mark.line != getattr(mark, "line", None):
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise YamlSyntaxError(message, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1) from None
    except yaml.reader.ReaderError as exc:
        line, column = char_position(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlSyntaxError(
            f"invalid YAML: unacceptable character #x{code:04x}: {exc.reason}", line, column
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlSyntaxError(f"invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)") from None
    except (ValueError, OverflowError) as exc:
        # PyYAML's scanner lets these escape on bad escapes such as "\U7fffffff".
        mark = loader.get_mark() if loader is not None else None
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(f"invalid YAML: invalid escape sequence ({exc})", line, column) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise YamlSyntaxError("empty file: expected a mapping with " + names_list([i.section for i in KINDS.values()]))
    return node


def char_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
