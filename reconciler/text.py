"""Wording shared by every message the tool prints."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 event', '2 events', '1,204 requests' (`many` for words not made plural by an s)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
