"""Stripe's form encoding: `a[b][0]=c`, `expand[]=x`, into nested dicts.

Indexed arrays (`a[0]`) come out as dicts with digit keys; the validator turns
them into lists where the SDK's params say List (a metadata key "0" stays a key).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from reconciler.sandbox.exceptions import InvalidRequest

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def parse_form(text: str) -> dict[str, Any]:
    try:
        pairs = _pairs(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"Invalid request body: it is not form-encoded ({exc}).") from exc
    result: dict[str, Any] = {}
    for key, value in pairs:
        if "[" not in key and "]" not in key and key:
            # A plain name, the common case: no pattern matching needed.
            if key in result:
                raise InvalidRequest(f"Parameter {key!r} was given more than once", param=key)
            result[key] = value
            continue
        match = _KEY.match(key)
        if match is None:
            raise InvalidRequest(f"Invalid parameter name: {key!r}", param=key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        _assign(result, path, value, key)
    return result


def _pairs(text: str) -> list[tuple[str, str]]:
    """urllib's parse_qsl(text, keep_blank_values=True, strict_parsing=True,
    errors="strict"), with its per-call overhead left out (same results, same errors)."""
    if not text:
        return []
    pairs = []
    for field in text.split("&"):
        name, equals, value = field.partition("=")
        if not equals:
            raise ValueError(f"bad query field: {field!r}")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name, errors="strict")
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value, errors="strict")
        pairs.append((name, value))
    return pairs


def _assign(target: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node: Any = target
    for depth, name in enumerate(path):
        last = depth == len(path) - 1
        following = None if last else path[depth + 1]
        if isinstance(node, list):
            if name != "":
                raise InvalidRequest(f"Invalid array parameter: {key!r}", param=key)
            if last:
                node.append(value)
                return
            node.append([] if following == "" else {})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            raise InvalidRequest(f"Conflicting values for parameter {key!r}", param=key)
        if name == "":
            raise InvalidRequest(f"Invalid parameter name: {key!r}", param=key)
        if last:
            if name in node:
                raise InvalidRequest(f"Parameter {key!r} was given more than once", param=key)
            node[name] = value
            return
        wanted: Any = [] if following == "" else {}
        child = node.setdefault(name, wanted)
        if type(child) is not type(wanted):
            raise InvalidRequest(f"Conflicting values for parameter {key!r}", param=key)
        node = child
