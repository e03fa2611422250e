"""Control and bidirectional-override characters: refused in hooks files, escaped in logs.

Event ids, hook output and whatever a client sends end up in log lines. A raw
newline forges a log line, an escape sequence rewrites the operator's
terminal, and a bidi override (U+202E) shows text in another order than it
is: each is written as a visible escape (`\\x1b`, `\\u202e`) instead.
"""

from __future__ import annotations

import logging
import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# C0 controls, DEL, C1 controls and the bidi controls.
UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
# What a shell command line may hold of them (a script over several lines, indented with tabs).
_COMMAND_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """`text` with every control and bidi character written as a visible escape."""
    return UNSAFE.sub(_escaped, text)


def command_problem(command: str) -> str | None:
    """Why a hook's `run` cannot be taken (a character a command line must not hold), or None."""
    found = _COMMAND_UNSAFE.search(command)
    if found is None:
        return None
    code = ord(found.group())
    kind = "a bidirectional control character" if code > 0x9F else "a control character"
    return f"contains {kind} (U+{code:04X}) at character {found.start() + 1}; write the command without it"


class SafeFormatter(logging.Formatter):
    """Escapes the message (not a traceback's lines) before it is formatted."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape(record.message)
        return super().formatMessage(record)


def configure_logging() -> None:
    """The receiver's log: one line per record on stderr, control characters escaped."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("stripe").setLevel(logging.WARNING)  # one line per request otherwise
