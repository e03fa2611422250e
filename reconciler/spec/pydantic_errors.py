"""Turn pydantic validation errors into our one-line messages, with positions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from inspect import isclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from reconciler.spec.billing import INVOICE_PREFIX_PATTERN
from reconciler.spec.models import KEY_RULE, MAX_AMOUNT, SPEC_KEY_PATTERN
from reconciler.spec.yamltree import Pos, YamlPath, describe, dotted


def translate(
    exc: ValidationError, model: type[BaseModel], where: str, doc_path: YamlPath, doc: Any
) -> Iterator[tuple[Pos, str]]:
    """(position, message) for each error of validating the entry at `doc_path` in `doc`."""
    for error in exc.errors(include_url=False):
        if _BLANK_BRANCH in error["loc"]:
            continue  # `address: ""` (remove it) is the other choice: said by the mapping's own error
        loc = _without_branch_names(tuple(error["loc"]))
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        here = _where(where, loc)
        if kind == "missing":
            yield doc.key_pos((*doc_path, *loc[:-1])), f"{_where(where, loc[:-1])}: missing required field '{loc[-1]}'"
        elif kind == "extra_forbidden":
            yield doc.key_pos((*doc_path, *loc)), f"{_where(where, loc[:-1])}: {_unknown_field(model, loc)}"
        else:
            yield doc.value_pos((*doc_path, *loc)), f"{here}: {_detail(kind, value, ctx, model, loc, error['msg'])}"


# A field that is a mapping or "" (CustomerSpec.address, shipping): pydantic names the union's branch
# in the error's location ("shipping.Shipping.name", "shipping.literal['']"); a spec has no such key.
_BLANK_BRANCH = "literal['']"
_BRANCH_NAMES = {"address": "Address", "shipping": "Shipping"}


def _without_branch_names(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(part for i, part in enumerate(loc) if not (i and _BRANCH_NAMES.get(str(loc[i - 1])) == part))


def _where(where: str, loc: tuple[Any, ...]) -> str:
    text = dotted(loc)
    return f"{where} {text}" if text else where


def _unknown_field(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    name = str(loc[-1])
    owner = _model_at(model, loc[:-1])
    if owner is None:
        return f"unknown field '{name}'"
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown field '{name}' (did you mean '{close[0]}'?)"
    return f"unknown field '{name}' (allowed: {', '.join(allowed)})"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` below `model`."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None or part not in current.model_fields:
            return None
        current = _inner_model(current.model_fields[part].annotation)
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    owner = _model_at(model, loc[:-1])
    info = owner.model_fields.get(str(loc[-1])) if owner else None
    low = high = None
    for meta in info.metadata if info else ():
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    return low, high


def _detail(kind: str, value: Any, ctx: dict[str, Any], model: type[BaseModel], loc: tuple[Any, ...], msg: str) -> str:
    got = describe(value)
    if kind == "int_type":
        numeric = isinstance(value, str) and value.strip().lstrip("-").isdigit()
        hint = "; write the number without quotes" if numeric else ""
        return f"expected an integer, got {got}{hint}"
    if kind == "string_type":
        # Numbers, booleans and dates become strings when quoted; null and collections do not.
        scalar = value is not None and not isinstance(value, list | dict)
        hint = "; quote it to make it a string" if scalar else ""
        return f"expected a string, got {got}{hint}"
    if kind == "bool_type":
        return f"expected true or false, got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {got}"
    if kind == "list_type":
        return f"expected a list, got {got}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close and isinstance(value, str) else ""
        return f"must be one of {', '.join(choices)}; got {got}{hint}"
    if kind in ("greater_than_equal", "less_than_equal"):
        low, high = _bounds(model, loc)
        if high == MAX_AMOUNT:
            if kind == "less_than_equal":
                return f"must be at most {MAX_AMOUNT} (Stripe's maximum amount: 8 digits), got {value}"
            high = None  # a negative amount: the lower bound is the news
        if low is not None and high is not None:
            return f"must be between {low} and {high}, got {value}"
        if low is not None:
            return f"must be at least {low}, got {value}"
        return f"must be at most {high}, got {value}"
    if kind == "too_short" and loc == ("items",):
        return f"an invoice needs 1 to 250 items, got {ctx.get('actual_length', 0)}"
    if kind == "too_long" and loc == ("items",):
        return f"an invoice needs 1 to 250 items, got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters, got {len(value)}"
    if kind == "string_pattern_mismatch":
        return _pattern_message(value, str(ctx.get("pattern", "")))
    return _in_our_words(kind, value, ctx, msg)


def _in_our_words(kind: str, value: Any, ctx: dict[str, Any], msg: str) -> str:
    """pydantic's remaining messages in the style of the others ("must …, got …"), not its own wording."""
    if kind == "too_long":
        return f"at most {ctx['max_length']} items, got {ctx['actual_length']}"
    if kind == "too_short":
        return f"at least {ctx['min_length']} item{'s' if ctx['min_length'] != 1 else ''}, got {ctx['actual_length']}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_inexact", "date_from_datetime_parsing"):
        return f"expected a date (a bare YAML date such as 2026-12-15), got {describe(value)}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {describe(value)}"
    if kind == "greater_than":
        bound = ctx["gt"]
        return f"must be more than {bound:g}, got {value}" if isinstance(bound, float) else f"must be more than {bound}, got {value}"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")  # our own validators' sentences, without pydantic's label
    return msg


# Stripe ids in specs (`adopt:`, account_tax_ids) are patterns of the form ^<prefix>[...]+$.
_STRIPE_ID = re.compile(r"\^([a-z]*_?)\[A-Za-z0-9[_-]*\]\+\$")


def _pattern_message(value: Any, pattern: str) -> str:
    """What a string failing its field's pattern should have been, in words, not the spec key's rule for all."""
    if pattern == SPEC_KEY_PATTERN:
        return f"{value!r} is not a valid key ({KEY_RULE})"
    if pattern == INVOICE_PREFIX_PATTERN:
        return f"{value!r} is not a valid invoice prefix (1 to 12 uppercase letters or digits, e.g. ACME01)"
    if pattern == "^[A-Z]{2}$":
        return f"{value!r} is not an ISO 3166-1 alpha-2 country code (two uppercase letters, e.g. DE, US, GB)"
    stripe_id = _STRIPE_ID.fullmatch(pattern)
    if stripe_id:
        prefix = stripe_id.group(1)
        return f"{value!r} is not a Stripe id" + (f" (expected {prefix}…)" if prefix else " (letters, digits, '_', '-')")
    return f"{value!r} does not match the pattern {pattern}"
